"""`pulumi destroy` on Swarm: nothing of the stack is left but the data volumes declared kept."""

from __future__ import annotations

import pytest

from tests.integration.swarm.conftest import Deployment
from tests.support.swarm_apply import ORDER

pytestmark = [pytest.mark.integration, pytest.mark.destroys_stack]
VOLUME = "docker:index/volume:Volume"


def stack_objects(deployment: Deployment) -> dict[str, set[str]]:
    client, label = deployment.client, f"com.docker.stack.namespace={deployment.network}"
    return {
        "services": {s.name for s in client.services.list(filters={"label": label})},
        "configs": {c.name for c in client.configs.list(filters={"label": label})},
        "secrets": {s.name for s in client.secrets.list(filters={"label": label})},
        "networks": {n.name for n in client.networks.list(filters={"label": label})},
        "volumes": {v.name for v in client.volumes.list(filters={"label": label})},
        # Task containers carry Swarm's labels, not the service's.
        "containers": {
            c.name for c in client.containers.list(all=True, filters={"label": "com.docker.swarm.task.id"})
        },
    }


def test_destroy_leaves_only_the_volumes_declared_kept(deployment: Deployment) -> None:
    declared = [r for r in deployment.synthesis.resources if r.custom and r.type in ORDER]
    kept = {r.inputs["name"] for r in declared if r.retain_on_delete}
    # Twelve Redis members' and Prometheus' (Grafana is not deployed here).
    assert kept == {r.inputs["name"] for r in declared if r.type == VOLUME} and len(kept) == 13
    before = stack_objects(deployment)
    assert all(before[kind] for kind in ("services", "configs", "secrets", "networks", "volumes"))
    try:
        deployment.applier.destroy()
        after = stack_objects(deployment)
        assert after == {
            "services": set(),
            "configs": set(),
            "secrets": set(),
            "networks": set(),
            "volumes": kept,
            "containers": set(),
        }
    finally:
        # As an operator would after deciding the data can go: the next test deploys afresh.
        for name in kept:
            deployment.client.volumes.get(name).remove(force=True)
