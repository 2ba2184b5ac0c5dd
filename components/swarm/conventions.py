"""Swarm building blocks every Swarm component shares: names, labels, resources, update policy.

Plain dicts in pulumi_docker's (snake_case) input shape. Durations are strings such as
``"10s"``; the provider turns them into the Engine API's nanoseconds.
"""

from __future__ import annotations

from typing import Any

from autoscaler.labels import STACK_LABEL
from components.quantities import cpu_millicores, memory_bytes
from components.settings import Settings
from components.settings.services import ComputeResources

# `docker stack ps <namespace>` and `docker stack services <namespace>` list the stack's parts.
PART_OF_LABEL = "technovastore.io/part-of"
COMPONENT_LABEL = "technovastore.io/component"
# The app services and the CDN run as this non-root user (as on Kubernetes); Redis runs as
# the image's own `redis` user, which owns the data directory that seeds each volume.
RUNTIME_USER = "10001:10001"
REDIS_USER = "redis"
# Files from Swarm configs and secrets: readable inside the task's own container only.
FILE_MODE = 0o444
# How long `pulumi up` waits for a service's tasks to run (and turn healthy).
CONVERGE_TIMEOUT = "5m"


def swarm_name(settings: Settings, workload: str) -> str:
    """A Swarm object's name: Swarm has no namespaces, so the stack's namespace is the prefix."""
    return f"{settings.namespace}-{workload}"


def labels(settings: Settings, component: str) -> list[Any]:
    values = {STACK_LABEL: settings.namespace, PART_OF_LABEL: "technovastore", COMPONENT_LABEL: component}
    return [{"label": key, "value": value} for key, value in values.items()]


def task_resources(resources: ComputeResources) -> dict[str, Any]:
    """Kubernetes-style requests and limits as Swarm reservations and limits."""

    def amounts(cpu: str, memory: str) -> dict[str, int]:
        return {"nano_cpus": int(cpu_millicores(cpu) * 1_000_000), "memory_bytes": int(memory_bytes(memory))}

    return {
        "limits": amounts(resources.limits.cpu, resources.limits.memory),
        "reservation": amounts(resources.requests.cpu, resources.requests.memory),
    }


def restart_policy() -> dict[str, Any]:
    # Any failed or unhealthy task is replaced, never given up on (max_attempts 0); a task
    # that ran longer than the window before failing counts as a fresh start.
    return {"condition": "on-failure", "delay": "5s", "max_attempts": 0, "window": "120s"}


def rolling_update(*, start_first: bool, monitor_seconds: int) -> dict[str, Any]:
    """One task at a time; a new task that fails within the monitor window rolls the service back.

    ``start_first``: the new task runs (and turns healthy) before the old one stops, so
    capacity never dips. Stateful single-task services stop first: two Redis processes must
    never share one data volume.
    """
    return {
        "parallelism": 1,
        "delay": "5s",
        "failure_action": "rollback",
        "monitor": f"{monitor_seconds}s",
        "max_failure_ratio": "0",
        "order": "start-first" if start_first else "stop-first",
    }


def rollback(*, start_first: bool, monitor_seconds: int) -> dict[str, Any]:
    return {
        **rolling_update(start_first=start_first, monitor_seconds=monitor_seconds),
        "failure_action": "pause",
    }


def placement(constraints: list[str], spread: list[str]) -> dict[str, Any]:
    return {"constraints": constraints, "prefs": spread}


def converge() -> dict[str, str]:
    """`pulumi up` waits for the tasks to run and fails (with their logs) when they do not."""
    return {"delay": "5s", "timeout": CONVERGE_TIMEOUT}


def network_attachment(network_id: Any) -> list[dict[str, Any]]:
    return [{"name": network_id}]


def http_healthcheck(port: int, path: str) -> dict[str, Any]:
    """A health check that GETs ``path`` inside the task (the images ship wget)."""
    return {
        "tests": ["CMD", "wget", "-q", "-O", "/dev/null", f"http://127.0.0.1:{port}{path}"],
        "interval": "5s",
        "timeout": "2s",
        "retries": 3,
        "start_period": "60s",
    }


def tmpfs(target: str, size_mb: int) -> dict[str, Any]:
    """Scratch space in memory, writable by the task's non-root user (Docker's default is root 0755)."""
    return {
        "type": "tmpfs",
        "target": target,
        "tmpfs_options": {"size_bytes": size_mb * 1024 * 1024, "mode": 0o1777},
    }
