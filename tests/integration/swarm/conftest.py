"""A real Docker Engine in Swarm mode, the test images, and the swarm stack applied to it.

One engine and one deployment serve this package's tests (applying the stack takes a while).
A test that changes the stack changes it relative to what is deployed now (a new version, a
new rate) and leaves its change in place: undoing it would cost another rolling update, and
no other test depends on those values. ``deployment`` deploys the stack again after the
destroy test.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from preview.synth import Synthesis
from tests.support.docker_engine import SKIP_ENV, Engine, EngineUnavailable, swarm_engine
from tests.support.docker_images import MONITORING, build_app_image, import_base, import_rootfs
from tests.support.ports import free_port
from tests.support.stacks import synthesize_deployment
from tests.support.swarm_apply import SwarmApplier, unwrap
from tests.support.swarm_network import Finished, run_on_network
from tests.support.swarm_stack import Images, Passwords, label_redis_node, machine_overrides

pytestmark = pytest.mark.integration
STACK = "swarm"


@dataclass
class Deployment:
    engine: Engine
    images: Images
    applier: SwarmApplier
    passwords: Passwords
    overrides: dict[str, Any]
    cdn_port: int
    prometheus_port: int
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
        synthesis = synthesize_deployment(STACK, overrides, passwords=self.passwords)
        changed = self.applier.apply(synthesis)
        self.overrides, self.synthesis = overrides, synthesis
        return changed

    def service_id(self, name: str) -> str:
        return self.applier.service_id(name)

    def run_on_network(self, command: list[str], **kwargs: Any) -> Finished:
        return run_on_network(self.client, self.images.app, self.network, command, **kwargs)


def _interrupt_on_sigterm() -> None:
    # A terminated test run still stops its engine: SIGTERM becomes the KeyboardInterrupt
    # pytest answers with the fixtures' teardown.
    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupt)


@pytest.fixture(scope="package")
def engine() -> Iterator[Engine]:
    if os.environ.get(SKIP_ENV) == "1":
        pytest.skip(f"{SKIP_ENV}=1: the Docker tests were skipped on purpose")
    _interrupt_on_sigterm()
    try:
        with swarm_engine() as running:
            yield running
    except EngineUnavailable as error:
        pytest.fail(f"the Docker Engine could not start: {error}")


@pytest.fixture(scope="package")
def images(engine: Engine) -> Images:
    base = import_base(engine.client)
    monitoring = import_rootfs(engine.client, MONITORING)
    return Images(base=base, app=build_app_image(engine.client, base), monitoring=monitoring)


@pytest.fixture(scope="package")
def stack(engine: Engine, images: Images) -> Deployment:
    """The swarm stack applied to the engine, every service converged (running and healthy)."""
    label_redis_node(engine)
    cdn_port, prometheus_port = free_port(), free_port()
    passwords = Passwords()
    overrides = machine_overrides(images, cdn_port, prometheus_port)
    synthesis = synthesize_deployment(STACK, overrides, passwords=passwords)
    applier = SwarmApplier(engine.client)
    applier.apply(synthesis)
    return Deployment(engine, images, applier, passwords, overrides, cdn_port, prometheus_port, synthesis)


def deployed(stack: Deployment) -> Deployment:
    """The stack as `pulumi up` left it (deployed again if a test destroyed it)."""
    if not stack.applier.state:
        stack.applier.apply(stack.synthesis)
    return stack


@pytest.fixture
def deployment(stack: Deployment) -> Deployment:
    return deployed(stack)


def outputs_file(deployment: Deployment) -> bytes:
    """`pulumi stack output --json --show-secrets`: what `python -m checks --outputs` reads."""
    return json.dumps(deployment.outputs).encode()


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
