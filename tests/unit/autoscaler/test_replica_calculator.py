"""The replica calculation against the Kubernetes controller's own unit tests.

Each case is one of kubernetes/kubernetes pkg/controller/podautoscaler/replica_calculator_test.go
(named after its Go test), translated: pods are tasks, each upstream pod has two containers
with the same request and level (so a task's request and sample are twice the listed values,
which keeps the upstream ``expectedValue`` figures), unset start times are the zero time
(``cool``), ``hot`` tasks started now (inside the 2-minute CPU initialization period the
upstream tests use). Object and External metric cases have no Swarm equivalent and are left out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pytest

from autoscaler.replicas import (
    MetricUnavailable,
    Sample,
    TaskState,
    Timing,
    Tolerances,
    group_tasks,
    plain_metric_replicas,
    resource_replicas,
)

NOW = 1_000_000.0
HOT, COOL = NOW, NOW - 180  # hotCPUCreationTime / coolCPUCreationTime
TIMING = Timing(now=NOW, cpu_initialization_period=120, initial_readiness_delay=10)  # upstream test defaults
TOLERANCE = Tolerances(0.1, 0.1)
CONTAINERS = 2  # numContainersPerPod


@dataclass
class Case:
    current: int
    expected: int
    levels: list[int]
    target: int
    requests: list[float] = field(default_factory=list)  # cores, per container
    expected_utilization: int | None = None
    expected_value: int | None = None
    readiness: list[bool] = field(default_factory=list)
    start_times: list[float] = field(default_factory=list)
    phases: list[str] = field(default_factory=list)
    deleting: list[bool] = field(default_factory=list)
    sample_names: list[str] = field(default_factory=list)


def tasks_of(case: Case, resource: str | None) -> list[TaskState]:
    count = max(case.current, len(case.phases))
    tasks = []
    for i in range(count):
        requests = None
        if resource and i < len(case.requests):
            requests = {resource: CONTAINERS * round(case.requests[i] * 1000)}
        tasks.append(
            TaskState(
                name=f"test-pod-{i}",
                phase=case.phases[i] if case.phases else "running",  # type: ignore[arg-type]
                ready=case.readiness[i] if i < len(case.readiness) else True,
                started_at=case.start_times[i] if case.start_times else 0.0,
                being_removed=case.deleting[i] if case.deleting else False,
                requests=requests,
            )
        )
    return tasks


def samples_of(case: Case, per_container: bool) -> dict[str, Sample]:
    factor = CONTAINERS if per_container else 1
    names = case.sample_names or [f"test-pod-{i}" for i in range(len(case.levels))]
    return {
        name: Sample(level * factor, timestamp=0.0, window=60.0)
        for name, level in zip(names, case.levels, strict=True)
    }


def cpu(case: Case):
    return resource_replicas(
        case.current, case.target, "cpu", tasks_of(case, "cpu"), samples_of(case, True), TOLERANCE, TIMING
    )


RESOURCE_CASES = {
    "TestReplicaCalcScaleUp": Case(3, 5, [300, 500, 700], 30, [1, 1, 1], 50, CONTAINERS * 500),
    "TestReplicaCalcScaleUpUnreadyLessScale": Case(
        3, 4, [300, 500, 700], 30, [1, 1, 1], 60, CONTAINERS * 600, readiness=[False, True, True]
    ),
    "TestReplicaCalcScaleUpHotCpuLessScale": Case(
        3, 4, [300, 500, 700], 30, [1, 1, 1], 60, CONTAINERS * 600, start_times=[HOT, COOL, COOL]
    ),
    "TestReplicaCalcScaleUpUnreadyNoScale": Case(
        3, 3, [400, 500, 700], 30, [1, 1, 1], 40, CONTAINERS * 400, readiness=[True, False, False]
    ),
    "TestReplicaCalcScaleHotCpuNoScale": Case(
        3,
        3,
        [400, 500, 700],
        30,
        [1, 1, 1],
        40,
        CONTAINERS * 400,
        readiness=[True, False, False],
        start_times=[COOL, HOT, HOT],
    ),
    "TestReplicaCalcScaleUpIgnoresFailedPods": Case(
        2,
        4,
        [500, 700],
        30,
        [1, 1, 1, 1],
        60,
        CONTAINERS * 600,
        readiness=[True, True, False, False],
        phases=["running", "running", "failed", "failed"],
    ),
    "TestReplicaCalcScaleUpIgnoresDeletionPods": Case(
        2,
        4,
        [500, 700],
        30,
        [1, 1, 1, 1],
        60,
        CONTAINERS * 600,
        readiness=[True, True, False, False],
        phases=["running"] * 4,
        deleting=[False, False, True, True],
    ),
    "TestReplicaCalcScaleDown": Case(5, 3, [100, 300, 500, 250, 250], 50, [1] * 5, 28, CONTAINERS * 280),
    "TestReplicaCalcScaleDownIncludeUnreadyPods": Case(
        5, 2, [100, 300, 500, 250, 250], 50, [1] * 5, 30, CONTAINERS * 300, readiness=[True] * 3 + [False] * 2
    ),
    "TestReplicaCalcScaleDownExcludeUnscheduledPods": Case(
        5,
        1,
        [100],
        50,
        [1] * 5,
        10,
        CONTAINERS * 100,
        readiness=[True] + [False] * 4,
        phases=["running"] + ["pending"] * 4,
    ),
    "TestReplicaCalcScaleDownIgnoreHotCpuPods": Case(
        5, 2, [100, 300, 500, 250, 250], 50, [1] * 5, 30, CONTAINERS * 300, start_times=[COOL] * 3 + [HOT] * 2
    ),
    "TestReplicaCalcScaleDownIgnoresFailedPods": Case(
        5,
        3,
        [100, 300, 500, 250, 250],
        50,
        [1] * 7,
        28,
        CONTAINERS * 280,
        readiness=[True] * 5 + [False] * 2,
        phases=["running"] * 5 + ["failed"] * 2,
    ),
    "TestReplicaCalcScaleDownIgnoresDeletionPods": Case(
        5,
        3,
        [100, 300, 500, 250, 250],
        50,
        [1] * 7,
        28,
        CONTAINERS * 280,
        readiness=[True] * 5 + [False] * 2,
        phases=["running"] * 7,
        deleting=[False] * 5 + [True] * 2,
    ),
    "TestReplicaCalcTolerance": Case(3, 3, [1010, 1030, 1020], 100, [0.9, 1.0, 1.1], 102, CONTAINERS * 1020),
    "TestReplicaCalcSuperfluousMetrics": Case(
        4, 24, [4000, 9500, 3000, 7000, 3200, 2000], 100, [1] * 4, 587, CONTAINERS * 5875
    ),
    # expectedValue 495: numContainersPerPod * 247, for sufficiently large values of 247
    "TestReplicaCalcMissingMetrics": Case(4, 3, [400, 95], 100, [1] * 4, 24, 495),
    "TestReplicaCalcMissingMetricsNoChangeEq": Case(2, 2, [1000], 100, [1, 1], 100, CONTAINERS * 1000),
    "TestReplicaCalcMissingMetricsNoChangeGt": Case(2, 2, [1900], 100, [1, 1], 190, CONTAINERS * 1900),
    "TestReplicaCalcMissingMetricsNoChangeLt": Case(2, 2, [600], 100, [1, 1], 60, CONTAINERS * 600),
    "TestReplicaCalcMissingMetricsUnreadyChange": Case(
        3, 3, [100, 450], 50, [1] * 3, 45, CONTAINERS * 450, readiness=[False, True, True]
    ),
    "TestReplicaCalcMissingMetricsHotCpuNoChange": Case(
        3, 3, [100, 450], 50, [1] * 3, 45, CONTAINERS * 450, start_times=[HOT, COOL, COOL]
    ),
    "TestReplicaCalcMissingMetricsUnreadyScaleUp": Case(
        3, 4, [100, 2000], 50, [1] * 3, 200, CONTAINERS * 2000, readiness=[False, True, True]
    ),
    "TestReplicaCalcMissingMetricsHotCpuScaleUp": Case(
        3,
        4,
        [100, 2000],
        50,
        [1] * 3,
        200,
        CONTAINERS * 2000,
        readiness=[False, True, True],
        start_times=[HOT, COOL, COOL],
    ),
    "TestReplicaCalcMissingMetricsUnreadyScaleDown": Case(
        4, 3, [100, 100, 100], 50, [1] * 4, 10, CONTAINERS * 100, readiness=[False, True, True, True]
    ),
    # A task without a sample uses the target (above 100 %) of its request on a scale-down.
    "TestReplicaCalcMissingMetricsScaleDownTargetOver100": Case(
        4, 2, [200, 100, 100], 300, [1, 1, 2, 2], 6, CONTAINERS * 100, readiness=[False, True, True, True]
    ),
    # A surge task without a sample would turn the scale-down into a scale-up: nothing changes.
    "TestReplicaCalcDuringRollingUpdateWithMaxSurge": Case(
        2, 2, [100, 100], 50, [1, 1, 1], 10, CONTAINERS * 100, phases=["running"] * 3
    ),
}


@pytest.mark.parametrize("name", sorted(RESOURCE_CASES))
def test_resource_metric_case_from_the_controller(name: str) -> None:
    case = RESOURCE_CASES[name]
    proposal = cpu(case)
    assert (proposal.replicas, proposal.usage, proposal.raw_average) == (
        case.expected,
        case.expected_utilization,
        case.expected_value,
    )


@pytest.mark.parametrize(
    ("name", "case", "message"),
    [
        (
            "TestReplicaCalcDisjointResourcesMetrics",
            Case(1, 0, [100], 100, [1], sample_names=["an-older-pod-name"]),
            "no metrics returned matched known tasks",
        ),
        ("TestReplicaCalcEmptyMetrics", Case(4, 0, [], 100, [1, 1, 1]), "did not receive metrics"),
        ("TestReplicaCalcEmptyCPURequest", Case(1, 0, [200], 100, []), "missing reservation for cpu"),
    ],
)
def test_resource_metric_errors_from_the_controller(name: str, case: Case, message: str) -> None:
    with pytest.raises(MetricUnavailable, match=message):
        cpu(case)


def test_computed_tolerance_regression_from_the_controller() -> None:
    """TestReplicaCalcComputedToleranceAlgImplementation: past the tolerance scales, inside does not."""
    start_pods, total_used = 10, 10 * 150
    total_requested = 2 * total_used
    requested_to_used = float(total_requested // total_used)
    per_pod = total_requested // start_pods
    deltas = [100, -100, 10, -10, 2, -2, 1, -1, 0, 0]

    def run(target: float, expected: int) -> None:
        case = Case(
            start_pods,
            expected,
            [total_used // 10] * 10,
            int(target * 100),
            [(per_pod + d) / 1000 for d in deltas],
            total_used * 100 // total_requested,
            CONTAINERS * total_used // 10,
        )
        proposal = cpu(case)
        assert (proposal.replicas, proposal.usage, proposal.raw_average) == (
            expected,
            case.expected_utilization,
            case.expected_value,
        )

    target = abs(1 / (requested_to_used * (1 - 0.1))) + 0.01
    used_ratio = total_used / (total_requested * target)
    run(target, math.ceil(used_ratio * start_pods))
    run(abs(1 / (requested_to_used * (1 - 0.1))) + 0.004, start_pods)


PLAIN_CASES = {
    "TestReplicaCalcScaleUpCM": (Case(3, 4, [20000, 10000, 30000], 15000), 20000),
    "TestReplicaCalcScaleUpCMUnreadyHotCpuNoLessScale": (
        Case(
            3,
            6,
            [50000, 10000, 30000],
            15000,
            readiness=[True, True, False],
            start_times=[COOL, COOL, HOT],
        ),
        30000,
    ),
    "TestReplicaCalcScaleUpCMUnreadyHotCpuScaleWouldScaleDown": (
        Case(
            3,
            7,
            [50000, 15000, 30000],
            15000,
            readiness=[False, True, False],
            start_times=[HOT, COOL, HOT],
        ),
        31666,
    ),
    "TestReplicaCalcScaleUpCMExternalNoLabels": (Case(1, 2, [8600], 4400), 8600),
    "TestReplicaCalcScaleDownCM": (Case(5, 3, [12000] * 5, 20000), 12000),
    "TestReplicaCalcToleranceCM": (Case(3, 3, [20000, 21000, 21000], 20000), 20666),
    "TestPlainMetricReplicaCalcMissingMetricsNoChangeEq": (Case(5, 5, [20000, 19000, 21000], 20000), 20000),
    "TestReplicaCalcDuringRollingUpdateWithMaxSurgeCM": (
        Case(2, 2, [10000, 10000], 17000, phases=["running"] * 3),
        10000,
    ),
}


@pytest.mark.parametrize("name", sorted(PLAIN_CASES))
def test_pods_metric_case_from_the_controller(name: str) -> None:
    case, usage = PLAIN_CASES[name]
    proposal = plain_metric_replicas(
        case.current, case.target, tasks_of(case, None), samples_of(case, False), TOLERANCE, TIMING
    )
    assert (proposal.replicas, proposal.usage) == (case.expected, usage)


def test_pods_metric_missing_tasks_count_as_the_target_on_a_scale_down() -> None:
    # calcPlainMetricReplicas: on a scale-down a task without a sample uses exactly the target.
    case = Case(4, 4, [5000, 5000], 10000)
    proposal = plain_metric_replicas(
        4, 10000, tasks_of(case, None), samples_of(case, False), TOLERANCE, TIMING
    )
    # 2 x 5000 + 2 x 10000 over 4 = 7500 < 10000: ceil(0.75 x 4) = 3
    assert proposal.replicas == 3


def group(task: TaskState, sample: Sample | None, resource: str = "cpu") -> tuple[int, set, set]:
    samples = {task.name: sample} if sample else {}
    groups = group_tasks([task], samples, resource, TIMING)
    return groups.ready_count, set(groups.unready | groups.ignored), set(groups.missing)


# TestGroupPods (upstream, a table of single pods): readiness only matters for CPU samples.
@pytest.mark.parametrize(
    ("name", "task", "sample", "resource", "expected"),
    [
        (
            "count in a ready pod - memory",
            TaskState("bentham", ready=None),
            Sample(1, NOW, 60),
            "memory",
            (1, set(), set()),
        ),
        (
            "ignore a pod without ready condition - CPU",
            TaskState("lucretius", ready=None, started_at=NOW),
            Sample(1),
            "cpu",
            (0, {"lucretius"}, set()),
        ),
        (
            "count in a ready pod with fresh metrics during initialization period - CPU",
            TaskState("bentham", ready=True, ready_since=NOW - 30, started_at=NOW - 60),
            Sample(1, NOW, 30),
            "cpu",
            (1, set(), set()),
        ),
        (
            "ignore a ready pod without fresh metrics during initialization period - CPU",
            TaskState("bentham", ready=True, ready_since=NOW - 30, started_at=NOW - 60),
            Sample(1, NOW, 60),
            "cpu",
            (0, {"bentham"}, set()),
        ),
        (
            "ignore an unready pod during initialization period - CPU",
            TaskState("lucretius", ready=False, ready_since=NOW - 594, started_at=NOW - 600),
            Sample(1),
            "cpu",
            (0, {"lucretius"}, set()),
        ),
        (
            "count in a ready pod without fresh metrics after initialization period - CPU",
            TaskState("bentham", ready=True, ready_since=NOW - 180, started_at=NOW - 180),
            Sample(1, NOW - 120, 60),
            "cpu",
            (1, set(), set()),
        ),
        (
            "count in an unready pod that was ready after initialization period - CPU",
            TaskState("lucretius", ready=False, ready_since=NOW - 540, started_at=NOW - 600),
            Sample(1),
            "cpu",
            (1, set(), set()),
        ),
        (
            "a missing pod",
            TaskState("epicurus", ready=None, started_at=NOW - 180),
            None,
            "cpu",
            (0, set(), {"epicurus"}),
        ),
        (
            "pending pods are ignored",
            TaskState("unscheduled", phase="pending"),
            None,
            "cpu",
            (0, {"unscheduled"}, set()),
        ),
        (
            "failed pods are ignored",
            TaskState("failed", phase="failed"),
            Sample(1),
            "cpu",
            (0, {"failed"}, set()),
        ),
    ],
)
def test_group_tasks_as_the_controller_groups_pods(name, task, sample, resource, expected) -> None:
    assert group(task, sample, resource) == expected


def test_pod_never_ready_after_initialization_period_counts_when_its_readiness_came_late() -> None:
    # Upstream "ignore pod that has never been ready after initialization period - CPU": the
    # readiness changed 10 s after start, beyond the 10 s initial delay, so the sample counts.
    task = TaskState("lucretius", ready=False, ready_since=NOW - 590, started_at=NOW - 600)
    assert group(task, Sample(1)) == (1, set(), set())
