"""The whole decision against the HPA's documented behavior ("Horizontal Pod Autoscaling":
algorithm details, multiple metrics, missing metrics, stabilization window, scaling policies)
and horizontal_test.go's reconcile cases that need no Kubernetes object."""

from __future__ import annotations

from autoscaler.behavior import ScalingHistory
from autoscaler.decision import Observation, decide, record_scale
from autoscaler.replicas import Sample, TaskState, Timing
from autoscaler.spec import AutoscalingSpec, Behavior, MetricTarget, ScalingPolicy, ScalingRules

NOW = 1_000_000.0
CPU_REQUEST = 1000  # millicores
MEMORY_REQUEST = 512 * 2**20


def tasks(count: int, **overrides) -> list[TaskState]:
    return [
        TaskState(
            f"t{i}",
            started_at=NOW - 3600,
            ready_since=NOW - 3600,
            requests={"cpu": CPU_REQUEST, "memory": MEMORY_REQUEST},
            **overrides,
        )
        for i in range(count)
    ]


def observe(count: int, cpu: list[int] | None = None, memory: list[float] | str | None = None) -> Observation:
    """``cpu``: millicores per task; ``memory``: fraction of the reservation per task, or the
    error its source gave."""
    errors: dict = {"memory": memory} if isinstance(memory, str) else {}
    samples: dict = {}
    if cpu is not None:
        samples["cpu"] = {f"t{i}": Sample(v, NOW - 1, 1.0) for i, v in enumerate(cpu)}
    if isinstance(memory, list):
        samples["memory"] = {
            f"t{i}": Sample(int(v * MEMORY_REQUEST), NOW - 1, 1.0) for i, v in enumerate(memory)
        }
    return Observation(count, tasks(count), samples, errors)


def spec(lo: int = 2, hi: int = 10, behavior: Behavior | None = None, **targets: int) -> AutoscalingSpec:
    metrics = tuple(MetricTarget(name, value) for name, value in (targets or {"cpu": 50}).items())  # type: ignore[arg-type]
    return AutoscalingSpec(lo, hi, metrics, behavior or Behavior())


def test_desired_is_ceil_of_current_times_ratio() -> None:
    # The documented example: current 200m against a 100m target doubles the replicas.
    decision = decide(spec(cpu=10), observe(2, cpu=[200, 200]), ScalingHistory(), Timing(NOW))
    assert (decision.desired, decision.reason, decision.limited_by) == (
        4,
        "cpu above target",
        "DesiredWithinRange",
    )


def test_ratio_within_tolerance_changes_nothing() -> None:
    decision = decide(spec(cpu=50), observe(4, cpu=[540] * 4), ScalingHistory(), Timing(NOW))
    assert decision.desired == 4 and decision.recommendation == 4


def test_largest_metric_proposal_wins() -> None:
    decision = decide(
        spec(cpu=50, memory=80), observe(4, cpu=[250] * 4, memory=[1.6] * 4), ScalingHistory(), Timing(NOW)
    )
    statuses = {s.metric: s.proposal for s in decision.metrics}
    assert statuses == {"cpu": 2, "memory": 8}
    assert (decision.desired, decision.reason) == (8, "memory above target")


def test_a_failing_metric_is_ignored_when_the_others_scale_up() -> None:
    decision = decide(
        spec(cpu=50, memory=80),
        observe(2, cpu=[1000, 1000], memory="stats unavailable"),
        ScalingHistory(),
        Timing(NOW),
    )
    assert decision.desired == 4
    assert [s.error for s in decision.metrics] == [None, "stats unavailable"]


def test_a_failing_metric_never_lets_the_others_scale_down() -> None:
    history = ScalingHistory()
    decision = decide(
        spec(cpu=50, memory=80), observe(6, cpu=[50] * 6, memory="timeout"), history, Timing(NOW)
    )
    assert (decision.desired, decision.limited_by) == (6, "FailedComputeMetricsReplicas")
    assert "memory: timeout" in decision.reason


def test_no_metric_at_all_changes_nothing() -> None:
    decision = decide(spec(cpu=50), observe(3, cpu=[]), ScalingHistory(), Timing(NOW))
    assert (decision.desired, decision.limited_by) == (3, "FailedComputeMetricsReplicas")


def test_out_of_bounds_counts_return_to_the_bounds_at_once() -> None:
    assert decide(spec(lo=2, hi=5), observe(9, cpu=[0] * 9), ScalingHistory(), Timing(NOW)).desired == 5
    assert decide(spec(lo=3, hi=5), observe(1, cpu=[900]), ScalingHistory(), Timing(NOW)).desired == 3


def test_zero_replicas_means_scaling_is_disabled() -> None:
    decision = decide(spec(lo=2, hi=5), observe(0), ScalingHistory(), Timing(NOW))
    assert (decision.desired, decision.limited_by) == (0, "ScalingDisabled")


def test_proposal_is_bounded_by_max_and_min() -> None:
    assert decide(
        spec(hi=6, cpu=10), observe(4, cpu=[1000] * 4), ScalingHistory(), Timing(NOW)
    ).limited_by in (
        "TooManyReplicas",
        "ScaleUpLimit",
    )
    no_window = Behavior(scale_down=ScalingRules(0, "Max", (ScalingPolicy("Percent", 100, 15),)))
    decision = decide(spec(lo=3, behavior=no_window), observe(8, cpu=[1] * 8), ScalingHistory(), Timing(NOW))
    assert (decision.desired, decision.limited_by) == (3, "TooFewReplicas")


def test_scale_down_waits_for_the_stabilization_window_then_steps_by_policy() -> None:
    # Load stops at 8 replicas; the default 300 s window holds them; then the policy
    # (1 pod per 60 s) removes one at a time, never below min.
    calm = Behavior(
        scale_down=ScalingRules(300, "Min", (ScalingPolicy("Pods", 1, 60), ScalingPolicy("Percent", 10, 60)))
    )
    the_spec, history = spec(lo=2, hi=10, behavior=calm), ScalingHistory()
    current, t, trace = 8, NOW, []
    decide(the_spec, observe(current, cpu=[900] * current), history, Timing(t))  # busy: recommends 8+
    for step in range(1, 15):
        t = NOW + step * 60
        decision = decide(the_spec, observe(current, cpu=[10] * current), history, Timing(t))
        trace.append((step * 60, decision.desired, decision.limited_by))
        if decision.scale:
            record_scale(history, the_spec, decision, t)
            current = decision.desired
    held = [d for s, d, _ in trace if s < 300]
    assert set(held) == {8} and all(why == "ScaleDownStabilized" for s, _, why in trace if s < 300)
    steps = [d for s, d, _ in trace if s >= 300]
    assert steps[:6] == [7, 6, 5, 4, 3, 2] and min(steps) == 2


def test_cooldown_reports_the_time_left_in_the_scale_down_window() -> None:
    history = ScalingHistory()
    decide(spec(cpu=50), observe(6, cpu=[600] * 6), history, Timing(NOW))
    decision = decide(spec(cpu=50), observe(6, cpu=[100] * 6), history, Timing(NOW + 100))
    assert decision.cooldown_seconds["down"] == 200
    assert decision.desired == 6


def test_unready_tasks_count_as_zero_only_on_a_scale_up() -> None:
    # Three ready tasks at 100 % against a 50 % target and one pending task: the pending one
    # counts as 0 %, so utilization is 300 %/4 = 75 %, ratio 1.5, ceil(1.5 x 4) = 6 (not 8).
    observation = Observation(
        4,
        [
            *tasks(3),
            TaskState("t3", phase="pending", requests={"cpu": CPU_REQUEST, "memory": MEMORY_REQUEST}),
        ],
        {"cpu": {f"t{i}": Sample(1000, NOW - 1, 1.0) for i in range(3)}},
    )
    decision = decide(spec(lo=1, hi=20, cpu=50), observation, ScalingHistory(), Timing(NOW))
    assert decision.desired == 6


def test_each_direction_can_have_its_own_tolerance() -> None:
    # HPAConfigurableTolerance: behavior.scaleUp/scaleDown.tolerance replace the controller's 10 %.
    default_up, default_down = Behavior().scale_up, Behavior().scale_down
    tuned = Behavior(
        ScalingRules(0, "Max", default_up.policies, tolerance=0.05),
        ScalingRules(0, "Max", default_down.policies, tolerance=0.25),
    )
    # 54 % of a 50 % target (ratio 1.08): inside 10 %, outside the 5 % scale-up tolerance.
    assert decide(spec(cpu=50), observe(4, cpu=[540] * 4), ScalingHistory(), Timing(NOW)).desired == 4
    assert (
        decide(spec(cpu=50, behavior=tuned), observe(4, cpu=[540] * 4), ScalingHistory(), Timing(NOW)).desired
        == 5
    )
    # 40 % (ratio 0.8) on 6 tasks: outside 10 % (down to 5), inside the 25 % scale-down tolerance.
    no_window = Behavior(default_up, ScalingRules(0, "Max", default_down.policies))
    calm = observe(6, cpu=[400] * 6)
    assert decide(spec(cpu=50, behavior=no_window), calm, ScalingHistory([]), Timing(NOW)).desired == 5
    assert decide(spec(cpu=50, behavior=tuned), calm, ScalingHistory([]), Timing(NOW)).desired == 6


def test_without_behavior_a_scale_up_is_limited_to_twice_current_or_four() -> None:
    # An HPA without spec.behavior: calculateScaleUpLimit, max(2 x current, 4).
    no_behavior = AutoscalingSpec(1, 100, (MetricTarget("cpu", 10),))
    decision = decide(no_behavior, observe(3, cpu=[1000] * 3), ScalingHistory(), Timing(NOW))
    assert (decision.desired, decision.limited_by) == (6, "ScaleUpLimit")
    decision = decide(no_behavior, observe(1, cpu=[1000]), ScalingHistory(), Timing(NOW))
    assert (decision.desired, decision.limited_by) == (4, "ScaleUpLimit")
