# SPDX-License-Identifier: BSL-1.0
"""Rules the API server (or the controllers) apply that the OpenAPI schema cannot say: name
and label syntax, port names, resource quantities (quantity.py) with no request above its
limit, and references between objects that must resolve: selectors that select the pods,
Service targetPorts and probe ports that name a container port, ConfigMaps and
ServiceAccounts that exist. Messages follow the API server's where it has
one. Rules from k8s.io/apimachinery/pkg/util/validation and pkg/apis/*/validation."""
import re

import quantity

DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
DNS1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
IANA_SVC_NAME = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?")
ENV_VAR_NAME = re.compile(r"[-._a-zA-Z][-._a-zA-Z0-9]*")
# A container's resources: these, hugepages-<size>, or a name with a domain (example.com/gpu).
STANDARD_RESOURCES = {"cpu", "memory", "ephemeral-storage"}

# Services name their objects with DNS-1035 labels; everything else here with subdomains.
DNS1035_KINDS = {"Service"}
# The kinds here that carry a pod template (spec.template).
WORKLOAD_KINDS = {"Deployment", "Job"}


def check(objects) -> list:
    """[(file, object, message)] for every rule an object breaks."""
    found = []
    note = lambda file, obj, message: found.append((file, obj, message))
    pods = [(file, obj) for file, obj in objects if obj.get("kind") in WORKLOAD_KINDS]
    for file, obj in objects:
        for message in object_rules(obj):
            note(file, obj, message)
    for file, obj in pods:
        for message in pod_rules(obj, objects):
            note(file, obj, message)
    for file, obj in objects:
        for message in reference_rules(obj, pods, objects):
            note(file, obj, message)
    return found


def name_errors(name, kind) -> list:
    if not isinstance(name, str) or not name:
        return ["metadata.name: required"]
    if kind in DNS1035_KINDS:
        if len(name) > 63 or not DNS1035_LABEL.fullmatch(name):
            return [f"metadata.name '{name}': a {kind} name must be a DNS-1035 label (lower-case letters, "
                    "digits and '-', starting with a letter, at most 63 characters)"]
    elif len(name) > 253 or not DNS1123_SUBDOMAIN.fullmatch(name):
        return [f"metadata.name '{name}': must be a DNS-1123 subdomain (lower-case letters, digits, '-' "
                "and '.', starting and ending alphanumeric, at most 253 characters)"]
    elif kind == "Job" and len(name) > 63:
        return [f"metadata.name '{name}': a Job name must be at most 63 characters (its pods carry it in "
                "the job-name label)"]
    return []


def key_errors(where, key) -> list:
    prefix, _, name = key.rpartition("/")
    if "/" in key and (not prefix or len(prefix) > 253 or not DNS1123_SUBDOMAIN.fullmatch(prefix)):
        return [f"{where} key '{key}': the prefix must be a DNS-1123 subdomain"]
    if len(name) > 63 or not QUALIFIED_NAME.fullmatch(name):
        return [f"{where} key '{key}': the name part must be at most 63 characters of letters, digits, "
                "'-', '_' and '.', starting and ending alphanumeric"]
    return []


def label_errors(where, labels) -> list:
    errors = []
    for key, value in (labels or {}).items():
        errors += key_errors(where, key)
        if not isinstance(value, str):
            errors.append(f"{where} '{key}': value must be a string, not {value!r}")
        elif value and (len(value) > 63 or not QUALIFIED_NAME.fullmatch(value)):
            errors.append(f"{where} '{key}': invalid label value '{value}' (at most 63 characters of "
                          "letters, digits, '-', '_' and '.', starting and ending alphanumeric)")
    return errors


def selector_labels(selector) -> dict:
    """The matchLabels of a LabelSelector, or a Service's plain map."""
    if not isinstance(selector, dict):
        return {}
    if "matchLabels" in selector or "matchExpressions" in selector:
        return selector.get("matchLabels") or {}
    return selector


def selects(selector, labels) -> bool:
    """Whether a LabelSelector (or a Service's map) selects an object with these labels."""
    labels = labels or {}
    if not all(labels.get(k) == v for k, v in selector_labels(selector).items()):
        return False
    for expression in (selector or {}).get("matchExpressions") or []:
        key, operator, values = expression.get("key"), expression.get("operator"), expression.get("values") or []
        present = key in labels
        if (operator == "In" and not (present and labels[key] in values)) or \
           (operator == "NotIn" and present and labels[key] in values) or \
           (operator == "Exists" and not present) or (operator == "DoesNotExist" and present):
            return False
    return True


def object_rules(obj) -> list:
    metadata = obj.get("metadata") or {}
    errors = name_errors(metadata.get("name"), obj.get("kind"))
    errors += label_errors("metadata.labels", metadata.get("labels"))
    for key in (metadata.get("annotations") or {}):
        errors += key_errors("metadata.annotations", key)
    spec = obj.get("spec") or {}
    for where, selector in (("spec.selector", spec.get("selector")), ("spec.podSelector", spec.get("podSelector"))):
        if isinstance(selector, dict):
            errors += label_errors(where, selector_labels(selector))
    if obj.get("kind") == "Service":
        errors += service_port_rules(spec.get("ports") or [])
    return errors


def service_port_rules(ports) -> list:
    errors, seen = [], set()
    for i, port in enumerate(ports):
        name = port.get("name")
        if name is None:
            if len(ports) > 1:
                errors.append(f"spec.ports[{i}].name: required when a Service has more than one port")
            continue
        if len(name) > 63 or not DNS1123_LABEL.fullmatch(name):
            errors.append(f"spec.ports[{i}].name '{name}': must be a DNS-1123 label")
        if name in seen:
            errors.append(f"spec.ports[{i}].name '{name}': duplicate")
        seen.add(name)
    return errors


def port_name_errors(where, name) -> list:
    """IANA_SVC_NAME, as the API server requires of container port names."""
    if len(name) > 15:
        return [f"{where} '{name}': a port name must be at most 15 characters (IANA_SVC_NAME)"]
    if not IANA_SVC_NAME.fullmatch(name) or "--" in name or not re.search("[a-z]", name):
        return [f"{where} '{name}': a port name must be lower-case letters, digits and single '-', "
                "with at least one letter, starting and ending alphanumeric (IANA_SVC_NAME)"]
    return []


def containers_of(deployment):
    return ((deployment.get("spec") or {}).get("template") or {}).get("spec", {}).get("containers") or []


def template_labels(deployment):
    return (((deployment.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels") or {}


def container_ports(deployment):
    """{(name or number, protocol)} of every port any container declares."""
    ports = set()
    for container in containers_of(deployment):
        for port in container.get("ports") or []:
            protocol = port.get("protocol", "TCP")
            ports.add((port.get("containerPort"), protocol))
            if port.get("name"):
                ports.add((port.get("name"), protocol))
    return ports


def pod_rules(deployment, objects) -> list:
    """Rules of a workload's pod template (a Deployment's or a Job's)."""
    spec = deployment.get("spec") or {}
    pod = (spec.get("template") or {}).get("spec") or {}
    labels = template_labels(deployment)
    errors = label_errors("spec.template.metadata.labels", labels)
    restart = pod.get("restartPolicy", "Always")
    if deployment.get("kind") == "Job":
        # The Job controller writes the selector (and a label) of its own.
        if "selector" in spec and spec.get("manualSelector") is not True:
            errors.append("spec.selector: must not be set: the Job controller generates it (unless manualSelector)")
        if restart not in ("Never", "OnFailure"):
            errors.append(f"spec.template.spec.restartPolicy '{restart}': a Job's must be Never or OnFailure")
        for field, least in (("backoffLimit", 0), ("activeDeadlineSeconds", 1), ("ttlSecondsAfterFinished", 0)):
            value = spec.get(field)
            if value is not None and (not isinstance(value, int) or value < least):
                errors.append(f"spec.{field}: must be an integer of at least {least}")
    else:
        if restart != "Always":
            errors.append(f"spec.template.spec.restartPolicy '{restart}': a Deployment's must be Always")
        if not selector_labels(spec.get("selector")) and not (spec.get("selector") or {}).get("matchExpressions"):
            errors.append("spec.selector: must not be empty")
        elif not selects(spec.get("selector"), labels):
            errors.append(f"spec.selector {selector_labels(spec.get('selector'))} does not match the pod template's "
                          f"labels {labels} (the API server refuses it)")
    for i, constraint in enumerate(pod.get("topologySpreadConstraints") or []):
        if not selects(constraint.get("labelSelector"), labels):
            errors.append(f"spec.template.spec.topologySpreadConstraints[{i}].labelSelector selects none of "
                          "these pods, so it spreads nothing")
    names = set()
    for c, container in enumerate(pod.get("containers") or []):
        where = f"spec.template.spec.containers[{c}]"
        if not DNS1123_LABEL.fullmatch(container.get("name", "")) or len(container.get("name", "")) > 63:
            errors.append(f"{where}.name '{container.get('name')}': must be a DNS-1123 label")
        for e, env in enumerate(container.get("env") or []):
            if not ENV_VAR_NAME.fullmatch(env.get("name", "")):
                errors.append(f"{where}.env[{e}].name '{env.get('name')}': not a valid environment variable name")
        for p, port in enumerate(container.get("ports") or []):
            if "name" in port:
                errors += port_name_errors(f"{where}.ports[{p}].name", port["name"])
                key = (port["name"], port.get("protocol", "TCP"))
                if port["name"] in {n for n, _ in names}:
                    errors.append(f"{where}.ports[{p}].name '{port['name']}': duplicate in the pod")
                names.add(key)
            number = port.get("containerPort")
            if not isinstance(number, int) or not 1 <= number <= 65535:
                errors.append(f"{where}.ports[{p}].containerPort: must be 1-65535")
        errors += resource_rules(where, container.get("resources") or {})
        declared = container_ports(deployment)
        for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
            handler = container.get(probe) or {}
            for action in ("httpGet", "tcpSocket", "grpc"):
                port = (handler.get(action) or {}).get("port")
                if isinstance(port, str) and (port, "TCP") not in declared:
                    errors.append(f"{where}.{probe}.{action}.port '{port}': no container port has that name")
    return errors


def resource_rules(where, resources) -> list:
    """Quantities the API server parses, names it knows, and no request above its limit
    (pkg/apis/core/validation ValidateResourceRequirements)."""
    errors, values = [], {}
    for kind in ("limits", "requests"):
        for name, text in (resources.get(kind) or {}).items():
            field = f"{where}.resources.{kind}.{name}"
            if name not in STANDARD_RESOURCES and not name.startswith("hugepages-") and "/" not in name:
                errors.append(f"{field}: Invalid value: \"{name}\": must be a standard resource type or fully qualified")
            try:
                value = quantity.parse(text)
            except quantity.QuantityError as error:
                errors.append(f"{field}: Invalid value: \"{text}\": {error}")
                continue
            if value < 0:
                errors.append(f"{field}: Invalid value: \"{text}\": must be greater than or equal to 0")
            values[kind, name] = (value, text)
    for (kind, name), (value, text) in values.items():
        limit = values.get(("limits", name))
        if kind == "requests" and limit and value > limit[0]:
            errors.append(f"{where}.resources.requests.{name}: Invalid value: \"{text}\": must be less than or "
                          f"equal to {name} limit of {limit[1]}")
    return errors


def reference_rules(obj, pods, objects) -> list:
    kind, spec = obj.get("kind"), obj.get("spec") or {}
    errors = []
    if kind in WORKLOAD_KINDS:
        pod = (spec.get("template") or {}).get("spec") or {}
        existing = {(o.get("kind"), (o.get("metadata") or {}).get("name")) for _, o in objects}
        for v, volume in enumerate(pod.get("volumes") or []):
            name = (volume.get("configMap") or {}).get("name")
            if name and ("ConfigMap", name) not in existing:
                errors.append(f"spec.template.spec.volumes[{v}].configMap.name '{name}': no such ConfigMap here")
        account = pod.get("serviceAccountName")
        if account and ("ServiceAccount", account) not in existing:
            errors.append(f"spec.template.spec.serviceAccountName '{account}': no such ServiceAccount here")
    selected = []
    if kind == "Service":
        selected = [d for _, d in pods if selects(spec.get("selector"), template_labels(d))]
    elif kind in ("PodDisruptionBudget", "NetworkPolicy"):
        selector = spec.get("selector") if kind == "PodDisruptionBudget" else spec.get("podSelector")
        selected = [d for _, d in pods if selects(selector, template_labels(d))]
    if kind in ("Service", "PodDisruptionBudget", "NetworkPolicy") and not selected:
        errors.append("its selector selects no pod of the workloads here")
    ports = set().union(*(container_ports(d) for d in selected)) if selected else set()
    if kind == "Service" and selected:
        for i, port in enumerate(spec.get("ports") or []):
            target = port.get("targetPort", port.get("port"))
            if (target, port.get("protocol", "TCP")) not in ports:
                errors.append(f"spec.ports[{i}].targetPort '{target}' ({port.get('protocol', 'TCP')}): "
                              "no container port of the selected pods has it")
    if kind == "NetworkPolicy" and selected:
        for r, rule in enumerate(spec.get("ingress") or []):
            for p, port in enumerate(rule.get("ports") or []):
                if isinstance(port.get("port"), str) and (port["port"], port.get("protocol", "TCP")) not in ports:
                    errors.append(f"spec.ingress[{r}].ports[{p}].port '{port['port']}': no container port of "
                                  "the selected pods has that name")
    if kind == "ServiceMonitor":
        services = [o for _, o in objects if o.get("kind") == "Service"
                    and selects(spec.get("selector"), (o.get("metadata") or {}).get("labels"))]
        if not services:
            errors.append("spec.selector selects no Service here")
        names = {p.get("name") for s in services for p in (s.get("spec") or {}).get("ports") or []}
        for e, endpoint in enumerate(spec.get("endpoints") or []):
            if "port" in endpoint and endpoint["port"] not in names:
                errors.append(f"spec.endpoints[{e}].port '{endpoint['port']}': no selected Service has a port "
                              "of that name, so Prometheus scrapes nothing")
    return errors
