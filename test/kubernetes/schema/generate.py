#!/usr/bin/env python3
"""Writes kubernetes-strict.json, the strict JSON Schema (draft 2020-12) of the Kubernetes
kinds deploy/kubernetes uses, from the models of the npm package @kubernetes/client-node,
which its authors generate from the Kubernetes OpenAPI spec. Field names, types and which
fields are required come from the package; every object gets additionalProperties: false
(kubeconform's -strict), so a misspelled field is an error instead of silently dropped.

client-node types enum fields as plain strings; their values (the OpenAPI's "enum", e.g.
imagePullPolicy: Always | IfNotPresent | Never) come from a second package generated from the
same spec, kubernetes-models, whose .d.ts files keep them as string unions. It has no release
for v1.32: 4.5.1 is v1.33 (it has Lifecycle.stopSignal, new in 1.33; not
Container.restartPolicyRules, new in 1.34). Kubernetes only ever adds enum values, so a value
new in 1.33 would pass here and be refused by a 1.32 API server; no value 1.32 takes is refused.

Run by hand when moving to another Kubernetes version (the test only reads the output):
  cd "$(mktemp -d)" && npm pack @kubernetes/client-node@1.0.0 kubernetes-models@4.5.1
  mkdir cn km && tar xzf kubernetes-client-node-1.0.0.tgz -C cn && tar xzf kubernetes-models-4.5.1.tgz -C km
  python3 test/kubernetes/schema/generate.py "$PWD/cn/package" "$PWD/km/package" > test/kubernetes/schema/kubernetes-strict.json
"""
import json
import re
import sys
from pathlib import Path

# apiVersion, kind -> the model that describes it.
KINDS = {
    ("v1", "ConfigMap"): "V1ConfigMap",
    ("v1", "Service"): "V1Service",
    ("v1", "ServiceAccount"): "V1ServiceAccount",
    ("apps/v1", "Deployment"): "V1Deployment",
    ("policy/v1", "PodDisruptionBudget"): "V1PodDisruptionBudget",
    ("networking.k8s.io/v1", "NetworkPolicy"): "V1NetworkPolicy",
    ("batch/v1", "Job"): "V1Job",
}
# Written by controllers, never by a manifest: leaving them out keeps the file small and
# makes a stray status block an error.
OMITTED = {"status"}

FIELD = re.compile(r'\{\s*"name": "[^"]*",\s*"baseName": "([^"]*)",\s*"type": "([^"]*)",\s*"format": "([^"]*)"\s*\}')
DECLARED = re.compile(r"^    '([^']+)'(\?)?:", re.M)


def model(models: Path, name: str):
    """(fields [(json name, type, format)], required json names) of one generated model."""
    js = (models / f"{name}.js").read_text()
    table = js[js.index(f"{name}.attributeTypeMap = ["):]
    fields = FIELD.findall(table[: table.index("];")])
    required = {m.group(1) for m in DECLARED.finditer((models / f"{name}.d.ts").read_text()) if not m.group(2)}
    return fields, required


# One exported model of kubernetes-models: its interface, and the OpenAPI name it is exported as.
INTERFACE = re.compile(r"^export interface (I\w+) \{\n(.*?)^\}", re.M | re.S)
EXPORTED = re.compile(r"^export \{ (I\w+) as IIoK8s\w*?V1(\w+)(?:,| \})", re.M)
ENUM_FIELD = re.compile(r'^    "(\w+)"\??: (Array<)?("[^"]*"(?: \| "[^"]*")*)>?;$', re.M)


def enums(models: Path) -> dict:
    """{model name as client-node spells it (V1Container): {field: [values]}} from the string
    unions in kubernetes-models' .d.ts files. Only v1 groups: every kind here is v1."""
    found = {}
    for dts in sorted(models.rglob("v1/*.d.ts")):
        text = dts.read_text()
        for exported in EXPORTED.finditer(text):
            body = next((m.group(2) for m in INTERFACE.finditer(text) if m.group(1) == exported.group(1)), "")
            fields = {m.group(1): [v.strip('"') for v in m.group(3).split(" | ")] for m in ENUM_FIELD.finditer(body)}
            # A name two groups share (none among the kinds here) would take one group's values.
            found.setdefault(f"V1{exported.group(2)}", {}).update(fields)
    return found


def type_schema(ts: str, fmt: str, pending: list):
    if ts.startswith("Array<") and ts.endswith(">"):
        return {"type": "array", "items": type_schema(ts[6:-1], "", pending)}
    m = re.fullmatch(r"\{ \[key: string\]: (.+); \}", ts)
    if m:
        return {"type": "object", "additionalProperties": type_schema(m.group(1), "", pending)}
    if ts == "string" or ts == "Date":
        return {"type": "string"}
    if ts == "number":
        return {"type": "number"} if fmt == "double" else {"type": "integer"}
    if ts == "boolean":
        return {"type": "boolean"}
    if ts == "IntOrString":
        return {"type": ["integer", "string"]}
    if ts == "any":
        return {}
    pending.append(ts)
    return {"$ref": f"#/$defs/{ts}"}


def main(package: Path, models_package: Path):
    models = package / "dist" / "gen" / "models"
    header = (models / "V1Deployment.js").read_text()
    version = re.search(r"OpenAPI spec version: (\S+)", header).group(1)
    meta = json.loads((package / "package.json").read_text())
    values = enums(models_package)
    models_meta = json.loads((models_package / "package.json").read_text())
    defs, pending = {}, list(KINDS.values())
    while pending:
        name = pending.pop()
        if name in defs:
            continue
        fields, required = model(models, name)
        top = name in KINDS.values()
        props = {
            json_name: type_schema(ts, fmt, pending)
            for json_name, ts, fmt in fields
            if not (top and json_name in OMITTED)
        }
        for field, allowed in values.get(name, {}).items():
            target = props.get(field, {})
            target = target.get("items", target) if target.get("type") == "array" else target
            if target.get("type") == "string":
                target["enum"] = allowed
        schema = {"type": "object", "properties": props, "additionalProperties": False}
        if required:
            schema["required"] = sorted(required & props.keys())
        defs[name] = schema
    for (api_version, kind), name in KINDS.items():
        defs[name]["properties"]["apiVersion"] = {"const": api_version}
        defs[name]["properties"]["kind"] = {"const": kind}
        defs[name]["required"] = sorted(set(defs[name].get("required", [])) | {"apiVersion", "kind", "metadata"})
    out = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"Kubernetes {version}, strict",
        "$comment": (f"Generated by test/kubernetes/schema/generate.py from the "
                     f"models of npm {meta['name']}@{meta['version']}, enum values from "
                     f"{models_meta['name']}@{models_meta['version']}; do not edit by hand."),
        "x-kinds": {f"{v}/{k}": n for (v, k), n in sorted(KINDS.items())},
        "$defs": dict(sorted(defs.items())),
    }
    json.dump(out, sys.stdout, indent=1, sort_keys=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
