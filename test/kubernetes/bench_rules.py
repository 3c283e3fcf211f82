# SPDX-License-Identifier: BSL-1.0
"""What a bench Job (deploy/kubernetes/bench) must be, checked with the server objects it
loads rendered beside it: bounded in time, from the bench image of the server's version,
with arguments echomux-bench itself accepts, aimed at the echomux Services by their real
names and ports, let through to /metrics, and never taken for a server pod. The hardening
it shares with the server's pods is echomux_rules.hardening_rules."""
import re
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

from api_rules import selector_labels, selects, template_labels

BENCH = "echomux-bench"
# Past warm-up + duration + drain: scheduling, the image pull and the name lookups.
STARTUP_SECONDS = 30
VARIABLE = re.compile(r"\$\(([-._a-zA-Z][-._a-zA-Z0-9]*)\)")


def bench_container(job):
    return next((c for c in job["spec"]["template"]["spec"].get("containers") or []
                 if Path((c.get("command") or [""])[0]).name == BENCH), None)


def bench_jobs(objects):
    """[(file, Job)] of the Jobs that run echomux-bench."""
    return [(f, o) for f, o in objects if o.get("kind") == "Job"
            and ((o.get("spec") or {}).get("template") or {}).get("spec") and bench_container(o)]


def image_files(source: Path, target: str) -> set:
    """The paths the Dockerfile's stage `target` copies into its image."""
    stage, files = None, set()
    for line in (source / "Dockerfile").read_text().splitlines():
        m = re.match(r"FROM\s+\S+(?:\s+AS\s+(\S+))?", line, re.I)
        if m:
            stage = (m.group(1) or "").lower()
        elif stage == target and re.match(r"COPY\s", line, re.I):
            files.add(line.split()[-1])
    return files


def option_values(args) -> dict:
    """{option: value} of `--name=value` and `--name value` arguments (`--json`: '')."""
    values, i = {}, 0
    while i < len(args):
        arg = args[i]
        if arg.startswith("--"):
            name, eq, value = arg[2:].partition("=")
            if not eq and i + 1 < len(args) and not args[i + 1].startswith("-"):
                value, i = args[i + 1], i + 1
            values[name] = value
        i += 1
    return values


def help_defaults(bench: str) -> dict:
    """{option: default} from `echomux-bench run --help` ("--warmup arg (=0.5)")."""
    run = subprocess.run([bench, "run", "--help"], capture_output=True, text=True, timeout=30)
    return dict(re.findall(r"--([a-z-]+)(?: \])? arg \(=([^)]*)\)", run.stdout))


def number(text, kind=int):
    """The argument as a number, or None (echomux-bench, run on the arguments, says why)."""
    try:
        return kind(text)
    except (TypeError, ValueError):
        return None


def server_container(deployment):
    return next(c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == "echomux")


def service_named(objects, host, env, found, where, option):
    """The Service a host name in the Job's arguments names, or None (with a finding)."""
    labels = host.split(".")
    if len(labels) > 1:
        namespace = VARIABLE.fullmatch(labels[1])
        found.require(namespace and env.get(namespace.group(1)) == "metadata.namespace"
                      and labels[2:] in (["svc"], ["svc", "cluster", "local"]), where,
                      f"{option} '{host}': name the Service as NAME or NAME.$(POD_NAMESPACE).svc, with "
                      "POD_NAMESPACE from metadata.namespace (a namespace written out breaks under -n)")
    service = next((o for _, o in objects if o.get("kind") == "Service" and o["metadata"].get("name") == labels[0]),
                   None)
    found.require(service, where, f"{option} '{host}': no Service '{labels[0]}' here")
    return service


def service_port_to(service, port, container_port_names, protocol="TCP"):
    """Whether the Service's `port` leads to one of these container ports."""
    return any(p.get("port") == port and p.get("protocol", "TCP") == protocol
               and p.get("targetPort", p.get("port")) in container_port_names for p in service["spec"].get("ports") or [])


def check(found, objects, where, job, deployment, conf, echomux, source: Path):
    require = found.require
    spec, pod = job["spec"], job["spec"]["template"]["spec"]
    container = bench_container(job)
    # One run, bounded in time, cleaned up.
    require(spec.get("backoffLimit") == 0, where,
            "backoffLimit must be 0: a failed run is a result (the default, 6, runs the load 7 times)")
    require("ttlSecondsAfterFinished" in spec, where,
            "ttlSecondsAfterFinished must be set, so finished bench Jobs and their pods do not pile up")
    require(pod.get("restartPolicy") != "OnFailure", where,
            "restartPolicy must be Never: OnFailure runs the load again, in the same pod")
    # The bench image of the server's version.
    server_image = server_container(deployment)["image"]
    image = container.get("image", "")
    (repository, _, tag), (server_repository, _, server_tag) = image.rpartition(":"), server_image.rpartition(":")
    require(repository == f"{server_repository.rpartition('/')[0]}/{BENCH}" and tag == server_tag, where,
            f"image '{image}' must be {BENCH} beside the server's '{server_image}', with its tag "
            "(the Dockerfile's bench target)")
    command = container.get("command") or []
    require(command[0] in image_files(source, "bench"), where,
            f"command '{command[0]}': the Dockerfile's bench stage puts no such file in the image")
    # Its arguments: ones echomux-bench accepts, with every $(VAR) defined.
    env = {e.get("name"): ((e.get("valueFrom") or {}).get("fieldRef") or {}).get("fieldPath", e.get("value"))
           for e in container.get("env") or []}
    args = [str(a) for a in command[1:] + (container.get("args") or [])]
    for name in sorted({m for a in args for m in VARIABLE.findall(a)} - env.keys()):
        require(False, where, f"args: $({name}) is not in env: the kubelet would pass it on literally")
    bench = str(Path(echomux).with_name(BENCH))
    if not Path(bench).is_file():
        require(False, where, f"{bench} not found: build it beside echomux, to check the Job's arguments")
        return
    # --help last: echomux-bench parses every argument first, so it refuses a wrong one.
    run = subprocess.run([bench] + [VARIABLE.sub("default", a) for a in args] + ["--help"],
                         capture_output=True, text=True, timeout=30)
    require(run.returncode == 0, where,
            f"echomux-bench refuses these arguments: {(run.stderr.strip().splitlines() or ['?'])[0]}")
    require(args[:1] == ["run"] and "--json" in args, where, "args must be `run ... --json` (JSON in the log)")
    given = {**help_defaults(bench), **option_values(args[1:])}
    length = sum(number(given.get(k), float) or 0 for k in ("warmup", "duration", "drain-timeout"))
    deadline = spec.get("activeDeadlineSeconds")
    require(isinstance(deadline, int) and deadline >= length + STARTUP_SECONDS, where,
            f"activeDeadlineSeconds must be set, and at least warm-up + duration + drain ({length:g} s) + "
            f"{STARTUP_SECONDS} s, so a run that hangs is stopped and one that does not is not")
    # Not a server pod: otherwise the echomux Service sends clients to it, and the budget and
    # spread count it.
    require(not selects(deployment["spec"].get("selector"), template_labels(job)), where,
            "the server's selector selects the bench pods: the echomux Service and PodDisruptionBudget "
            "would take them for servers (give them their own app.kubernetes.io/name and instance)")
    if conf is None:
        return
    server_labels = template_labels(deployment)
    ports = {p.get("name"): p.get("containerPort") for p in server_container(deployment).get("ports") or []}
    echo = {"echo", int(conf["port"])}
    service = service_named(objects, given.get("host", ""), env, found, where, "--host")
    if service:
        require(selects(service["spec"].get("selector"), server_labels), where,
                f"--host: Service '{service['metadata']['name']}' does not select the echomux pods")
        require(service_port_to(service, number(given.get("port")), echo), where,
                f"--port {given.get('port')}: Service '{service['metadata']['name']}' has no TCP port of "
                f"that number to the echo port ({ports.get('echo')})")
    if conf.get("proxy_protocol", "off") == "required":
        require(False, where, "proxy_protocol = required: echomux refuses the bench, which sends no PROXY header")
    if "metrics-url" in given:
        metrics_rules(found, objects, where, job, deployment, conf, env, given["metrics-url"])


def metrics_rules(found, objects, where, job, deployment, conf, env, url):
    """--metrics-url: the metrics Service's port and path, and a NetworkPolicy that lets the
    bench pods through to it."""
    require = found.require
    parts = urlsplit(url)
    port = number(parts.netloc.partition(":")[2] or 80)
    require(parts.scheme == "http" and parts.path == "/metrics", where,
            f"--metrics-url '{url}': must be http://SERVICE:PORT/metrics")
    metrics = {"metrics", int(conf["metrics_port"])}
    # Not parts.hostname: it lower-cases $(POD_NAMESPACE).
    service = service_named(objects, parts.netloc.partition(":")[0], env, found, where, "--metrics-url")
    if service:
        serving = [o["metadata"]["name"] for _, o in objects if o.get("kind") == "Service"
                   and service_port_to(o, int(conf["metrics_port"]), metrics)]
        require(service_port_to(service, port, metrics), where,
                f"--metrics-url '{url}': Service '{service['metadata']['name']}' has no port {port} "
                f"to the metrics port (Services that have: {', '.join(serving) or 'none'})")
    server_labels, bench_labels = template_labels(deployment), template_labels(job)
    admitted = False
    for _, policy in objects:
        if policy.get("kind") != "NetworkPolicy" or not selects(policy["spec"].get("podSelector"), server_labels):
            continue
        for rule in policy["spec"].get("ingress") or []:
            to_metrics = not rule.get("ports") or any(p.get("port") in metrics for p in rule["ports"])
            sources = rule.get("from") or []
            lets_in = not sources or any(set(s) == {"podSelector"} and selects(s["podSelector"], bench_labels)
                                         for s in sources)
            admitted = admitted or (to_metrics and lets_in)
    require(admitted, where, "--metrics-url: no NetworkPolicy lets the bench pods reach the metrics port "
            "(where policies are enforced, the scrape would time out)")


def bench_only_source(source, objects, server_labels) -> bool:
    """Whether a NetworkPolicy source is a podSelector of this namespace's bench pods only:
    one with labels, selecting a bench Job's pods and no server's."""
    selector = source.get("podSelector")
    return (set(source) == {"podSelector"} and bool(selector_labels(selector))
            and not selects(selector, server_labels)
            and any(selects(selector, template_labels(job)) for _, job in bench_jobs(objects)))
