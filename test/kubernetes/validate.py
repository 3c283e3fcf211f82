#!/usr/bin/env python3
# SPDX-License-Identifier: BSL-1.0
"""Offline check of one variant of deploy/kubernetes, on what `kubectl apply -k` would send:
renders it with `kubectl kustomize`, then checks every object against the strict schema
(schema_check), the API server's own rules (api_rules) and echomux's (echomux_rules).
Prints one line per finding, naming the file, the object and the field; exits 1 on any.

Several kustomizations are rendered together, as if applied to one namespace (the bench
Job with the server it loads).

Usage: validate.py SOURCE_DIR ECHOMUX KUSTOMIZATION_DIR... [--component DIR]..."""
import argparse
import sys
from pathlib import Path

import api_rules
import echomux_rules
from render import RenderError, render
from schema_check import Schemas

HERE = Path(__file__).resolve().parent


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("source", type=Path)
    parser.add_argument("echomux")
    parser.add_argument("targets", type=Path, nargs="+")
    parser.add_argument("--component", type=Path, action="append", default=[])
    args = parser.parse_args()
    source = args.source.resolve()
    variant = " + ".join(str(p.resolve().relative_to(source)) for p in [*args.targets, *args.component])
    try:
        objects = render(source, [t.resolve() for t in args.targets], [c.resolve() for c in args.component])
    except RenderError as error:
        print(f"FAIL {variant}: kubectl kustomize: {error}")
        return 1
    failures = []
    schemas = Schemas(HERE / "schema")
    for file, obj in objects:
        failures += [(file, obj, message) for message in schemas.errors(obj)]
    failures += api_rules.check(objects)
    findings = echomux_rules.check(objects, args.echomux, source)
    failures += [(file, obj, message) for (file, obj), message in findings.failures]
    for file, obj, message in failures:
        name = f"{obj.get('kind', '?')}/{(obj.get('metadata') or {}).get('name', '?')}" if obj else "-"
        print(f"FAIL {variant}: {file} {name}: {message}")
    if failures:
        return 1
    kinds = ", ".join(sorted({o["kind"] for _, o in objects}))
    print(f"ok {variant}: {len(objects)} objects ({kinds}) valid against {'; '.join(schemas.sources)}; "
          "API rules and echomux rules hold")
    return 0


if __name__ == "__main__":
    sys.exit(main())
