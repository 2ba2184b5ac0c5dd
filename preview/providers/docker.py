"""pulumi-docker (bridged from kreuzwerker's terraform-provider-docker): names and rendering.

A Docker resource is diffed like every bridged one, by its inputs; its replace rules are rows
in preview/replace_rules.py, read from ``internal/provider/resource_docker_<resource>.go``.
Its rendered document adds ``engineApi``: the body the provider sends to the Docker Engine
for those inputs (preview/docker_api.py), so a reviewer sees the ServiceSpec itself. Secrets
are redacted before the mapping sees them; the diff never reads ``engineApi``.
"""

from __future__ import annotations

import json
from typing import Any

from preview.docker_api import CONFIG, NETWORK, SECRET, SERVICE, VOLUME, engine_object
from preview.providers.bridged import provider

PREFIX = "docker"
# Where the preview writes Docker resources' documents (beside kubernetes/ and other/).
FOLDER = "docker"

# Every resource the Swarm program declares is named in the engine by its ``name`` input:
# the same name under another Pulumi name is the same service, network, volume, secret or config.
IDENTITY_INPUTS: dict[str, tuple[str, ...]] = {
    type_: ("name",) for type_ in (NETWORK, VOLUME, SECRET, CONFIG, SERVICE)
}

PROVIDER = provider(PREFIX, IDENTITY_INPUTS)


def is_docker(type_: str) -> bool:
    return type_.startswith(f"{PREFIX}:")


def docker_document(type_: str, name: str, plain_inputs: dict[str, Any]) -> dict[str, Any]:
    """The rendered document: type, name and inputs as for every bridged resource, plus ``engineApi``."""
    return {
        "type": type_,
        "name": name,
        "inputs": plain_inputs,
        # A copy through JSON: no shared lists, so the YAML has no anchors.
        "engineApi": json.loads(json.dumps(engine_object(type_, plain_inputs))),
    }
