"""A one-task Swarm service of the stack's own machinery (Prometheus, Grafana, the exporters).

They share everything but their container: one replica, the stack's network, reservations and
limits, restarts on failure, roll-back on a failed update. A task with state on a volume stops
before its successor starts (two processes must never share a TSDB or a SQLite file).

Exporter images are built ``FROM scratch`` (no shell, no wget): Docker cannot run a health
check inside them. Such a service says so with ``HEALTH_FROM_LABEL``: Prometheus scrapes it
every interval, and its ``up`` series is what the CdnDown / RedisInstanceDown alerts read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_docker as docker

from components.protection import guarded
from components.settings import Settings
from components.settings.services import ComputeResources
from components.swarm.conventions import (
    RUNTIME_USER,
    converge,
    labels,
    network_attachment,
    restart_policy,
    rollback,
    rolling_update,
    swarm_name,
    task_resources,
)

# The label a service without a health check carries when Prometheus' scrape checks it.
HEALTH_FROM_LABEL = "technovastore.io/health-from"
HEALTH_FROM_SCRAPE = "prometheus-scrape"


@dataclass
class TaskContainer:
    """What differs between the one-task services: their container and how they are reached."""

    name: str
    component: str
    image: str
    # None: the image's own entrypoint.
    commands: list[str] | None
    resources: ComputeResources
    # None: a scratch image, checked by Prometheus' scrape instead (see the module's docstring).
    healthcheck: dict[str, Any] | None
    env: dict[str, str] = field(default_factory=dict)
    configs: list[dict[str, Any]] = field(default_factory=list)
    secrets: list[dict[str, Any]] = field(default_factory=list)
    mounts: list[dict[str, Any]] = field(default_factory=list)
    user: str = RUNTIME_USER
    # target port -> port published on the nodes (swarm.publishMode).
    published: dict[int, int] = field(default_factory=dict)
    constraints: list[str] = field(default_factory=list)
    stateful: bool = False


def single_task_service(
    settings: Settings, task: TaskContainer, *, network_id: pulumi.Input[str], opts: pulumi.ResourceOptions
) -> docker.Service:
    swarm = settings.swarm
    service_labels = labels(settings, task.component)
    if task.healthcheck is None:
        service_labels.append({"label": HEALTH_FROM_LABEL, "value": HEALTH_FROM_SCRAPE})
    container: dict[str, Any] = {
        "image": task.image,
        **({"commands": task.commands} if task.commands is not None else {}),
        "env": task.env,
        "configs": task.configs,
        "secrets": task.secrets,
        "user": task.user,
        "read_only": True,
        "cap_drops": ["ALL"],
        "mounts": task.mounts,
        "stop_grace_period": "30s",
    }
    if task.healthcheck is not None:
        container["healthcheck"] = task.healthcheck
    monitor = swarm.update_monitor_seconds
    endpoint: dict[str, Any] = {"mode": swarm.endpoint_mode}
    if task.published:
        endpoint["ports"] = [
            {
                "name": f"port-{target}",
                "protocol": "tcp",
                "target_port": target,
                "published_port": published,
                "publish_mode": swarm.publish_mode,
            }
            for target, published in task.published.items()
        ]
    # Plain dicts in the provider's input shape (mypy cannot match them to its TypedDicts).
    spec: dict[str, Any] = dict(
        name=swarm_name(settings, task.name),
        labels=service_labels,
        task_spec={
            "container_spec": container,
            "resources": task_resources(task.resources),
            "restart_policy": restart_policy(),
            "placement": {"constraints": task.constraints},
            "networks_advanceds": network_attachment(network_id),
        },
        mode={"replicated": {"replicas": 1}},
        update_config=rolling_update(start_first=not task.stateful, monitor_seconds=monitor),
        rollback_config=rollback(start_first=not task.stateful, monitor_seconds=monitor),
        endpoint_spec=endpoint,
        converge_config=converge(),
    )
    return docker.Service(task.name, **spec, opts=opts)


def state_volume(settings: Settings, name: str, opts: pulumi.ResourceOptions) -> docker.Volume:
    """A service's own data volume, guarded by the stack's ``protection`` like the Redis volumes."""
    return docker.Volume(
        f"{name}-data",
        name=swarm_name(settings, f"{name}-data"),
        driver="local",
        labels=labels(settings, "data"),
        opts=guarded(settings.protection, opts),
    )


def data_node_constraints(settings: Settings) -> list[str]:
    """Where a service with a local volume runs: the nodes labelled for data, as Redis does."""
    label = settings.swarm.redis_node_label
    return [f"node.labels.{label} == true"] if label else []
