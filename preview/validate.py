"""Kubernetes objects checked against the official JSON schemas (``kubernetes-validate``), offline.

Strict schemas: a field the API server does not know is an error, as a typo would be lost
silently by a real cluster.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import jsonschema
from kubernetes_validate import utils as kv
from packaging.version import Version
from referencing import Registry, Resource

from preview.crd_schemas import crd_validator

# The Kubernetes release the manifests are checked against unless --kubernetes-version says otherwise.
DEFAULT_KUBERNETES_VERSION = "1.37"


class UnsupportedVersionError(Exception):
    """The installed kubernetes-validate has no schemas for the requested Kubernetes version."""


@dataclass(frozen=True)
class SchemaProblem:
    """One field of one object that the schema rejects (or an object with no schema at all)."""

    resource: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.resource}: {self.path or '(object)'}: {self.message}"


def supported_versions() -> list[str]:
    """``major.minor`` versions the installed kubernetes-validate ships schemas for."""
    return sorted({kv.major_minor(version) for version in kv.all_versions()}, key=Version)


def schema_version(requested: str) -> str:
    """The schema folder's version for ``requested`` (``1.34`` or ``v1.34.2``); exact minor only."""
    minor = kv.major_minor(requested.removeprefix("v"))
    matches = [version for version in kv.all_versions() if kv.major_minor(version) == minor]
    if not matches:
        raise UnsupportedVersionError(
            f"--kubernetes-version {requested}: no schemas installed for it "
            f"(kubernetes-validate has {', '.join(supported_versions())})"
        )
    return matches[-1]


def object_name(manifest: dict[str, Any]) -> str:
    """``Kind namespace/name`` as a person looks for it in the cluster."""
    metadata = manifest.get("metadata") or {}
    name = metadata.get("name", "?")
    namespace = metadata.get("namespace")
    return (
        f"{manifest.get('kind', '?')} {namespace}/{name}"
        if namespace
        else f"{manifest.get('kind', '?')} {name}"
    )


@functools.cache
def _definitions(schema_dir: str) -> Resource[Any]:
    # 1.8 MB of JSON: read once per run, not once per object.
    return Resource.from_contents(
        kv.schema_contents(f"kubernetes-json-schema/{schema_dir}/_definitions.json", schema_dir)
    )


@functools.cache
def _validator(schema_dir: str, kind: str, api_version: str) -> jsonschema.protocols.Validator | None:
    # apps/v1 -> apps-v1, rbac.authorization.k8s.io/v1 -> rbac-v1 (kubernetes-validate's file names).
    file_api = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    try:
        schema = kv.schema_contents(
            f"kubernetes-json-schema/{schema_dir}/{kind.lower()}-{file_api}.json", schema_dir
        )
    except FileNotFoundError:
        return crd_validator(kind, api_version)
    registry: Registry[Any] = _definitions(schema_dir) @ (Resource.from_contents(schema) @ Registry())
    return jsonschema.Draft202012Validator(schema, registry=registry)


def field_path(parts: Iterable[str | int]) -> str:
    """``spec.template.spec.containers[0].image`` from jsonschema's absolute path."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


@dataclass
class ValidationResult:
    problems: list[SchemaProblem] = field(default_factory=list)
    # Objects of kinds no schema covers (custom resources without a vendored CRD in
    # preview/crds/): listed, never silently passed.
    unchecked: list[str] = field(default_factory=list)
    checked: int = 0


def validate_manifests(
    manifests: Iterable[dict[str, Any]], version: str, *, strict: bool = True
) -> ValidationResult:
    """Every schema error of every object (not only the first one), each with its field path."""
    schema_dir = f"v{schema_version(version)}-local" + ("-strict" if strict else "")
    result = ValidationResult()
    for manifest in manifests:
        name = object_name(manifest)
        validator = _validator(schema_dir, str(manifest.get("kind", "")), str(manifest.get("apiVersion", "")))
        if validator is None:
            result.unchecked.append(f"{name} ({manifest.get('apiVersion')})")
            continue
        result.checked += 1
        errors = sorted(validator.iter_errors(manifest), key=lambda error: field_path(error.absolute_path))
        result.problems += [
            SchemaProblem(name, field_path(error.absolute_path), _message(error)) for error in errors
        ]
    return result


def _message(error: jsonschema.ValidationError) -> str:
    # The schema's own wording, shortened: a long instance repr helps nobody in a PR comment.
    message = error.message
    return message if len(message) <= 200 else message[:197] + "..."
