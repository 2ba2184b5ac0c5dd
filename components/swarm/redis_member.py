"""One member of a Redis store on Swarm: a single-task service with its own volume and name.

Swarm has no StatefulSet: each member (cluster node, data node, Sentinel) is its own service,
so its name is stable (the address it announces) and its volume is its own.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_docker as docker

from components.redis_members import MemberSpec
from components.render.redis_layout import CONFIG_DIR, DATA_DIR
from components.settings import Settings
from components.swarm.conventions import (
    REDIS_USER,
    converge,
    labels,
    network_attachment,
    restart_policy,
    rollback,
    rolling_update,
    task_resources,
    tmpfs,
)
from components.swarm.credentials import SwarmRedisCredentials
from components.swarm.files import file_reference
from components.swarm.single_task import data_node_constraints


def member_service(
    settings: Settings,
    spec: MemberSpec,
    *,
    configs: dict[str, docker.ServiceConfig],
    credentials: SwarmRedisCredentials,
    network_id: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
) -> docker.Service:
    """A single-task Redis service; ``one_shot`` ones run once (restart condition none)."""
    mounts: list[dict[str, Any]] = [tmpfs(target, mb) for target, mb in spec.scratch.items()]
    if spec.volume is not None:
        mounts.append({"type": "volume", "source": spec.volume.name, "target": DATA_DIR})
    secrets = [credentials.mount(key, path) for key, path in spec.secret_paths.items()]
    container: dict[str, Any] = {
        "image": settings.redis.image,
        "commands": spec.command,
        "env": spec.base_env,
        "configs": [
            file_reference("config", config, f"{CONFIG_DIR}/{file}") for file, config in configs.items()
        ],
        "secrets": secrets,
        "user": REDIS_USER,
        "read_only": True,
        "cap_drops": ["ALL"],
        "mounts": mounts,
        "stop_grace_period": "30s",
    }
    if spec.healthcheck is not None:
        container["healthcheck"] = spec.healthcheck
    constraints = data_node_constraints(settings)
    args: dict[str, Any] = {
        "name": spec.name,
        "labels": labels(settings, spec.component),
        "task_spec": {
            "container_spec": container,
            "resources": task_resources(spec.resources),
            "restart_policy": {"condition": "none"} if spec.one_shot else restart_policy(),
            "placement": {"constraints": constraints},
            "networks_advanceds": network_attachment(network_id),
        },
        "mode": {"replicated": {"replicas": 1}},
        # A member is one task: its name resolves straight to it (no virtual IP in between),
        # which is what it announces to its peers.
        "endpoint_spec": {"mode": "dnsrr"},
    }
    if not spec.one_shot:
        monitor = settings.swarm.update_monitor_seconds
        args |= {
            "update_config": rolling_update(start_first=False, monitor_seconds=monitor),
            "rollback_config": rollback(start_first=False, monitor_seconds=monitor),
            "converge_config": converge(),
        }
    return docker.Service(spec.name.removeprefix(f"{settings.namespace}-"), **args, opts=opts)
