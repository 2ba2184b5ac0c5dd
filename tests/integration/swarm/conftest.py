"""A real Docker Engine in Swarm mode, the test images, and the swarm stack applied to it.

One engine and one deployment serve the whole session (applying the stack takes a while).
A test that changes the stack changes it relative to what is deployed now (a new version, a
new rate) and leaves its change in place: undoing it would cost another rolling update, and
no other test depends on those values. ``deployment`` deploys the stack again after the
destroy test.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any

import pytest

from preview.synth import Synthesis
from tests.support.docker_engine import Engine, init_swarm
from tests.support.docker_images import Images
from tests.support.ports import free_port
from tests.support.stacks import synthesize_stack
from tests.support.swarm_apply import SwarmApplier, unwrap
from tests.support.swarm_network import Finished, run_on_network

pytestmark = pytest.mark.integration
STACK = "swarm"
# The label Pulumi.swarm.yaml's redisNodeLabel names: Redis runs only on nodes carrying it.
REDIS_NODE_LABEL = "technovastore.redis"


@dataclass
class Passwords:
    """What pulumi-random would generate, once per resource, kept across updates (as in state)."""

    values: dict[str, str] = field(default_factory=dict)

    def __call__(self, resource_name: str) -> str:
        return self.values.setdefault(resource_name, secrets.token_hex(16))


@dataclass
class Deployment:
    engine: Engine
    images: Images
    applier: SwarmApplier
    passwords: Passwords
    overrides: dict[str, Any]
    cdn_port: int
    synthesis: Synthesis

    @property
    def client(self) -> Any:
        return self.engine.client

    @property
    def outputs(self) -> dict[str, Any]:
        return unwrap(self.synthesis.outputs)

    @property
    def network(self) -> str:
        return str(self.outputs["services"]["frontend"]["host"]).rsplit("-frontend", 1)[0]

    @property
    def cdn_url(self) -> str:
        return f"http://127.0.0.1:{self.cdn_port}"

    def change(self, **settings: Any) -> list[str]:
        """`pulumi up` with top-level ``settings`` replaced; returns the resources it changed."""
        overrides = {**self.overrides, **settings}
        synthesis = synthesize_stack(STACK, passwords=self.passwords, **overrides)
        changed = self.applier.apply(synthesis)
        self.overrides, self.synthesis = overrides, synthesis
        return changed

    def service_id(self, name: str) -> str:
        return self.applier.service_id(name)

    def run_on_network(self, command: list[str], **kwargs: Any) -> Finished:
        return run_on_network(self.client, self.images.app, self.network, command, **kwargs)


def machine_overrides(images: Images, cdn_port: int) -> dict[str, Any]:
    """The swarm stack's settings, changed only where this machine differs from a real Swarm."""
    small = {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}}
    services = {
        name: {
            "image": images.app,
            "port": port,
            "tier": tier,
            "minReplicas": replicas,
            "maxReplicas": 4,
            "usesRedis": name != "frontend",
            "resources": small,
        }
        for name, port, tier, replicas in (
            ("api-gateway", 3000, "gateway", 1),
            ("product-service", 3001, "backend", 1),
            ("order-service", 3002, "backend", 1),
            ("frontend", 3000, "edge", 2),
        )
    }
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


def label_redis_node(engine: Engine) -> None:
    node = engine.client.nodes.list()[0]
    spec = node.attrs["Spec"]
    spec["Labels"] = {**spec.get("Labels", {}), REDIS_NODE_LABEL: "true"}
    node.update(spec)


@pytest.fixture(scope="session")
def stack(engine: Engine, images: Images) -> Deployment:
    """The swarm stack applied to the engine, every service converged (running and healthy)."""
    init_swarm(engine)
    label_redis_node(engine)
    cdn_port = free_port()
    passwords = Passwords()
    overrides = machine_overrides(images, cdn_port)
    synthesis = synthesize_stack(STACK, passwords=passwords, **overrides)
    applier = SwarmApplier(engine.client)
    applier.apply(synthesis)
    return Deployment(engine, images, applier, passwords, overrides, cdn_port, synthesis)


@pytest.fixture
def deployment(stack: Deployment) -> Deployment:
    """The stack as `pulumi up` left it (deployed again if a test destroyed it)."""
    if not stack.applier.state:
        stack.applier.apply(stack.synthesis)
    return stack


def outputs_file(deployment: Deployment) -> bytes:
    """`pulumi stack output --json --show-secrets`: what `python -m checks --outputs` reads."""
    return json.dumps(deployment.outputs).encode()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that destroy the shared deployment run after the others (alone they deploy first)."""
    items.sort(key=lambda item: item.get_closest_marker("destroys_stack") is not None)
