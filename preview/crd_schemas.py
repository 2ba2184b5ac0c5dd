"""Custom resources validated against their CRDs' ``openAPIV3Schema`` (files in ``preview/crds/``).

Made as strict as the built-in kinds: an object without ``additionalProperties`` or
``x-kubernetes-preserve-unknown-fields`` refuses unknown fields (the API server would prune
them silently, which loses a misspelt field just the same).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import jsonschema
import yaml

CRD_DIR = Path(__file__).resolve().parent / "crds"


def _strict(schema: dict[str, Any]) -> dict[str, Any]:
    schema = dict(schema)
    if "properties" in schema:
        schema["properties"] = {name: _strict(sub) for name, sub in schema["properties"].items()}
        if "additionalProperties" not in schema and not schema.get("x-kubernetes-preserve-unknown-fields"):
            schema["additionalProperties"] = False
    if isinstance(schema.get("items"), dict):
        schema["items"] = _strict(schema["items"])
    if isinstance(schema.get("additionalProperties"), dict):
        schema["additionalProperties"] = _strict(schema["additionalProperties"])
    if schema.get("x-kubernetes-int-or-string"):
        schema.setdefault("anyOf", [{"type": "integer"}, {"type": "string"}])
    if schema.get("nullable") and "type" in schema:
        schema["type"] = [schema["type"], "null"]
    return schema


@functools.cache
def _schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) -> the version's schema, for every CRD file."""
    schemas: dict[tuple[str, str], dict[str, Any]] = {}
    for path in sorted(CRD_DIR.glob("*.yaml")):
        for crd in yaml.safe_load_all(path.read_text()):
            if not crd:
                continue
            group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
            for version in crd["spec"]["versions"]:
                schema = _strict(version["schema"]["openAPIV3Schema"])
                # apiVersion, kind and metadata are the API server's: any valid value is accepted here.
                schema["properties"] = {**schema["properties"], "metadata": {"type": "object"}}
                schemas[(f"{group}/{version['name']}", kind)] = schema
    return schemas


@functools.cache
def crd_validator(kind: str, api_version: str) -> jsonschema.protocols.Validator | None:
    schema = _schemas().get((api_version, kind))
    return None if schema is None else jsonschema.Draft7Validator(schema)
