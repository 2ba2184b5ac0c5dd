"""Custom resources checked against the schemas their projects publish (vendored in preview/crds/).

A CRD's ``openAPIV3Schema`` is the API server's own check. Strict mode adds what
``fieldValidation=Strict`` (kubectl's and server-side apply's default) enforces: a field the
schema does not declare is an error, not silently pruned.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import jsonschema
import yaml

CRD_DIR = Path(__file__).resolve().parent / "crds"


@functools.cache
def published_schemas() -> dict[tuple[str, str, str], dict[str, Any]]:
    """(group, version, kind) -> openAPIV3Schema, from every vendored CRD."""
    schemas: dict[tuple[str, str, str], dict[str, Any]] = {}
    for path in sorted(CRD_DIR.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if not document or document.get("kind") != "CustomResourceDefinition":
                continue
            spec = document["spec"]
            for version in spec["versions"]:
                key = (spec["group"], version["name"], spec["names"]["kind"])
                schemas[key] = version["schema"]["openAPIV3Schema"]
    return schemas


def strict(schema: Any) -> Any:
    """``schema`` with undeclared fields refused wherever it declares properties."""
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result = {key: strict(value) for key, value in schema.items()}
    open_object = "additionalProperties" in schema or schema.get("x-kubernetes-preserve-unknown-fields")
    if "properties" in schema and not open_object:
        result["additionalProperties"] = False
    return result


@functools.cache
def crd_validator(
    kind: str, api_version: str, *, strict_fields: bool
) -> jsonschema.protocols.Validator | None:
    """A validator for ``kind`` in ``api_version`` (``cert-manager.io/v1``), or None when not vendored."""
    group, _, version = api_version.rpartition("/")
    schema = published_schemas().get((group, version, kind))
    if schema is None:
        return None
    return jsonschema.Draft202012Validator(strict(schema) if strict_fields else schema)
