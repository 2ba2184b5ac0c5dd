"""A real Docker Engine in Swarm mode, the test images, and the swarm stack applied to it.

One engine and one deployment serve this package's tests (applying the stack takes a while).
A test that changes the stack changes it relative to what is deployed now (a new version, a
new rate) and leaves its change in place: undoing it would cost another rolling update, and
no other test depends on those values. ``deployment`` deploys the stack again after the
destroy test.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.docker_engine import Engine, init_swarm
from tests.support.docker_images import MONITORING, Images, import_rootfs
from tests.support.ports import free_port
from tests.support.stack_deployment import StackDeployment
from tests.support.stacks import synthesize_deployment
from tests.support.swarm_apply import SwarmApplier
from tests.support.swarm_stack import Passwords, SwarmImages, label_redis_node, machine_overrides

pytestmark = pytest.mark.integration
STACK = "swarm"


@dataclass
class Deployment(StackDeployment):
    prometheus_port: int

    def service_id(self, name: str) -> str:
        return self.applier.service_id(name)


@pytest.fixture(scope="package", autouse=True)
def swarm_mode(engine: Engine) -> None:
    """Every test here needs the engine in Swarm mode, whichever runs first (the dev stack's
    tests, earlier in the run, use the same engine as it starts)."""
    init_swarm(engine)


@pytest.fixture(scope="package")
def swarm_images(engine: Engine, images: Images) -> SwarmImages:
    """The shared test images and the monitoring one, which only the Swarm stack runs."""
    monitoring = import_rootfs(engine.client, MONITORING)
    return SwarmImages(base=images.base, app=images.app, monitoring=monitoring)


@pytest.fixture(scope="package")
def stack(engine: Engine, swarm_images: SwarmImages) -> Deployment:
    """The swarm stack applied to the engine, every service converged (running and healthy)."""
    label_redis_node(engine)
    cdn_port, prometheus_port = free_port(), free_port()
    passwords = Passwords()
    socket = engine.socket.removeprefix("unix://")
    overrides = machine_overrides(swarm_images, cdn_port, prometheus_port, socket)
    synthesis = synthesize_deployment(STACK, overrides, passwords=passwords)
    applier = SwarmApplier(engine.client)
    applier.apply(synthesis)
    return Deployment(
        STACK, engine, swarm_images, applier, passwords, overrides, cdn_port, synthesis, prometheus_port
    )


@pytest.fixture
def deployment(stack: Deployment) -> Deployment:
    """The stack as `pulumi up` left it (deployed again if a test destroyed it)."""
    return stack.deployed()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that destroy the shared deployment run after this package's others (alone they
    deploy first); the package's engine then stops before the rest of the session goes on."""
    here = Path(__file__).parent
    ours = [index for index, item in enumerate(items) if here in item.path.parents]
    if not ours:
        return
    block = items[ours[0] : ours[-1] + 1]
    block.sort(key=lambda item: item.get_closest_marker("destroys_stack") is not None)
    items[ours[0] : ours[-1] + 1] = block
