# SPDX-License-Identifier: BSL-1.0
"""What echomux and this project require of its manifests, beyond what the API server
checks: the Deployment agrees with the echomux.conf it mounts (read through
`echomux --print-config`, so echomux itself parses the conf and the ECHOMUX_* variables the
pod sets), stops within its grace period, and runs under the restricted Pod Security
profile with the labels, image reference and policies the README promises; its TLS listener
is reachable and reads a Secret that a renewal reaches (tls_rules.py). A bench Job
(deploy/kubernetes/bench, rendered with the server's objects) is as hardened, bounded in
time, and aims at the echomux Services by their real names and ports (bench_rules.py)."""
import contextlib
import re
import subprocess
import tempfile
from pathlib import Path

import bench_rules
import quantity
import tls_rules
from api_rules import container_ports, selects, template_labels

CONF_DIR = "/etc/echomux"
CONF_FILE = "echomux.conf"
ALL_LABELS = ("app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/part-of",
              "app.kubernetes.io/managed-by")
WORKLOAD_LABELS = ALL_LABELS + ("app.kubernetes.io/version", "app.kubernetes.io/component")
# echomux's sizes (max_buffer_bytes = 64KiB) count K and M in powers of two; Kubernetes
# quantities (memory: 128Mi) are quantity.py's.
ECHOMUX_UNITS = {"": 1, "K": 1 << 10, "KiB": 1 << 10, "M": 1 << 20, "MiB": 1 << 20, "G": 1 << 30, "GiB": 1 << 30}
# Prometheus' annotations: a scraper that honours them would scrape the pods beside a
# ServiceMonitor's targets, every series twice.
SCRAPE_ANNOTATIONS = ("prometheus.io/scrape", "prometheus.io/port", "prometheus.io/path")
# The kubelet's default probe timeout; under a CPU limit of one core or less it is too short
# (probe_rules).
PROBE_TIMEOUT_AT_ONE_CPU = 2
# What a TLS connection holds beside its plaintext buffer: OpenSSL's state, about 16 KiB a
# connection once the handshake is done (900 idle TLS 1.3 connections: 14.5 MiB more RSS,
# measured here), and a record's worth (16 KiB) of ciphertext in flight.
TLS_CONNECTION_BYTES = 32 << 10
# The files echomux loads at start, and which of scripts/tls-certs.sh's stands in for each.
STAND_INS = {"tls_cert": "server.pem", "tls_key": "server.key", "tls_client_ca": "ca.pem"}


def size(text: str, units=ECHOMUX_UNITS) -> int:
    m = re.fullmatch(r"(\d+)([A-Za-z]*)", str(text))
    if not m or m.group(2) not in units:
        raise ValueError(f"not a size: {text}")
    return int(m.group(1)) * units[m.group(2)]


@contextlib.contextmanager
def stand_in_files(source: Path, conf_text: str, env: dict):
    """echomux loads the files it is given (the TLS pair, the client CA) to check its
    configuration, and their paths are the pod's: --print-config reads throwaway ones
    (scripts/tls-certs.sh) in their place. Yields the conf text and environment naming the
    stand-ins, and {key: the pod's path} of the main listener, for the rules."""
    env, pod_paths, lines, section = dict(env), {}, [], False
    with tempfile.TemporaryDirectory(prefix="echomux-k8s-tls-") as tmp:
        def stand_in(key):
            if not Path(tmp, "ca.pem").exists():
                subprocess.run(["sh", str(source / "scripts/tls-certs.sh"), tmp], check=True,
                               capture_output=True, timeout=60)
            return str(Path(tmp, STAND_INS[key]))
        for line in conf_text.splitlines():
            section = section or line.lstrip().startswith("[")
            m = re.match(r"\s*(\w+)\s*=\s*(\S.*?)\s*$", line)
            if m and m.group(1) in STAND_INS:
                if not section:
                    pod_paths[m.group(1)] = m.group(2)
                line = f"{m.group(1)} = {stand_in(m.group(1))}"
            lines.append(line)
        for key in STAND_INS:
            variable = f"ECHOMUX_{key.upper()}"
            if env.get(variable):
                pod_paths[key] = env[variable]
                env[variable] = stand_in(key)
        yield "\n".join(lines) + "\n", env, pod_paths


def seconds(text: str) -> float:
    return float(text.rstrip("s"))


def print_config(echomux: str, conf_text: str, env: dict) -> tuple:
    """(returncode, {key: value}, stderr) of `echomux --print-config` with this conf and only
    this environment."""
    with tempfile.TemporaryDirectory(prefix="echomux-k8s-") as tmp:
        conf = Path(tmp, CONF_FILE)
        conf.write_text(conf_text)
        run = subprocess.run([echomux, "--config", str(conf), "--print-config"], env=env,
                             capture_output=True, text=True, timeout=30)
    values = {}
    for line in run.stdout.splitlines():
        m = re.match(r"(\w+) = (.*?)\s*(#.*)?$", line)
        if m:
            values[m.group(1)] = m.group(2)
    return run.returncode, values, run.stderr.strip()


class Findings:
    def __init__(self):
        self.failures = []

    def require(self, ok, where, message):
        if not ok:
            self.failures.append((where, message))


def check(objects, echomux: str, source: Path) -> Findings:
    """Findings over the rendered objects."""
    found = Findings()
    deployments = [(f, o) for f, o in objects if o.get("kind") == "Deployment"
                   and any(c.get("name") == "echomux" for c in ((o.get("spec") or {}).get("template") or {})
                           .get("spec", {}).get("containers") or [])]
    if len(deployments) != 1:
        found.failures.append((("(all)", {}), f"expected one Deployment running the echomux container, found {len(deployments)}"))
        return found
    file, deployment = deployments[0]
    where = (file, deployment)
    pod = deployment["spec"]["template"]["spec"]
    container = next(c for c in pod["containers"] if c["name"] == "echomux")
    label_rules(found, objects)
    hardening_rules(found, where, pod, container)
    policy_rules(found, objects, where, deployment, pod)
    conf = conf_rules(found, objects, where, deployment, pod, container, echomux, source)
    for file, job in bench_rules.bench_jobs(objects):
        job_pod = job["spec"]["template"]["spec"]
        job_container = bench_rules.bench_container(job)
        hardening_rules(found, (file, job), job_pod, job_container)
        bench_rules.check(found, objects, (file, job), job, deployment, conf, echomux, source)
    return found


def label_rules(found, objects):
    for file, obj in objects:
        labels = (obj.get("metadata") or {}).get("labels") or {}
        workload = "template" in (obj.get("spec") or {})
        missing = [k for k in (WORKLOAD_LABELS if workload else ALL_LABELS) if k not in labels]
        found.require(not missing, (file, obj), f"metadata.labels: missing {', '.join(missing)}")
        if workload:
            missing = [k for k in WORKLOAD_LABELS if k not in template_labels(obj)]
            found.require(not missing, (file, obj), f"spec.template.metadata.labels: missing {', '.join(missing)}")


def hardening_rules(found, where, pod, container):
    """What the server's pods and the bench's have in common: the restricted Pod Security
    profile, no API token, no service links, bounded resources, a pinned image."""
    require = found.require
    name = container.get("name")
    # The restricted Pod Security profile, with no uid pinned: the image's numeric USER or the
    # platform's assigned uid (OpenShift) runs it.
    pod_security, security = pod.get("securityContext") or {}, container.get("securityContext") or {}
    require(pod_security.get("runAsNonRoot") is True or security.get("runAsNonRoot") is True, where,
            "runAsNonRoot must be true")
    require("runAsUser" not in pod_security and "runAsUser" not in security, where,
            "runAsUser must not be pinned: the image runs under any uid")
    seccomp = (security.get("seccompProfile") or pod_security.get("seccompProfile") or {}).get("type")
    require(seccomp == "RuntimeDefault", where, "seccompProfile.type must be RuntimeDefault")
    require(security.get("allowPrivilegeEscalation") is False, where,
            f"containers[{name}].securityContext.allowPrivilegeEscalation must be false")
    require((security.get("capabilities") or {}).get("drop") == ["ALL"], where,
            f"containers[{name}].securityContext.capabilities.drop must be [ALL]")
    require(security.get("readOnlyRootFilesystem") is True, where, "root filesystem must be read-only")
    require(pod.get("enableServiceLinks") is False, where,
            "enableServiceLinks must be false (the kubelet would set ECHOMUX_PORT=tcp://...)")
    require(pod.get("automountServiceAccountToken") is False, where,
            "automountServiceAccountToken must be false (echomux never calls the API)")
    resources = container.get("resources") or {}
    unset = [f"{kind}.{r}" for kind in ("requests", "limits") for r in ("cpu", "memory")
             if r not in (resources.get(kind) or {})]
    require(not unset, where, f"containers[{name}].resources: {', '.join(unset)} must be set (bounded, schedulable)")
    image = container.get("image", "")
    registry = image.split("/")[0] if "/" in image else ""
    require(("." in registry or ":" in registry or registry == "localhost")
            and ("@sha256:" in image or re.search(r":[^/:]+$", image)) and not image.endswith(":latest"),
            where, f"image '{image}' must be fully qualified (registry/name:tag or @digest; kustomization images:)")


def policy_rules(found, objects, where, deployment, pod):
    """The server's own: its identity, its spread over nodes, its disruption budget."""
    require = found.require
    accounts = [o for _, o in objects if o.get("kind") == "ServiceAccount"
                and o["metadata"].get("name") == pod.get("serviceAccountName")]
    require(accounts and accounts[0].get("automountServiceAccountToken") is False, where,
            "serviceAccountName must name a ServiceAccount here with automountServiceAccountToken: false")
    spreads = [c for c in pod.get("topologySpreadConstraints") or [] if c.get("topologyKey") == "kubernetes.io/hostname"]
    require(spreads, where, "topologySpreadConstraints must spread the replicas across nodes (kubernetes.io/hostname)")
    labels = template_labels(deployment)
    budgets = [o for _, o in objects if o.get("kind") == "PodDisruptionBudget"
               and selects((o.get("spec") or {}).get("selector"), labels)]
    require(budgets, where, "no PodDisruptionBudget covers these pods")
    for budget in budgets:
        # minAvailable: 1 blocks every drain once the Deployment is scaled to one replica (by
        # hand or by an autoscaler); maxUnavailable: 1 lets one pod go at any scale.
        spec = budget["spec"]
        unavailable = spec.get("maxUnavailable")
        require("minAvailable" not in spec and (
                (isinstance(unavailable, int) and unavailable >= 1) or
                (isinstance(unavailable, str) and re.fullmatch(r"0*[1-9]\d*%", unavailable))), where,
                f"PodDisruptionBudget {budget['metadata']['name']}: must set maxUnavailable (1), not minAvailable: "
                f"minAvailable {spec.get('minAvailable', '-')} blocks every node drain once the Deployment runs "
                "that many replicas or fewer")
    monitors = [o for _, o in objects if o.get("kind") == "ServiceMonitor"]
    annotations = (deployment["spec"]["template"].get("metadata") or {}).get("annotations") or {}
    left = [a for a in SCRAPE_ANNOTATIONS if a in annotations]
    require(not (monitors and left), where,
            f"spec.template.metadata.annotations: {', '.join(left)} beside a ServiceMonitor: Prometheus would "
            "scrape every pod twice (the component must remove them)")


def conf_rules(found, objects, where, deployment, pod, container, echomux, source):
    """The settings echomux runs with ({key: value}, or None where it has none)."""
    require = found.require
    mount = next((m for m in container.get("volumeMounts") or [] if m.get("mountPath") == CONF_DIR), None)
    volume = next((v for v in pod.get("volumes") or [] if mount and v.get("name") == mount.get("name")), None)
    config_name = ((volume or {}).get("configMap") or {}).get("name")
    maps = [o for _, o in objects if o.get("kind") == "ConfigMap" and o["metadata"].get("name") == config_name]
    if not maps or CONF_FILE not in (maps[0].get("data") or {}):
        require(False, where, f"a ConfigMap with {CONF_FILE} must be mounted at {CONF_DIR}, where the image reads it")
        return None
    _, defaults, _ = print_config(echomux, "", {})
    env = {"POD_NAME": "echomux-pod"}
    for variable in container.get("env") or []:
        name = variable.get("name", "")
        if not name.startswith("ECHOMUX_"):
            continue
        key = name[len("ECHOMUX_"):].lower()
        require(key in defaults, where, f"env {name}: not an echomux setting (echomux ignores it with a warning)")
        require("value" in variable, where, f"env {name}: must be a literal value, so it can be checked here")
        env[name] = str(variable.get("value", ""))
    with stand_in_files(source, maps[0]["data"][CONF_FILE], env) as (conf_text, stand_env, pod_paths):
        status, conf, stderr = print_config(echomux, conf_text, stand_env)
    conf.update(pod_paths)
    if status != 0:
        require(False, where, f"echomux refuses this configuration: {stderr}")
        return None
    ports = {p.get("name"): p for p in container.get("ports") or []}
    require(ports.get("echo", {}).get("containerPort") == int(conf["port"]), where,
            f"container port 'echo' must be port = {conf['port']}")
    require(ports.get("metrics", {}).get("containerPort") == int(conf["metrics_port"]), where,
            f"container port 'metrics' must be metrics_port = {conf['metrics_port']}")
    require(conf["listen"] == "::", where, "listen must be :: (IPv4 and IPv6, for dual-stack clusters)")
    require(conf["metrics_listen"] == "::", where, "metrics_listen must be :: (the kubelet probes the pod IP)")
    # Readiness turns 503 at SIGTERM (the pod leaves the endpoints); liveness stays 200 until
    # exit, so a stopping pod is never restarted.
    readiness, liveness = container.get("readinessProbe") or {}, container.get("livenessProbe") or {}
    require((readiness.get("httpGet") or {}).get("path") in ("/readyz", "/healthz"), where,
            "readinessProbe must GET /readyz (or /healthz)")
    require((liveness.get("httpGet") or {}).get("path") == "/livez", where, "livenessProbe must GET /livez")
    for name, probe in (("readinessProbe", readiness), ("livenessProbe", liveness)):
        require((probe.get("httpGet") or {}).get("port") == "metrics", where, f"{name} must use the metrics port")
    drain, delay = seconds(conf["drain_timeout"]), seconds(conf["shutdown_delay"])
    require(delay > 0, where, "shutdown_delay must be set, so a rolling update refuses no client")
    require(delay >= readiness.get("periodSeconds", 10) * readiness.get("failureThreshold", 3), where,
            "shutdown_delay must outlast the readiness probe noticing the 503")
    grace = pod.get("terminationGracePeriodSeconds", 30)
    require(grace > delay + drain, where,
            f"terminationGracePeriodSeconds {grace} must exceed shutdown_delay + drain_timeout ({delay + drain:g} s)")
    tls = bool(conf.get("tls_cert"))
    per_connection = size(conf["max_buffer_bytes"]) + (TLS_CONNECTION_BYTES if tls else 0)
    worst = int(conf["max_connections"]) * per_connection + (32 << 20)
    limit = ((container.get("resources") or {}).get("limits") or {}).get("memory")
    try:
        require(limit and quantity.parse(limit) >= worst, where,
                f"memory limit must hold max_connections x max_buffer_bytes "
                f"{'+ 32KiB of TLS state per connection ' if tls else ''}+ 32Mi ({worst} bytes)")
    except quantity.QuantityError:
        pass  # api_rules reports it, with the API server's message
    probe_rules(found, where, container)
    network_rules(found, objects, where, deployment, conf)
    udp_rules(found, objects, where, deployment, conf)
    tls_rules.check(found, objects, where, deployment, pod, container, conf, echo_services)
    if conf.get("proxy_protocol", "off") == "required":
        services = echo_services(objects, deployment, int(conf["port"]), "TCP")
        require(services and all(s["spec"].get("type") == "LoadBalancer" for s in services), where,
                "proxy_protocol = required: the echo Service must be a LoadBalancer (only it sends the PROXY header)")
    return conf


def probe_rules(found, where, container):
    """Readiness that survives one slow answer, and timeouts that allow for the CPU limit: at
    its limit the pod is throttled (CFS quota), and the metrics thread that answers the probe
    waits with the event loops."""
    require = found.require
    readiness = container.get("readinessProbe") or {}
    require(readiness.get("failureThreshold", 3) >= 2, where,
            f"readinessProbe.failureThreshold {readiness.get('failureThreshold')}: must be at least 2, so one "
            "slow probe does not take the pod out of the Service")
    cpu = ((container.get("resources") or {}).get("limits") or {}).get("cpu")
    try:
        throttled = cpu is not None and quantity.parse(cpu) <= 1
    except quantity.QuantityError:
        return  # api_rules reports it
    for name in ("readinessProbe", "livenessProbe"):
        probe = container.get(name) or {}
        timeout, period = probe.get("timeoutSeconds", 1), probe.get("periodSeconds", 10)
        require(not throttled or timeout >= PROBE_TIMEOUT_AT_ONE_CPU, where,
                f"{name}.timeoutSeconds {timeout}: under a CPU limit of {cpu} the pod is throttled when busy; "
                f"give the probe at least {PROBE_TIMEOUT_AT_ONE_CPU} s")
        require(timeout <= period, where,
                f"{name}.timeoutSeconds {timeout} is longer than periodSeconds {period}")


def echo_services(objects, deployment, port, protocol):
    labels, names = template_labels(deployment), {p.get("name") for c in
                                                  deployment["spec"]["template"]["spec"]["containers"]
                                                  for p in c.get("ports") or [] if p.get("containerPort") == port}
    return [o for _, o in objects if o.get("kind") == "Service" and selects(o["spec"].get("selector"), labels)
            and any(p.get("protocol", "TCP") == protocol and p.get("targetPort") in names | {port}
                    for p in o["spec"].get("ports") or [])]


def network_rules(found, objects, where, deployment, conf):
    """The echo port open to all; the metrics port only from selected namespaces."""
    labels = template_labels(deployment)
    policies = [o for _, o in objects if o.get("kind") == "NetworkPolicy"
                and selects(o["spec"].get("podSelector"), labels)]
    found.require(policies, where, "no NetworkPolicy selects these pods")
    metrics = {"metrics", int(conf["metrics_port"])}
    echo_open = False
    for policy in policies:
        for rule in policy["spec"].get("ingress") or []:
            ports = {p.get("port") for p in rule.get("ports") or []}
            sources = rule.get("from") or []
            if not rule.get("ports") or ports & metrics:
                # Labelled namespaces (Prometheus'), or this namespace's bench pods (bench/).
                only_namespaces = sources and all((set(s) == {"namespaceSelector"} and
                                                   (s["namespaceSelector"].get("matchLabels") or
                                                    s["namespaceSelector"].get("matchExpressions")))
                                                  or bench_rules.bench_only_source(s, objects, labels) for s in sources)
                found.require(only_namespaces, where, f"NetworkPolicy {policy['metadata']['name']}: a rule opens the "
                              "metrics port to more than labelled namespaces and the bench pods")
            if not sources and ports & {"echo", int(conf["port"])}:
                echo_open = True
    found.require(echo_open, where, "no NetworkPolicy rule opens the echo port to clients")


def udp_rules(found, objects, where, deployment, conf):
    if conf.get("udp", "off") != "on":
        return
    port = int(conf["port"])
    found.require((port, "UDP") in container_ports(deployment), where,
                  f"udp = on: the container must declare port {port}/UDP")
    found.require(echo_services(objects, deployment, port, "UDP"), where,
                  f"udp = on: a Service must carry port {port}/UDP")
    opened = [o for _, o in objects if o.get("kind") == "NetworkPolicy" for r in o["spec"].get("ingress") or []
              for p in r.get("ports") or [] if p.get("protocol") == "UDP"]
    found.require(opened, where, "udp = on: the NetworkPolicy must open the UDP port")
