"""The whole decision against the Kubernetes controller's own reconcile tests.

Each case is one of kubernetes/kubernetes pkg/controller/podautoscaler/horizontal_test.go,
named after its Go test, translated as that file's ``testCase`` builds the cluster:

- ``specReplicas`` is the service's replica count; the pods are tasks, one per entry of
  ``reportedCPURequests`` (else ``statusReplicas`` of them, each asking 1 core); upstream splits
  each pod's request and CPU level over two containers in integer halves, so a task's request
  and sample are twice the half here;
- ``CPUTarget`` is the cpu target; the "qps" Pods metric is response_time (its milli-values are
  our microseconds against a target in milliseconds), fed from the same reported levels;
- a "CheddarCheese" or failing External metric is a metric whose source failed (memory here);
- samples are taken now over a one-minute window; hot tasks started now, cool ones three
  minutes ago, others at the zero time; readiness last changed when the task started;
- no ``scaleUpRules``/``scaleDownRules``: a spec without a behavior, judged with the tests'
  ``scaleUpLimitFactor`` of 8 (set in init()) and the 5-minute downscale window;
- ``recommendations`` nil: a fresh controller (it records the current count first); an empty
  list: a history known to be empty.

Object and External metrics, container metrics, selectors, events and status writes have no
Swarm equivalent and are left out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest

from autoscaler.behavior import Recommendation, ScalingHistory
from autoscaler.decision import Observation, decide
from autoscaler.replicas import Sample, TaskState, Timing
from autoscaler.spec import AutoscalingSpec, Behavior, MetricTarget, ScalingRules
from tests.support.hpa_rules import generate_scaling_rules

NOW = 1_000_000.0
HOT, COOL = NOW, NOW - 180  # hotCPUCreationTime / coolCPUCreationTime
# defaultTestingCPUInitializationPeriod, defaultTestingDelayOfInitialReadinessStatus, the 5-minute
# downscale window setupController passes, and scaleUpLimitFactor = 8 from init().
TIMING = Timing(NOW, 120, 10, 300, 8.0, 4.0)
FAILED_SOURCE = "something went wrong"


@dataclass
class Case:
    min: int
    max: int
    spec: int
    expected: int
    cpu: int = 0  # CPUTarget, % of the request (0: no cpu metric)
    qps: int = 0  # the Pods metric's averageValue (0: none)
    levels: tuple[int, ...] = ()
    requests: tuple[int, ...] | None = None  # millicores per task; None: status tasks of 1000
    status: int | None = None  # statusReplicas when not specReplicas
    readiness: tuple[bool, ...] = ()
    start_times: tuple[float, ...] = ()
    phases: tuple[str, ...] = ()
    deleting: tuple[bool, ...] = ()
    failing_metric: bool = False
    scale_up_rules: ScalingRules | None = None
    recommendations: tuple[tuple[int, float], ...] | None = None  # (replicas, age s)
    cpu_current: int | None = None  # the utilization the status reports (verifyCPUCurrent)
    limited_by: str | None = None


def half_pair(value: int) -> int:
    """Two containers of half each, in integer millicores, as the Go test builds them."""
    return 2 * (value // 2)


def observation(case: Case) -> Observation:
    requests = case.requests if case.requests is not None else (1000,) * (case.status or case.spec)
    tasks = [
        TaskState(
            f"test-pod-{i}",
            phase=case.phases[i] if case.phases else "running",  # type: ignore[arg-type]
            ready=case.readiness[i] if case.readiness else True,
            ready_since=case.start_times[i] if case.start_times else 0.0,
            started_at=case.start_times[i] if case.start_times else 0.0,
            being_removed=case.deleting[i] if case.deleting else False,
            requests={"cpu": half_pair(request)},
        )
        for i, request in enumerate(requests)
    ]
    samples: dict = {}
    if case.cpu:
        samples["cpu"] = {f"test-pod-{i}": Sample(half_pair(v), NOW, 60.0) for i, v in enumerate(case.levels)}
    if case.qps:
        samples["response_time"] = {f"test-pod-{i}": Sample(v, NOW, 60.0) for i, v in enumerate(case.levels)}
    errors: dict = {"memory": FAILED_SOURCE} if case.failing_metric else {}
    return Observation(case.spec, tasks, samples, errors)


def spec_of(case: Case) -> AutoscalingSpec:
    metrics = [MetricTarget("cpu", case.cpu)] if case.cpu else []
    if case.qps:
        metrics.append(MetricTarget("response_time", case.qps))
    if case.failing_metric:
        metrics.append(MetricTarget("memory", 80))
    behavior = Behavior(scale_up=case.scale_up_rules) if case.scale_up_rules else None
    return AutoscalingSpec(case.min, case.max, tuple(metrics), behavior)


def history_of(case: Case) -> ScalingHistory:
    if case.recommendations is None:
        return ScalingHistory()
    return ScalingHistory([Recommendation(r, NOW - age) for r, age in case.recommendations])


EMPTY: tuple[tuple[int, float], ...] = ()
R3 = (1000, 1000, 1000)
R5 = (1000,) * 5
R_TOLERANCE = (900, 1000, 1100)
R_TENTH = (100, 100, 100)

CASES: dict[str, Case] = {
    "TestScaleUp": Case(2, 6, 3, 5, cpu=30, levels=(300, 500, 700), requests=R3, cpu_current=50),
    "TestScaleUpUnreadyLessScale": Case(
        2, 6, 3, 4, cpu=30, levels=(300, 500, 700), requests=R3, readiness=(False, True, True), cpu_current=60
    ),
    "TestScaleUpHotCpuLessScale": Case(
        2, 6, 3, 4, cpu=30, levels=(300, 500, 700), requests=R3, start_times=(HOT, COOL, COOL), cpu_current=60
    ),
    "TestScaleUpUnreadyNoScale": Case(
        2,
        6,
        3,
        3,
        cpu=30,
        levels=(400, 500, 700),
        requests=R3,
        readiness=(True, False, False),
        cpu_current=40,
    ),
    "TestScaleUpHotCpuNoScale": Case(
        2,
        6,
        3,
        3,
        cpu=30,
        levels=(400, 500, 700),
        requests=R3,
        readiness=(True, False, False),
        start_times=(COOL, HOT, HOT),
        cpu_current=40,
    ),
    "TestScaleUpIgnoresFailedPods": Case(
        2,
        6,
        2,
        4,
        cpu=30,
        levels=(500, 700),
        requests=(1000,) * 4,
        readiness=(True, True, False, False),
        phases=("running", "running", "failed", "failed"),
        cpu_current=60,
    ),
    "TestScaleUpIgnoresDeletionPods": Case(
        2,
        6,
        2,
        4,
        cpu=30,
        levels=(500, 700),
        requests=(1000,) * 4,
        readiness=(True, True, False, False),
        deleting=(False, False, True, True),
        cpu_current=60,
    ),
    "TestScaleUpCM": Case(2, 6, 3, 4, qps=15, levels=(20000, 10000, 30000), requests=R3),
    "TestScaleUpCMUnreadyAndHotCpuNoLessScale": Case(
        2,
        6,
        3,
        6,
        qps=15,
        levels=(50000, 10000, 30000),
        requests=R3,
        readiness=(True, True, False),
        start_times=(COOL, COOL, HOT),
    ),
    "TestScaleUpCMUnreadyandCpuHot": Case(
        2,
        6,
        3,
        6,
        qps=15,
        levels=(50000, 15000, 30000),
        requests=R3,
        readiness=(False, True, False),
        start_times=(HOT, COOL, HOT),
        limited_by="TooManyReplicas",
    ),
    "TestScaleUpHotCpuNoScaleWouldScaleDown": Case(
        2,
        6,
        3,
        6,
        qps=15,
        levels=(50000, 15000, 30000),
        requests=R3,
        start_times=(HOT, COOL, HOT),
        limited_by="TooManyReplicas",
    ),
    "TestScaleDown": Case(
        2,
        6,
        5,
        3,
        cpu=50,
        levels=(100, 300, 500, 250, 250),
        requests=R5,
        recommendations=EMPTY,
        cpu_current=28,
    ),
    "TestScaleDownWithScalingRules": Case(
        2,
        6,
        5,
        3,
        cpu=50,
        levels=(100, 300, 500, 250, 250),
        requests=R5,
        scale_up_rules=generate_scaling_rules(0, 0, 100, 15, 30),
        recommendations=EMPTY,
        cpu_current=28,
    ),
    # An invalid metric type or a failing External metric: here, a source that failed.
    "TestScaleUpOneMetricInvalid / TestScaleUpOneMetricEmpty": Case(
        2, 6, 3, 4, cpu=30, levels=(300, 400, 500), requests=R3, failing_metric=True, cpu_current=40
    ),
    "TestScaleUpFromZeroOneMetricInvalid": Case(
        0,
        6,
        0,
        4,
        cpu=30,
        levels=(300, 400, 500),
        requests=R3,
        failing_metric=True,
        recommendations=EMPTY,
        cpu_current=40,
    ),
    "TestScaleUpBothMetricsEmpty": Case(2, 6, 3, 3, requests=R3, failing_metric=True),
    "TestScaleDownStabilizeInitialSize": Case(
        2,
        6,
        5,
        5,
        cpu=50,
        levels=(100, 300, 500, 250, 250),
        requests=R5,
        cpu_current=28,
        limited_by="ScaleDownStabilized",
    ),
    "TestScaleDownCM": Case(2, 6, 5, 3, qps=20, levels=(12000,) * 5, requests=R5, recommendations=EMPTY),
    "TestScaleDownIncludeUnreadyPods": Case(
        2,
        6,
        5,
        2,
        cpu=50,
        levels=(100, 300, 500, 250, 250),
        requests=R5,
        readiness=(True, True, True, False, False),
        recommendations=EMPTY,
        cpu_current=30,
    ),
    "TestScaleDownIgnoreHotCpuPods": Case(
        2,
        6,
        5,
        2,
        cpu=50,
        levels=(100, 300, 500, 250, 250),
        requests=R5,
        start_times=(COOL, COOL, COOL, HOT, HOT),
        recommendations=EMPTY,
        cpu_current=30,
    ),
    "TestScaleDownIgnoresFailedPods": Case(
        2,
        6,
        5,
        3,
        cpu=50,
        levels=(100, 300, 500, 250, 250),
        requests=(1000,) * 7,
        readiness=(True,) * 5 + (False, False),
        phases=("running",) * 5 + ("failed", "failed"),
        recommendations=EMPTY,
        cpu_current=28,
    ),
    "TestScaleDownIgnoresDeletionPods": Case(
        2,
        6,
        5,
        3,
        cpu=50,
        levels=(100, 300, 500, 250, 250),
        requests=(1000,) * 7,
        readiness=(True,) * 5 + (False, False),
        deleting=(False,) * 5 + (True, True),
        recommendations=EMPTY,
        cpu_current=28,
    ),
    "TestTolerance": Case(1, 5, 3, 3, cpu=100, levels=(1010, 1030, 1020), requests=R_TOLERANCE),
    "TestToleranceCM": Case(1, 5, 3, 3, qps=20, levels=(20000, 20001, 21000), requests=R_TOLERANCE),
    "TestMinReplicas": Case(
        2,
        5,
        3,
        2,
        cpu=90,
        levels=(10, 95, 10),
        requests=R_TOLERANCE,
        recommendations=EMPTY,
        limited_by="TooFewReplicas",
    ),
    "TestZeroMinReplicasDesiredZero": Case(
        0,
        5,
        3,
        0,
        cpu=90,
        levels=(0, 0, 0),
        requests=R_TOLERANCE,
        recommendations=EMPTY,
        limited_by="DesiredWithinRange",
    ),
    "TestMinReplicasDesiredZero": Case(
        2,
        5,
        3,
        2,
        cpu=90,
        levels=(0, 0, 0),
        requests=R_TOLERANCE,
        recommendations=EMPTY,
        limited_by="TooFewReplicas",
    ),
    "TestZeroReplicas": Case(3, 5, 0, 0, cpu=90, requests=(), limited_by="ScalingDisabled"),
    "TestTooFewReplicas": Case(3, 5, 2, 3, cpu=90, requests=()),
    "TestTooManyReplicas": Case(3, 5, 10, 5, cpu=90, requests=()),
    "TestMaxReplicas": Case(
        2, 5, 3, 5, cpu=90, levels=(8000, 9500, 1000), requests=R_TOLERANCE, limited_by="TooManyReplicas"
    ),
    "TestSuperfluousMetrics": Case(
        2,
        6,
        4,
        6,
        cpu=100,
        levels=(4000, 9500, 3000, 7000, 3200, 2000),
        requests=(1000,) * 4,
        limited_by="TooManyReplicas",
    ),
    "TestMissingMetrics": Case(
        2, 6, 4, 3, cpu=100, levels=(400, 95), requests=(1000,) * 4, recommendations=EMPTY
    ),
    "TestEmptyMetrics": Case(
        2, 6, 4, 4, cpu=100, requests=(1000,) * 4, limited_by="FailedComputeMetricsReplicas"
    ),
    "TestEmptyCPURequest": Case(
        1, 5, 1, 1, cpu=100, levels=(200,), requests=(), limited_by="FailedComputeMetricsReplicas"
    ),
    "TestEventCreated": Case(1, 5, 1, 2, cpu=50, levels=(200,), requests=(200,)),
    "TestEventNotCreated": Case(1, 5, 2, 2, cpu=50, levels=(200, 200), requests=(400, 400)),
    "TestMissingReports": Case(1, 5, 4, 2, cpu=50, levels=(200,), requests=(200,), recommendations=EMPTY),
    "TestUpscaleCap": Case(
        1,
        100,
        3,
        24,
        cpu=10,
        levels=(100, 200, 300),
        requests=R_TENTH,
        scale_up_rules=generate_scaling_rules(0, 0, 700, 60, 0),
        limited_by="ScaleUpLimit",
    ),
    "TestUpscaleCapGreaterThanMaxReplicas": Case(
        1,
        20,
        3,
        20,
        cpu=10,
        levels=(100, 200, 300),
        requests=R_TENTH,
        scale_up_rules=generate_scaling_rules(0, 0, 700, 60, 0),
        limited_by="TooManyReplicas",
    ),
    # A rolling update's surge task: utilization at target, the spec's count stays.
    "TestMoreReplicasThanSpecNoScale": Case(1, 8, 4, 4, cpu=50, levels=(500,) * 5, requests=R5, status=5),
    "TestConditionFailedGetMetrics (FailedGetResourceMetric)": Case(
        1, 100, 3, 3, cpu=10, requests=R_TENTH, limited_by="FailedComputeMetricsReplicas"
    ),
    "TestNoBackoffUpscaleCM": Case(1, 5, 3, 4, qps=15, levels=(20000, 10000, 30000), requests=R3),
    "TestNoBackoffUpscaleCMNoBackoffCpu": Case(
        1, 5, 3, 5, cpu=10, qps=15, levels=(20000, 10000, 30000), requests=R3, limited_by="TooManyReplicas"
    ),
    "TestStabilizeDownscale": Case(
        1,
        5,
        4,
        4,
        cpu=100,
        levels=(50, 50, 50),
        requests=R_TENTH,
        recommendations=((10, 600), (4, 60)),
        limited_by="ScaleDownStabilized",
    ),
    "TestScaleUpRCImmediately": Case(2, 6, 1, 2, cpu=80, levels=(0,) * 4, requests=(1000,) * 4),
    "TestScaleDownRCImmediately": Case(2, 5, 6, 5, cpu=50, levels=(8000, 9500, 1000), requests=R_TOLERANCE),
    # The HPA the test serves has an 80 % target; hot tasks are left out, the rest asks for 1.
    "TestAvoidUnnecessaryUpdates": Case(
        2,
        6,
        2,
        2,
        cpu=80,
        levels=(400, 500, 700),
        requests=R3,
        start_times=(COOL, HOT, HOT),
        recommendations=EMPTY,
        cpu_current=40,
        limited_by="TooFewReplicas",
    ),
    "TestNoScaleDownOneMetricInvalid / TestNoScaleDownOneMetricEmpty": Case(
        2,
        6,
        5,
        5,
        cpu=50,
        levels=(100, 300, 500, 250, 250),
        requests=R5,
        failing_metric=True,
        recommendations=EMPTY,
        limited_by="FailedComputeMetricsReplicas",
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_reconcile_case_from_the_controller(name: str) -> None:
    case = CASES[name]
    decision = decide(spec_of(case), observation(case), history_of(case), TIMING)
    assert decision.desired == case.expected
    if case.limited_by is not None:
        assert decision.limited_by == case.limited_by
    if case.cpu_current is not None:
        (cpu,) = [status for status in decision.metrics if status.metric == "cpu"]
        assert cpu.value == case.cpu_current


def test_computed_tolerance_regression_from_the_controller() -> None:
    """TestComputedToleranceAlgImplementation: just past the tolerance scales down, just inside does not."""
    start_pods, total_used = 10, 10 * 150
    total_requested = 2 * total_used
    requested_to_used = float(total_requested // total_used)
    per_pod = total_requested // start_pods
    requests = tuple(per_pod + d for d in (100, -100, 10, -10, 2, -2, 1, -1, 0, 0))

    def desired(target: float) -> int:
        case = Case(
            0,
            1000,
            start_pods,
            0,
            cpu=int(target * 100),
            levels=(total_used // 10,) * 10,
            requests=requests,
            recommendations=EMPTY,
        )
        return decide(spec_of(case), observation(case), history_of(case), TIMING).desired

    target = abs(1 / (requested_to_used * (1 - 0.1))) + 0.01
    used_ratio = total_used / (total_requested * target)
    assert desired(target) == math.ceil(used_ratio * start_pods)
    assert desired(abs(1 / (requested_to_used * (1 - 0.1))) + 0.004) == start_pods


def test_a_fresh_controller_records_the_current_count_first() -> None:
    """recordInitialRecommendation: nil history (not an empty one) holds a first scale-down."""
    case = CASES["TestScaleDown"]
    fresh = ScalingHistory()
    assert decide(spec_of(case), observation(case), fresh, TIMING).desired == case.spec
    assert [r.replicas for r in fresh.recommendations or []] == [case.spec, case.expected]
