"""The HPA's replica calculation for one metric, ported from the Kubernetes controller.

Source: kubernetes/kubernetes pkg/controller/podautoscaler/replica_calculator.go
(``GetResourceReplicas``, ``calcPlainMetricReplicas``, ``groupPods``) and metrics/utilization.go
(``GetResourceUtilizationRatio``, ``GetMetricUsageRatio``). A Swarm task plays the part of a
pod (see ``TaskState``); the arithmetic is the controller's, integer divisions included:

- desired = ceil(usage ratio x ready tasks), unless the ratio is within the tolerance;
- tasks without a sample count as 0 % on a scale-up and as 100 % of their request (or the
  target, when it is above 100 %) on a scale-down, then the ratio is recomputed and any change
  of direction cancels the proposal;
- not-ready tasks (pending, or CPU samples taken while a task was still starting) are left
  out, and count as 0 % only when the others ask for a scale-up;
- failed tasks and tasks being shut down are ignored.

Pure: the caller passes the clock (``now``, seconds since the epoch).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

MAX_REPLICAS = 2**31 - 1  # the API's int32
# kube-controller-manager defaults (--horizontal-pod-autoscaler-cpu-initialization-period and
# --horizontal-pod-autoscaler-initial-readiness-delay).
CPU_INITIALIZATION_PERIOD_SECONDS = 300.0
INITIAL_READINESS_DELAY_SECONDS = 30.0
DOWNSCALE_STABILIZATION_WINDOW_SECONDS = 300.0
# horizontal.go's scaleUpLimitFactor and scaleUpLimitMinimum.
SCALE_UP_LIMIT_FACTOR = 2.0
SCALE_UP_LIMIT_MINIMUM = 4.0

Phase = Literal["pending", "running", "succeeded", "failed"]


class MetricUnavailable(Exception):
    """No proposal from this metric (the HPA's "invalid metric"); the message says why."""


@dataclass(frozen=True)
class TaskState:
    """What the HPA reads from a pod, for one Swarm task.

    ``ready``: the Ready condition (None: no condition yet); ``ready_since``: its last
    transition; ``started_at``: the pod's StartTime; ``requests``: per resource, in the
    metric's unit (CPU millicores, memory bytes); ``being_removed``: a deletion timestamp.
    """

    name: str
    phase: Phase = "running"
    ready: bool | None = True
    ready_since: float | None = None
    started_at: float | None = None
    being_removed: bool = False
    requests: Mapping[str, int] | None = None


@dataclass(frozen=True)
class Sample:
    """One task's metric value (integer, in the metric's unit), when it was taken and over what window."""

    value: int
    timestamp: float = 0.0
    window: float = 60.0


@dataclass(frozen=True)
class Tolerances:
    scale_down: float = 0.1
    scale_up: float = 0.1

    def is_within(self, ratio: float) -> bool:
        return 1.0 - self.scale_down <= ratio <= 1.0 + self.scale_up


@dataclass(frozen=True)
class Timing:
    """The clock and the controller's flags (kube-controller-manager's defaults).

    The last three apply to a spec without a behavior only: the downscale stabilization
    window (``--horizontal-pod-autoscaler-downscale-stabilization``) and the scale-up limit
    max(factor x current, minimum) of ``calculateScaleUpLimit``.
    """

    now: float
    cpu_initialization_period: float = CPU_INITIALIZATION_PERIOD_SECONDS
    initial_readiness_delay: float = INITIAL_READINESS_DELAY_SECONDS
    downscale_stabilization_window: float = DOWNSCALE_STABILIZATION_WINDOW_SECONDS
    scale_up_limit_factor: float = SCALE_UP_LIMIT_FACTOR
    scale_up_limit_minimum: float = SCALE_UP_LIMIT_MINIMUM


@dataclass(frozen=True)
class Proposal:
    """A metric's replica proposal and the usage it saw (utilization % or average value)."""

    replicas: int
    usage: int
    raw_average: int | None = None


@dataclass(frozen=True)
class Groups:
    ready_count: int
    unready: frozenset[str]
    missing: frozenset[str]
    ignored: frozenset[str]


def group_tasks(
    tasks: Sequence[TaskState], samples: Mapping[str, Sample], resource: str | None, timing: Timing
) -> Groups:
    """``groupPods``: which tasks count, which are not ready, which have no sample, which are ignored."""
    ready_count = 0
    unready: set[str] = set()
    missing: set[str] = set()
    ignored: set[str] = set()
    for task in tasks:
        if task.being_removed or task.phase == "failed":
            ignored.add(task.name)
            continue
        if task.phase == "pending":
            unready.add(task.name)
            continue
        sample = samples.get(task.name)
        if sample is None:
            missing.add(task.name)
            continue
        if resource == "cpu" and _cpu_sample_unready(task, sample, timing):
            unready.add(task.name)
            continue
        ready_count += 1
    return Groups(ready_count, frozenset(unready), frozenset(missing), frozenset(ignored))


def _cpu_sample_unready(task: TaskState, sample: Sample, timing: Timing) -> bool:
    """CPU is noisy while a task starts: its sample counts only once it is ready for a window."""
    if task.ready is None or task.started_at is None:
        return True
    # An unknown transition time reads as the zero time, as an unset Go time.Time does.
    ready_since = task.ready_since if task.ready_since is not None else 0.0
    if task.started_at + timing.cpu_initialization_period > timing.now:
        # Still initializing: not ready, or the sample window began before it became ready.
        return task.ready is False or sample.timestamp < ready_since + sample.window
    # Ignore a task that is not ready and has never been ready.
    return task.ready is False and task.started_at + timing.initial_readiness_delay > ready_since


def resource_utilization_ratio(
    samples: Mapping[str, Sample], requests: Mapping[str, int], target_utilization: int
) -> tuple[float, int, int]:
    """``GetResourceUtilizationRatio``: (ratio to target, utilization %, raw average value)."""
    metrics_total = requests_total = entries = 0
    for name, sample in samples.items():
        if name not in requests:
            continue  # a sample of a task we do not know: extraneous
        metrics_total += sample.value
        requests_total += requests[name]
        entries += 1
    if requests_total == 0:
        raise MetricUnavailable("no metrics returned matched known tasks")
    utilization = (metrics_total * 100) // requests_total
    return utilization / target_utilization, utilization, metrics_total // entries


def metric_usage_ratio(samples: Mapping[str, Sample], target: int) -> tuple[float, int]:
    """``GetMetricUsageRatio``: (ratio to target, average value)."""
    usage = sum(sample.value for sample in samples.values()) // len(samples)
    return usage / target, usage


def _ceil_replicas(value: float) -> int:
    return MAX_REPLICAS if value > MAX_REPLICAS else math.ceil(value)


def _resource_requests(tasks: Sequence[TaskState], resource: str) -> dict[str, int]:
    requests = {}
    for task in tasks:
        request = (task.requests or {}).get(resource)
        if request is None:
            raise MetricUnavailable(f"missing reservation for {resource} on task {task.name}")
        requests[task.name] = request
    return requests


def _counted_samples(
    tasks: Sequence[TaskState], samples: Mapping[str, Sample], resource: str | None, timing: Timing
) -> tuple[dict[str, Sample], Groups]:
    """The samples that count (ignored and not-ready tasks' removed) and the tasks' groups."""
    if not tasks:
        raise MetricUnavailable("no tasks returned while calculating replica count")
    metrics = dict(samples)
    groups = group_tasks(tasks, metrics, resource, timing)
    for name in groups.ignored | groups.unready:
        metrics.pop(name, None)
    if not metrics:
        raise MetricUnavailable("did not receive metrics for targeted tasks (tasks might be unready)")
    return metrics, groups


def _replicas(
    current: int,
    metrics: dict[str, Sample],
    groups: Groups,
    ratio_of: Callable[[Mapping[str, Sample]], float],
    scale_down_fill: Callable[[str], int],
    tolerances: Tolerances,
) -> int:
    """The shared tail of both calculations: fill in missing and not-ready tasks, then propose."""
    ratio = ratio_of(metrics)
    scale_up_with_unready = bool(groups.unready) and ratio > 1.0
    if not scale_up_with_unready and not groups.missing:
        return current if tolerances.is_within(ratio) else _ceil_replicas(ratio * groups.ready_count)
    if groups.missing and ratio != 1.0:
        # Scale-down: what a task without a sample is assumed to use; scale-up: nothing.
        for name in groups.missing:
            metrics[name] = Sample(scale_down_fill(name) if ratio < 1.0 else 0)
    if scale_up_with_unready:
        for name in groups.unready:
            metrics[name] = Sample(0)
    new_ratio = ratio_of(metrics)
    # No change within the tolerance, nor when filling in flipped the direction.
    if tolerances.is_within(new_ratio) or (ratio < 1.0 < new_ratio) or (ratio > 1.0 > new_ratio):
        return current
    replicas = _ceil_replicas(new_ratio * len(metrics))
    if (new_ratio < 1.0 and replicas > current) or (new_ratio > 1.0 and replicas < current):
        return current
    return replicas


def resource_replicas(
    current_replicas: int,
    target_utilization: int,
    resource: str,
    tasks: Sequence[TaskState],
    samples: Mapping[str, Sample],
    tolerances: Tolerances,
    timing: Timing,
) -> Proposal:
    """``GetResourceReplicas``: replicas for a utilization target (percent of the reservation)."""
    metrics, groups = _counted_samples(tasks, samples, resource, timing)
    requests = _resource_requests(tasks, resource)
    _, utilization, raw = resource_utilization_ratio(metrics, requests, target_utilization)
    # A task without a sample uses all of its request on a scale-down (or the target above 100 %).
    fallback = max(100, target_utilization)
    replicas = _replicas(
        current_replicas,
        metrics,
        groups,
        lambda m: resource_utilization_ratio(m, requests, target_utilization)[0],
        lambda name: requests[name] * fallback // 100,
        tolerances,
    )
    return Proposal(replicas, utilization, raw)


def plain_metric_replicas(
    current_replicas: int,
    target: int,
    tasks: Sequence[TaskState],
    samples: Mapping[str, Sample],
    tolerances: Tolerances,
    timing: Timing,
) -> Proposal:
    """``calcPlainMetricReplicas``: replicas for a per-task average value (the HPA's Pods metric)."""
    metrics, groups = _counted_samples(tasks, samples, None, timing)
    _, usage = metric_usage_ratio(metrics, target)
    replicas = _replicas(
        current_replicas,
        metrics,
        groups,
        lambda m: metric_usage_ratio(m, target)[0],
        lambda name: target,  # on a scale-down, exactly the target
        tolerances,
    )
    return Proposal(replicas, usage)
