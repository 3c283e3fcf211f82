# SPDX-License-Identifier: BSL-1.0
"""Renders a kustomization with `kubectl kustomize` (what `kubectl apply -k` sends) and says
which file each object came from, so a finding can name the file to fix."""
import os
import subprocess
import tempfile
from pathlib import Path

import yaml

ORIGIN = "config.kubernetes.io/origin"


class RenderError(Exception):
    pass


def render(source: Path, targets, components=()):
    """[(file, object)] of the kustomizations at targets plus the given components; file is
    relative to source, with the generator's kind for generated objects."""
    with tempfile.TemporaryDirectory(prefix="echomux-k8s-") as tmp:
        # A kustomization around the target that only asks kustomize to record origins:
        # paths must be relative (kustomize refuses absolute ones).
        wrapper = {
            "apiVersion": "kustomize.config.k8s.io/v1beta1",
            "kind": "Kustomization",
            "resources": [os.path.relpath(target, tmp) for target in targets],
            "buildMetadata": ["originAnnotations"],
        }
        if components:
            wrapper["components"] = [os.path.relpath(c, tmp) for c in components]
        Path(tmp, "kustomization.yaml").write_text(yaml.safe_dump(wrapper))
        try:
            run = subprocess.run(["kubectl", "kustomize", tmp], capture_output=True, text=True, timeout=60)
        except subprocess.TimeoutExpired:
            raise RenderError("kubectl kustomize took more than 60 s")
        if run.returncode != 0:
            raise RenderError(run.stderr.strip())
        objects = []
        for obj in yaml.safe_load_all(run.stdout):
            if obj is None:
                continue
            objects.append((origin_file(obj, Path(tmp), source), obj))
        return objects


def origin_file(obj, wrapper_dir: Path, source: Path) -> str:
    """Removes the origin annotation the wrapper added and returns the file it names."""
    metadata = obj.get("metadata") or {}
    annotations = metadata.get("annotations") or {}
    origin = yaml.safe_load(annotations.pop(ORIGIN, "") or "{}") or {}
    if not annotations:
        metadata.pop("annotations", None)
    path = origin.get("path") or origin.get("configuredIn")
    if not path:
        return "(unknown file)"
    file = os.path.relpath(os.path.normpath(wrapper_dir / path), source)
    generator = (origin.get("configuredBy") or {}).get("kind")
    return f"{file} ({generator})" if generator else file
