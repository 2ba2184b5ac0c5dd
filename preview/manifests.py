"""Declared resources as reviewable YAML: real manifests for Kubernetes, inputs for the rest."""

from __future__ import annotations

import re
from typing import Any

import yaml

from preview.providers import docker
from preview.synth import REDACTED, DeclaredResource, is_secret, redact

# Pulumi bookkeeping that is not part of a Kubernetes object.
_NON_MANIFEST_KEYS = {"__meta", "__inputs", "id", "urn"}


def redact_keeping_shape(value: Any) -> Any:
    """A secret as a marker of the same shape: a secret map keeps its keys, so a Secret stays valid."""
    if not is_secret(value):
        return redact(value)
    inner = value.get("value")
    if isinstance(inner, dict):
        return {key: REDACTED for key in inner}
    if isinstance(inner, list):
        return [REDACTED for _ in inner]
    return REDACTED


def plain(value: Any) -> Any:
    """Wire values as a person expects them: integral floats back to ints, secrets redacted."""
    value = redact_keeping_shape(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        # Sorted keys: the same program gives the same bytes, whatever order the SDK used.
        return {key: plain(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def kubernetes_manifest(resource: DeclaredResource) -> dict[str, Any]:
    """The object the Kubernetes API server would receive."""
    manifest = {key: plain(value) for key, value in resource.inputs.items() if key not in _NON_MANIFEST_KEYS}
    ordered: dict[str, Any] = {
        key: manifest.pop(key) for key in ("apiVersion", "kind", "metadata") if key in manifest
    }
    return {**ordered, **manifest}


def resource_document(resource: DeclaredResource) -> dict[str, Any]:
    """A non-Kubernetes resource (Cloudflare, random, Docker, ...) as its type, name and inputs.

    Each input is made plain on its own, so a secret map input (a RandomId's ``keepers``) keeps
    its keys, where the secret digests can tell a changed value (preview/secret_digests.py).
    """
    inputs = {key: plain(resource.inputs[key]) for key in sorted(resource.inputs)}
    if docker.is_docker(resource.type):
        return docker.docker_document(resource.type, resource.name, inputs)
    return {"type": resource.type, "name": resource.name, "inputs": inputs}


def manifest_filename(resource: DeclaredResource) -> str:
    if resource.is_kubernetes:
        metadata = resource.inputs.get("metadata") or {}
        parts = [
            resource.inputs.get("kind", "object"),
            metadata.get("namespace", ""),
            metadata.get("name", resource.name),
        ]
        stem = "_".join(str(part) for part in parts if part)
    else:
        stem = f"{resource.type.split(':')[0]}_{resource.name}"
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", stem).lower() + ".yaml"


# libyaml's emitter (same output, several times faster) when PyYAML was built with it.
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def dump_yaml(document: Any) -> str:
    return yaml.dump(
        document, Dumper=_DUMPER, sort_keys=False, default_flow_style=False, allow_unicode=True, width=100
    )


def manifest_path(resource: DeclaredResource) -> str:
    """Where a custom resource's document goes under the output folder."""
    return f"{folder_of(resource)}/{manifest_filename(resource)}"


def folder_of(resource: DeclaredResource) -> str:
    if resource.is_kubernetes:
        return "kubernetes"
    return docker.FOLDER if docker.is_docker(resource.type) else "other"


def rendered_documents(resources: list[DeclaredResource]) -> dict[str, Any]:
    """Every custom resource as its document, keyed by its path under the output folder."""
    documents: dict[str, Any] = {}
    for resource in resources:
        if not resource.custom:
            continue
        path = manifest_path(resource)
        if path in documents:
            raise ValueError(f"two resources would be written to {path}")
        documents[path] = (
            kubernetes_manifest(resource) if resource.is_kubernetes else resource_document(resource)
        )
    return documents
