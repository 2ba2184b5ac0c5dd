"""A real Docker Engine in Swarm mode, the test images, and the swarm stack applied to it."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from preview.synth import Synthesis
from tests.support.docker_engine import SKIP_ENV, Engine, EngineUnavailable, swarm_engine
from tests.support.docker_images import build_app_image, import_base
from tests.support.ports import free_port
from tests.support.stacks import synthesize_stack
from tests.support.swarm_apply import SwarmApplier, unwrap

pytestmark = pytest.mark.integration
STACK = "swarm"


@dataclass
class Images:
    base: str
    app: str


@dataclass
class Deployment:
    engine: Engine
    applier: SwarmApplier
    synthesis: Synthesis
    overrides: dict[str, Any]
    cdn_port: int

    @property
    def outputs(self) -> dict[str, Any]:
        return unwrap(self.synthesis.outputs)


@pytest.fixture(scope="session")
def engine() -> Iterator[Engine]:
    if os.environ.get(SKIP_ENV) == "1":
        pytest.skip(f"{SKIP_ENV}=1: the Docker tests were skipped on purpose")
    try:
        with swarm_engine() as running:
            yield running
    except EngineUnavailable as error:
        pytest.fail(f"the Docker Engine could not start: {error}")


@pytest.fixture(scope="session")
def images(engine: Engine) -> Images:
    base = import_base(engine.client)
    return Images(base=base, app=build_app_image(engine.client, base))


def machine_overrides(images: Images, cdn_port: int) -> dict[str, Any]:
    """The swarm stack's settings, changed only where this machine differs from a real Swarm."""
    services = {
        name: {
            "image": images.app,
            "port": port,
            "tier": tier,
            "minReplicas": replicas,
            "maxReplicas": 4,
            "usesRedis": name != "frontend",
            "resources": {
                "requests": {"cpu": "50m", "memory": "64Mi"},
                "limits": {"cpu": "500m", "memory": "256Mi"},
            },
        }
        for name, port, tier, replicas in (
            ("api-gateway", 3000, "gateway", 1),
            ("product-service", 3001, "backend", 1),
            ("order-service", 3002, "backend", 1),
            ("frontend", 3000, "edge", 2),
        )
    }
    small = {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}}
    return {
        "services": services,
        # No IPVS here: no virtual IPs and no routing mesh; dnsrr and host publishing instead.
        "swarm": {
            "endpointMode": "dnsrr",
            "publishMode": "host",
            "cdnPublishedPort": cdn_port,
            "spreadPreferences": [],
            "encryptedNetwork": False,
        },
        "redis": {
            "image": images.base,
            "resources": small,
            "cluster": {"maxmemoryMb": 64, "storageSize": "1Gi"},
            "sentinel": {"maxmemoryMb": 64, "resources": small},
        },
        "cdn": {
            "image": images.base,
            "minReplicas": 1,
            "maxReplicas": 3,
            "cacheSizeMb": 64,
            "expectedKeys": 1000,
        },
    }


def synthesize(overrides: dict[str, Any]) -> Synthesis:
    return synthesize_stack(STACK, **overrides)


@pytest.fixture(scope="session")
def deployment(engine: Engine, images: Images) -> Iterator[Deployment]:
    """The swarm stack applied to the engine, every service converged (healthy)."""
    node = engine.client.nodes.list()[0]
    spec = node.attrs["Spec"]
    spec["Labels"] = {**spec.get("Labels", {}), "technovastore.redis": "true"}
    node.update(spec)
    cdn_port = free_port()
    overrides = machine_overrides(images, cdn_port)
    synthesis = synthesize(overrides)
    applier = SwarmApplier(engine.client)
    applier.apply(synthesis)
    yield Deployment(engine, applier, synthesis, overrides, cdn_port)


def outputs_json(deployment: Deployment) -> str:
    return json.dumps(deployment.outputs)
