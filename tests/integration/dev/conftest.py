"""The dev stack (plain containers) applied to the run's Docker Engine, as `pulumi up --stack dev`.

One deployment serves the package; it is destroyed when the package is done (its network,
container names and kept volumes would otherwise meet the Swarm stack's on the same engine).
A test that changes the stack leaves its change in place, as the Swarm tests do.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.docker_engine import Engine
from tests.support.docker_images import Images, numeric_user
from tests.support.ports import free_port
from tests.support.stack_deployment import StackDeployment
from tests.support.stacks import stack_config, synthesize_deployment
from tests.support.swarm_apply import SwarmApplier
from tests.support.swarm_stack import Passwords

pytestmark = pytest.mark.integration
STACK = "dev"
STACK_LABEL = "technovastore.io/stack"


def machine_overrides(images: Images, redis_user: str, cdn_port: int) -> dict[str, Any]:
    """Pulumi.dev.yaml, changed only where this machine differs from a laptop: the images (built
    here from Debian packages), the user the Redis image runs Redis as, a free port for the CDN."""
    shipped = {
        key.split(":", 1)[1]: json.loads(value)
        for key, value in stack_config(STACK).items()
        if value.startswith("{")
    }
    services = {name: {**service, "image": images.app} for name, service in shipped["services"].items()}
    return {
        "services": services,
        "docker": {**shipped["docker"], "cdnPublishedPort": cdn_port, "redisUser": redis_user},
        "redis": {**shipped["redis"], "image": images.base},
        "cdn": {**shipped["cdn"], "image": images.base},
    }


class DevDeployment(StackDeployment):
    def containers(self, **labels: str) -> list[Any]:
        """The stack's containers (running or not), optionally those carrying ``labels``."""
        wanted = [f"{STACK_LABEL}={self.network}", *(f"{key}={value}" for key, value in labels.items())]
        return list(self.client.containers.list(all=True, filters={"label": wanted}))


@pytest.fixture(scope="package")
def dev_stack(engine: Engine, images: Images) -> Iterator[DevDeployment]:
    """The dev stack applied: every container healthy (the applier waits as the provider does)."""
    passwords = Passwords()
    overrides = machine_overrides(images, numeric_user(engine.client, images.base, "redis"), free_port())
    synthesis = synthesize_deployment(STACK, overrides, passwords=passwords)
    applier = SwarmApplier(engine.client)
    cdn_port = overrides["docker"]["cdnPublishedPort"]
    deployment = DevDeployment(STACK, engine, images, applier, passwords, overrides, cdn_port, synthesis)
    try:
        applier.apply(synthesis)
        yield deployment
    finally:
        applier.destroy()
        # What `pulumi destroy` keeps (the Redis data volumes), removed by hand as a developer would.
        kept = {"label": f"{STACK_LABEL}={deployment.network}"}
        for volume in engine.client.volumes.list(filters=kept):
            volume.remove(force=True)


@pytest.fixture
def dev(dev_stack: DevDeployment) -> DevDeployment:
    """The stack as `pulumi up` left it (deployed again if a test destroyed it)."""
    return dev_stack.deployed()
