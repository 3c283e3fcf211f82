# SPDX-License-Identifier: BSL-1.0
"""Strict JSON Schema validation of rendered objects against the vendored schemas in
schema/ (see schema/README.md): an unknown field anywhere is an error, named with its path
and the field it most likely meant; so is a value that an enum field does not take."""
import difflib
import json
from pathlib import Path

from jsonschema import Draft202012Validator

SCHEMA_FILES = ("kubernetes-strict.json", "servicemonitor-strict.json", "cert-manager-strict.json")


class Schemas:
    def __init__(self, directory: Path):
        self.defs, self.kinds, self.sources = {}, {}, []
        for name in SCHEMA_FILES:
            doc = json.loads((directory / name).read_text())
            self.defs.update(doc["$defs"])
            self.kinds.update(doc["x-kinds"])
            self.sources.append(doc["title"])

    def errors(self, obj) -> list:
        kind = f"{obj.get('apiVersion')}/{obj.get('kind')}"
        name = self.kinds.get(kind)
        if name is None:
            return [f"no schema for {kind} (schema/ has: {', '.join(sorted(self.kinds))})"]
        validator = Draft202012Validator({"$defs": self.defs, "$ref": f"#/$defs/{name}"})
        found = []
        for error in sorted(validator.iter_errors(obj), key=lambda e: list(map(str, e.absolute_path))):
            found.extend(describe(error))
        return found


def describe(error) -> list:
    path = field_path(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = list((error.schema.get("properties") or {}).keys())
        return [f"{path}: unknown field '{field}'{did_you_mean(field, known)}"
                for field in sorted(error.instance) if field not in known]
    if error.validator == "const":
        return [f"{path}: must be {error.validator_value!r}"]
    if error.validator == "enum":
        # The API server's wording (field.NotSupported).
        allowed = ", ".join(f'"{v}"' for v in error.validator_value)
        return [f'{path}: Unsupported value: {json.dumps(error.instance)}: supported values: {allowed}'
                f"{did_you_mean(str(error.instance), [str(v) for v in error.validator_value])}"]
    return [f"{path}: {error.message}"]


def did_you_mean(field: str, known: list) -> str:
    lowered = {k.lower(): k for k in known}
    close = difflib.get_close_matches(field.lower(), list(lowered), n=1, cutoff=0.75)
    return f" (did you mean '{lowered[close[0]]}'?)" if close else ""


def field_path(parts) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "(top level)"
