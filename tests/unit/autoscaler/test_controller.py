"""The control loop's robustness rules, with answers a real Engine cannot be made to give on cue
(malformed objects, a service vanishing between two calls, a refused update). The real Engine
runs in tests/integration/swarm/test_autoscaler.py."""

from __future__ import annotations

from typing import Any

from autoscaler.controller import Controller, ControllerConfig
from autoscaler.engine import ServiceView
from autoscaler.labels import ServiceRules
from autoscaler.observability import AutoscalerMetrics
from autoscaler.replicas import Sample
from autoscaler.sources import Samples
from autoscaler.spec import AutoscalingSpec, Behavior, MetricTarget
from tests.support.engine_double import NOW, BusySource, InMemoryEngine, controller, raw_service, raw_task


def test_scales_once_per_service_per_cycle_within_bounds() -> None:
    engine = InMemoryEngine([raw_service("api")])
    report = controller(engine).cycle()
    # 200m of 100m at a 50 % target: 4x -> 8, bounded by the policy (+4 pods) and max 6.
    assert engine.scaled == [("api", 6)]
    assert report.decisions["api"].desired == 6


def test_engine_down_skips_the_cycle_and_keeps_the_history() -> None:
    engine = InMemoryEngine([raw_service("api")])
    loop = controller(engine)
    loop.cycle()
    history = loop.histories["id-api"]
    engine.fail = True
    assert loop.cycle().outcome == "skipped"
    assert loop.histories["id-api"] is history


def test_malformed_services_are_skipped_not_fatal() -> None:
    broken: list[Any] = [
        "not a service",
        {"ID": "x"},  # no Spec
        raw_service("mode") | {"Spec": {**raw_service("m")["Spec"], "Mode": "replicated"}},
        raw_service("count")
        | {"Spec": {**raw_service("c")["Spec"], "Mode": {"Replicated": {"Replicas": "2"}}}},
        {"ID": "y", "Version": {"Index": "seven"}, "Spec": {"Name": "y"}},
        raw_service("bad-labels")
        | {"Spec": {**raw_service("z")["Spec"], "Labels": {"technovastore.io/autoscale": "true"}}},
        raw_service("global") | {"Spec": {**raw_service("g")["Spec"], "Mode": {"Global": {}}}},
        raw_service("api"),
    ]
    engine = InMemoryEngine(broken)
    report = controller(engine).cycle()
    assert report.outcome == "ok" and set(report.decisions) == {"api"}


def test_a_service_removed_mid_run_is_forgotten() -> None:
    engine = InMemoryEngine([raw_service("api"), raw_service("web")])
    loop = controller(engine)
    loop.cycle()
    assert set(loop.histories) == {"id-api", "id-web"}
    engine.services = [raw_service("api")]
    loop.cycle()
    assert set(loop.histories) == {"id-api"}
    assert "web" not in loop.metrics.services


def test_a_service_vanishing_between_calls_is_not_an_error() -> None:
    engine = InMemoryEngine([raw_service("api"), raw_service("web")])
    engine.vanish = {"id-web"}
    report = controller(engine).cycle()
    assert report.outcome == "ok" and "web" not in report.decisions and not report.failures


def test_a_rolling_update_in_progress_is_left_alone() -> None:
    engine = InMemoryEngine([raw_service("api", UpdateStatus={"State": "updating"})])
    report = controller(engine).cycle()
    assert engine.scaled == [] and report.decisions == {}


def test_a_refused_update_records_no_scale_event() -> None:
    engine = InMemoryEngine([raw_service("api")])
    engine.refuse_scale = True
    loop = controller(engine)
    report = loop.cycle()
    assert report.failures == ["api"]
    assert loop.histories["id-api"].scale_up_events == []


def test_dry_run_never_scales() -> None:
    engine = InMemoryEngine([raw_service("api")])
    report = controller(engine, dry_run=True).cycle()
    assert engine.scaled == [] and report.decisions["api"].desired == 6


class RaisingSource:
    metrics = ("memory",)

    def read(self, service: ServiceView, tasks: Any, health: Any) -> Samples:
        raise RuntimeError("a bug in a source")


class GarbageSource:
    """Samples no decision can use: a string, a negative count, a float, an infinite time."""

    metrics = ("memory",)

    def read(self, service: ServiceView, tasks: Any, health: Any) -> Any:
        return {
            "memory": {
                "task-0": "lots",
                "task-1": Sample(-5, NOW, 1.0),
                "task-2": Sample(1.5, NOW, 1.0),  # type: ignore[arg-type]
                "task-3": Sample(5, float("inf"), 1.0),
            }
        }


MEMORY_AND_CPU = ServiceRules(
    AutoscalingSpec(2, 6, (MetricTarget("cpu", 50), MetricTarget("memory", 80)), Behavior())
)


def two_metric_controller(engine: InMemoryEngine, extra: Any) -> Controller:
    return Controller(
        engine,  # type: ignore[arg-type]
        [BusySource(200), extra],  # type: ignore[list-item]
        AutoscalerMetrics(),
        ControllerConfig(rules={"api": MEMORY_AND_CPU}),
        clock=lambda: NOW,
    )


def test_a_source_raising_anything_is_a_failed_metric_and_the_others_are_used() -> None:
    engine = InMemoryEngine([raw_service("api")])
    report = two_metric_controller(engine, RaisingSource()).cycle()
    decision = report.decisions["api"]
    assert engine.scaled == [("api", 6)]  # cpu alone scales up
    (memory,) = [m for m in decision.metrics if m.metric == "memory"]
    assert memory.error is not None and "RuntimeError: a bug in a source" in memory.error


def test_samples_that_are_not_counts_are_dropped() -> None:
    service = raw_service("api")
    service["Spec"]["TaskTemplate"]["Resources"]["Reservations"]["MemoryBytes"] = 64 * 2**20
    engine = InMemoryEngine([service])
    report = two_metric_controller(engine, GarbageSource()).cycle()
    (memory,) = [m for m in report.decisions["api"].metrics if m.metric == "memory"]
    assert memory.proposal is None and memory.error is not None  # no usable sample: unavailable
    assert engine.scaled == [("api", 6)]


def test_malformed_tasks_are_left_out_and_the_service_still_decided() -> None:
    engine = InMemoryEngine([raw_service("api")])
    engine.raw_tasks = [
        "not a task",
        {"Status": {"State": "running"}},  # no ID
        {"ID": "odd", "Status": "running", "NetworksAttachments": "none", "Slot": "one"},
        raw_task(0),
        raw_task(1),
    ]
    report = controller(engine).cycle()
    assert report.outcome == "ok" and report.decisions["api"].desired == 6


def test_an_unforeseen_failure_skips_the_cycle_not_the_process() -> None:
    engine = InMemoryEngine([raw_service("api")])
    engine.services = 42  # type: ignore[assignment]  # copy.deepcopy(42) is not a list of services
    loop = controller(engine)
    report = loop.cycle()
    assert report.outcome == "skipped" and "TypeError" in report.failures[0]
    engine.services = [raw_service("api")]
    assert loop.cycle().outcome == "ok"


def test_a_service_without_behavior_gets_the_configured_downscale_window() -> None:
    bare = ServiceRules(AutoscalingSpec(1, 6, (MetricTarget("cpu", 50),)))  # no behavior label
    held = InMemoryEngine([raw_service("api", replicas=4)])
    controller(held, millicores=10, rules={"api": bare}).cycle()
    assert held.scaled == []  # a fresh history holds 4 for the 300 s window
    at_once = InMemoryEngine([raw_service("api", replicas=4)])
    controller(at_once, millicores=10, rules={"api": bare}, downscale_stabilization_window=0).cycle()
    assert at_once.scaled == [("api", 1)]
