"""One service's tasks as the HPA would see its pods (``TaskState``), from the Engine's answers.

A task is a pod: its Swarm state gives the phase (before ``running``: Pending; failed,
rejected and the like: Failed), a desired state other than ``running`` is a deletion
timestamp, and its container's health check is the Ready condition (no health check: ready
once running, as a pod without a readiness probe). The time the health check last changed
(from the container's health log) is the condition's transition time, ``State.StartedAt`` the
pod's start time. Tasks on other nodes (whose containers this engine cannot inspect) are
ready from the time their task started running.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from autoscaler.engine import ServiceView, TaskView, parse_time
from autoscaler.replicas import TaskState


def _trailing_run_start(log: Sequence[Mapping[str, Any]], passing: bool) -> float | None:
    """When the health log's last run of passing (or failing) probes began."""
    start = None
    for entry in reversed(log):
        if (entry.get("ExitCode") == 0) != passing:
            break
        start = parse_time(entry.get("End")) or start
    return start


def readiness(
    container: Mapping[str, Any] | None, task: TaskView
) -> tuple[bool | None, float | None, float | None]:
    """(ready, ready since, started at) of a running task."""
    if container is None:
        return True, task.state_since, task.state_since
    state = container.get("State") or {}
    started = parse_time(state.get("StartedAt")) or task.state_since
    health = state.get("Health")
    if not isinstance(health, dict):
        return True, started, started
    status, log = health.get("Status"), health.get("Log") or []
    if status == "healthy":
        return True, _trailing_run_start(log, True) or started, started
    if status == "unhealthy":
        return False, _trailing_run_start(log, False) or started, started
    return False, started, started  # starting: not ready since it started


def task_state(task: TaskView, container: Mapping[str, Any] | None, requests: Mapping[str, int]) -> TaskState:
    ready, ready_since, started = (None, None, None)
    if task.phase == "running":
        ready, ready_since, started = readiness(container, task)
    return TaskState(
        name=task.id,
        phase=task.phase,  # type: ignore[arg-type]
        ready=ready,
        ready_since=ready_since,
        started_at=started,
        being_removed=task.being_removed,
        requests=requests,
    )


def task_states(
    service: ServiceView, tasks: Sequence[TaskView], containers: Mapping[str, Mapping[str, Any] | None]
) -> list[TaskState]:
    return [task_state(task, containers.get(task.container_id or ""), service.reservations) for task in tasks]
