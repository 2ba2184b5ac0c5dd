"""Day-2 on Swarm: a rolling update without failed requests, a killed task replaced."""

from __future__ import annotations

import threading
import time

import pytest

from tests.integration.swarm.conftest import Deployment
from tests.integration.swarm.probes import eventually, run_checks, running_containers
from tests.support.swarm_stack import ClientLoop

pytestmark = pytest.mark.integration


def test_a_rolling_update_of_changed_env_fails_no_request(deployment: Deployment) -> None:
    services = deployment.overrides["services"]
    frontend = services["frontend"]
    old = frontend.get("env", {}).get("APP_VERSION", "1")
    new = str(int(old) + 1)
    loop = ClientLoop(deployment.cdn_port)
    thread = threading.Thread(target=loop.run)
    thread.start()
    try:
        time.sleep(1)
        # `pulumi up` returns once the update completed (every task replaced and monitored).
        changed = deployment.change(
            services={**services, "frontend": {**frontend, "env": {"APP_VERSION": new}}}
        )
        time.sleep(1)
    finally:
        loop.stop.set()
        thread.join()
    assert changed == ["frontend"]
    assert not loop.failures, loop.failures[:10]
    # The old version answered while it rolled; only the new one answers at the end.
    assert loop.versions[0] == old and loop.versions[-1] == new, loop.versions
    assert len(loop.versions) > 50


def test_a_killed_task_is_replaced_and_the_checks_pass_again(deployment: Deployment) -> None:
    product = deployment.service_id("product-service")
    (victim,) = running_containers(deployment, product)
    victim.kill()
    eventually(
        lambda: (
            [c for c in running_containers(deployment, product) if c.id != victim.id]
            and deployment.applier.converged(product)
        ),
        "a healthy replacement task",
    )
    code, report = run_checks(deployment)
    assert code == 0, [r for r in report["results"] if r["status"] in ("fail", "error")]
