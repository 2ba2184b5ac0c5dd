"""The autoscaler on the real Swarm: a CPU-burning service goes from min to max and back.

The test service has a 10m CPU reservation and burns ~30m while the load is on; the behavior
is the HPA's with short periods (test settings), so the whole story fits in about a minute:
scale-up within the policy's worst case, scale-down only after the stabilization window and
one pod per period, never below min; the Engine API cut off for a while in the middle loses
none of the autoscaler's state; ``--dry-run`` changes nothing; a rolling update in progress is
left alone until it completes; the stack's own autoscaler service runs on the manager and
answers its health check.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from autoscaler.labels import ServiceRules
from autoscaler.spec import AutoscalingSpec, Behavior, MetricTarget, ScalingPolicy, ScalingRules
from components.hpa_behavior import worst_case_scale_up_seconds
from tests.integration.swarm.conftest import Deployment
from tests.support.autoscaler_run import (
    TEST_NAMESPACE,
    SocketProxy,
    autoscaler,
    create_burner,
    replicas,
    run_once,
    running_tasks,
    wait_for,
)
from tests.support.docker_engine import Engine
from tests.support.swarm_stack import Images

pytestmark = pytest.mark.integration

APPS = ("api-gateway", "product-service", "order-service", "frontend")
INTERVAL = 1.0
MIN, MAX = 1, 3
UP = ScalingRules(0, "Max", (ScalingPolicy("Pods", 1, 2),))
DOWN_WINDOW, DOWN_PERIOD = 12, 3
DOWN = ScalingRules(DOWN_WINDOW, "Max", (ScalingPolicy("Pods", 1, DOWN_PERIOD),))
RULES = ServiceRules(AutoscalingSpec(MIN, MAX, (MetricTarget("cpu", 50),), Behavior(UP, DOWN)))
# Tasks start, get sampled (0.5 s) and are counted; the policy is the only brake we assert on.
SLACK_SECONDS = 60
ARGS = (
    "--namespace",
    TEST_NAMESPACE,
    "--interval",
    str(INTERVAL),
    "--cpu-sample-seconds",
    "0.5",
    # The HPA ignores CPU of tasks in their first 5 min unless ready and sampled after: the
    # burner has no health check, so it is ready at once; a short period keeps that rule live.
    "--cpu-initialization-period",
    "5",
)


@pytest.fixture
def burner(engine: Engine, images: Images, tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    """(service id, name, control folder) of a fresh burning service at its minimum, load off."""
    control = tmp_path / "control"
    control.mkdir()
    name = f"burner-{uuid.uuid4().hex[:6]}"
    service_id = create_burner(engine.client, images.app, name, control, RULES)
    try:
        wait_for(lambda: running_tasks(engine.client, service_id) == MIN, 120, "the burner's first task")
        yield service_id, name, control
    finally:
        engine.client.api.remove_service(service_id)


def test_scales_up_to_max_then_down_after_the_window_step_by_step_through_an_api_outage(
    engine: Engine, burner: tuple[str, str, Path], tmp_path: Path
) -> None:
    service_id, name, control = burner
    proxy = SocketProxy(tmp_path / "engine.sock", engine.socket.removeprefix("unix://"))
    proxy.restore()
    worst_up = worst_case_scale_up_seconds(
        MIN,
        MAX,
        stabilization_window_seconds=UP.stabilization_window_seconds,
        policies=[(p.type, p.value, p.period_seconds) for p in UP.policies],
        select_policy=UP.select_policy,
        sync_period_seconds=int(INTERVAL),
    )
    with autoscaler(proxy.url, *ARGS, "--service", name) as running:
        (control / "load").touch()
        load_started = time.monotonic()
        wait_for(lambda: replicas(engine.client, service_id) == MAX, worst_up + SLACK_SECONDS, "scale to max")
        up_seconds = time.monotonic() - load_started
        (control / "load").unlink()
        load_stopped = time.time()

        # The Engine API disappears for 4 s inside the scale-down window, then comes back.
        time.sleep(2)
        proxy.cut()
        time.sleep(4)
        proxy.restore()
        reconnected = time.time()

        wait_for(lambda: replicas(engine.client, service_id) == MIN, DOWN_WINDOW + 60, "scale back to min")
        time.sleep(2 * INTERVAL)  # a few more cycles at min: it must stay there
        assert replicas(engine.client, service_id) == MIN
    decisions = running.events("decision", name)
    scaled = [d for d in decisions if d["action"] == "scaled"]
    ups = [d for d in scaled if d["desired"] > d["current"]]
    downs = [d for d in scaled if d["desired"] < d["current"]]

    # Up: the Pods policy allows one task per 2 s, so two steps 1 -> 2 -> 3, never beyond max.
    assert [(d["current"], d["desired"]) for d in ups] == [(1, 2), (2, 3)]
    assert ups[1]["time"] - ups[0]["time"] >= UP.policies[0].period_seconds - 0.5
    assert up_seconds <= worst_up + SLACK_SECONDS
    assert max(d["desired"] for d in decisions) <= MAX

    # The outage skipped cycles and changed nothing.
    skipped = running.events("cycle skipped")
    assert skipped and all(load_stopped < line["time"] < reconnected + 1 for line in skipped)

    # Down: only after the window (which started with the last high recommendation, after the
    # load stopped), one task per period, down to min and not below.
    assert [(d["current"], d["desired"]) for d in downs] == [(3, 2), (2, 1)]
    assert downs[0]["time"] - load_stopped >= DOWN_WINDOW - 1
    assert downs[1]["time"] - downs[0]["time"] >= DOWN_PERIOD - 0.5
    held = [d for d in decisions if load_stopped + 3 < d["time"] < downs[0]["time"]]
    assert held and all(
        d["limited_by"] == "ScaleDownStabilized" for d in held if (d["recommendation"] or MAX) < MAX
    )
    # State survived the outage: a fresh start at reconnection would have held until
    # reconnection + window; the kept history let it scale down earlier.
    assert downs[0]["time"] < reconnected + DOWN_WINDOW - 1.5
    assert min(d["desired"] for d in decisions) >= MIN
    assert running.process.returncode == 0  # SIGTERM: stopped cleanly between cycles
    assert running.events("stopped")


def test_dry_run_decides_but_changes_nothing(engine: Engine, burner: tuple[str, str, Path]) -> None:
    service_id, name, control = burner
    (control / "load").touch()
    before = engine.client.api.inspect_service(service_id)["Version"]["Index"]
    # Give the burner a moment to burn before the one sampled cycle.
    time.sleep(1)
    code, lines = run_once(engine.socket, *ARGS, "--service", name, "--dry-run")
    (decision,) = [line for line in lines if line.get("event") == "decision"]
    assert code == 0
    assert (decision["current"], decision["action"]) == (MIN, "dry-run")
    assert decision["desired"] > MIN and decision["metrics"]["cpu"]["value"] > 50
    assert engine.client.api.inspect_service(service_id)["Version"]["Index"] == before
    assert replicas(engine.client, service_id) == MIN


def test_a_rolling_update_in_progress_is_left_alone_then_the_service_scales(
    engine: Engine, burner: tuple[str, str, Path]
) -> None:
    service_id, name, control = burner
    (control / "load").touch()
    live = engine.client.api.inspect_service(service_id)
    template = live["Spec"]["TaskTemplate"]
    template["ContainerSpec"]["Env"] = ["ROLLED=1"]
    # One task replaced, then watched for 10 s: UpdateStatus says "updating" all along.
    watched = {"Parallelism": 1, "Monitor": 10_000_000_000, "Order": "stop-first"}
    engine.client.api.update_service(
        service_id,
        live["Version"]["Index"],
        task_template=template,
        update_config=watched,
        fetch_current_spec=True,
    )

    def state() -> str | None:
        return engine.client.api.inspect_service(service_id).get("UpdateStatus", {}).get("State")

    wait_for(lambda: state() == "updating", 30, "the rolling update to start")
    code, lines = run_once(engine.socket, *ARGS, "--service", name)
    assert state() == "updating", "the update ended before the autoscaler's cycle: nothing was shown"
    assert code == 0 and not [line for line in lines if line.get("event") == "decision"]
    (waiting,) = [line for line in lines if line.get("event") == "waiting"]
    assert "rolling update in progress (updating)" in waiting["reason"]
    assert replicas(engine.client, service_id) == MIN

    wait_for(lambda: state() == "completed", 60, "the rolling update to complete")
    wait_for(lambda: running_tasks(engine.client, service_id) == MIN, 60, "the rolled task")
    time.sleep(1)  # the new task burns before the sampled cycle
    code, lines = run_once(engine.socket, *ARGS, "--service", name)
    (decision,) = [line for line in lines if line.get("event") == "decision"]
    assert (decision["action"], decision["current"]) == ("scaled", MIN) and decision["desired"] > MIN
    assert replicas(engine.client, service_id) == decision["desired"]


def test_the_stacks_autoscaler_runs_healthy_on_a_manager_and_decides_for_the_stack(
    deployment: Deployment,
) -> None:
    client = deployment.client
    service_id = deployment.service_id("autoscaler")
    assert deployment.applier.converged(service_id)  # running, and its health check says healthy
    (task,) = client.api.tasks(filters={"service": service_id, "desired-state": "running"})
    assert client.api.inspect_node(task["NodeID"])["Spec"]["Role"] == "manager"
    container = client.api.inspect_container(task["Status"]["ContainerStatus"]["ContainerID"])
    assert container["State"]["Health"]["Status"] == "healthy"

    def decided() -> list[dict]:
        output = b"".join(client.api.service_logs(service_id, stderr=True, stdout=True, tail=200))
        lines = [json.loads(line) for line in output.decode().splitlines() if line.startswith("{")]
        return [line for line in lines if line.get("event") == "decision"]

    wait_for(lambda: len({d["service"] for d in decided()}) >= 4, 60, "decisions for the app services")
    decisions = decided()
    assert {d["service"] for d in decisions} >= {f"{deployment.network}-{app}" for app in APPS}
    # Dry-run in the tests: it decides, and never changes a service.
    assert {d["action"] for d in decisions} <= {"none", "dry-run"}
