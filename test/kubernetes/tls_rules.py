# SPDX-License-Identifier: BSL-1.0
"""echomux's TLS listener on Kubernetes (overlays/tls, components/cert-manager): the port
echomux serves TLS on (tls_port) is declared by the container, carried by a Service and open
in the NetworkPolicy; the certificate and key it reads (tls_cert, tls_key) come from a
kubernetes.io/tls Secret mounted read-only as a directory, never by subPath (the kubelet
never updates a subPath mount, so a renewed certificate would never reach the pod); and a
cert-manager Certificate writes the Secret that is mounted."""
import posixpath

from api_rules import container_ports

# The keys of a kubernetes.io/tls Secret (kubectl create secret tls, cert-manager) and which
# echomux setting reads each.
SECRET_KEYS = {"tls_cert": "tls.crt", "tls_key": "tls.key"}


def check(found, objects, where, deployment, pod, container, conf, echo_services):
    """Adds findings; echo_services(objects, deployment, port, protocol) are the Services that
    carry a port of the pods."""
    require = found.require
    secrets = set()
    port = int(conf.get("tls_port") or 0)
    if port:
        require((port, "TCP") in container_ports(deployment), where,
                f"tls_port = {port}: the container must declare port {port}/TCP")
        require(echo_services(objects, deployment, port, "TCP"), where,
                f"tls_port = {port}: no Service carries port {port}/TCP, so clients cannot reach it")
        names = {p.get("name") for p in container.get("ports") or [] if p.get("containerPort") == port} - {None}
        opened = [r for _, o in objects if o.get("kind") == "NetworkPolicy" for r in o["spec"].get("ingress") or []
                  if not r.get("from") and any(p.get("port") in names | {port} for p in r.get("ports") or [])]
        require(opened, where, f"tls_port = {port}: no NetworkPolicy rule opens it to clients")
    if conf.get("tls_cert"):
        for key in SECRET_KEYS:
            # An empty tls_key means the key is in tls_cert's file.
            path = conf.get(key) or conf["tls_cert"]
            secrets |= secret_file_rules(found, where, pod, container, key, path)
    for file, certificate in [(f, o) for f, o in objects if o.get("kind") == "Certificate"]:
        name = (certificate.get("spec") or {}).get("secretName")
        require(name in secrets, (file, certificate),
                f"spec.secretName '{name}': not the Secret echomux reads tls_cert and tls_key from "
                f"({', '.join(sorted(secrets)) or 'none: echomux serves no TLS here'})")


def secret_file_rules(found, where, pod, container, key, path) -> set:
    """Checks the mount that holds one file echomux reads; returns the Secret's name."""
    require = found.require
    mounts = [m for m in container.get("volumeMounts") or []
              if path == m.get("mountPath") or path.startswith(m.get("mountPath", "").rstrip("/") + "/")]
    if not mounts:
        require(False, where, f"{key} {path}: on no volume mount of the container (the image has no certificate)")
        return set()
    mount = max(mounts, key=lambda m: len(m["mountPath"]))
    volume = next((v for v in pod.get("volumes") or [] if v.get("name") == mount.get("name")), {})
    secret = volume.get("secret")
    if not secret:
        require(False, where, f"{key} {path}: volumeMount '{mount.get('name')}' is not a Secret volume "
                "(mount the kubernetes.io/tls Secret, which is what cert-manager renews)")
        return set()
    sub = mount.get("subPath") or mount.get("subPathExpr")
    require(not sub, where,
            f"{key} {path}: volumeMount '{mount.get('name')}' uses subPath, which the kubelet never updates: a "
            "renewed certificate would never reach the pod (mount the Secret as a directory)")
    require(mount.get("readOnly") is True, where,
            f"{key} {path}: volumeMount '{mount.get('name')}' must be readOnly: true (echomux only reads it)")
    # The Secret key behind the file: the subPath, or the path under the mount through items.
    file = sub or posixpath.relpath(path, mount["mountPath"])
    items = {i.get("path"): i.get("key") for i in secret.get("items") or []}
    secret_key = items.get(file) if items else file
    require(secret_key is not None, where, f"{key} {path}: the volume's items do not put any key of "
            f"'{secret.get('secretName')}' there")
    require(secret_key in (None, SECRET_KEYS[key]), where,
            f"{key} {path}: is Secret key '{secret_key}' of '{secret.get('secretName')}'; a kubernetes.io/tls "
            f"Secret keeps it in {SECRET_KEYS[key]}")
    return {secret.get("secretName")}
