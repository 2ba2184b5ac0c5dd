"""Docker resources (Swarm and plain Docker stacks) as reviewable YAML documents.

Each document keeps the resource's inputs (what the diff compares, like for every non-Kubernetes
resource) and adds ``engineApi``: the body the provider sends to the Docker Engine for them
(preview/docker_api.py), so a reviewer sees the ServiceSpec itself. Secrets are redacted
before the mapping sees them.
"""

from __future__ import annotations

import json
from typing import Any

from preview.docker_api import engine_object
from preview.synth import DeclaredResource

FOLDER = "docker"


def is_docker(resource: DeclaredResource) -> bool:
    return resource.type.startswith("docker:")


def docker_document(resource: DeclaredResource, plain_inputs: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": resource.type,
        "name": resource.name,
        "inputs": plain_inputs,
        # A copy through JSON: no shared lists, so the YAML has no anchors.
        "engineApi": json.loads(json.dumps(engine_object(resource.type, plain_inputs))),
    }
