"""The swarm stack on a real Swarm: converges, forms Redis, serves through the CDN."""

from __future__ import annotations

import pytest

from tests.integration.swarm.conftest import Deployment

pytestmark = pytest.mark.integration


def test_every_service_runs_its_replicas_healthy(deployment: Deployment) -> None:
    client = deployment.engine.client
    declared = [r for r in deployment.synthesis.resources if r.type == "docker:index/service:Service"]
    for resource in declared:
        service_id = deployment.applier.service_id(resource.name)
        restart = resource.inputs["taskSpec"]["restartPolicy"]["condition"]
        if restart == "none":
            continue
        assert deployment.applier.converged(service_id), deployment.applier.task_states(service_id)
    names = {s.name for s in client.services.list()}
    assert names == {r.inputs["name"] for r in declared}
