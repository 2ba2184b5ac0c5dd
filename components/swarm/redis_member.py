"""One member of a Redis store on Swarm: a single-task service with its own volume and name.

Swarm has no StatefulSet: each member (cluster node, data node, Sentinel) is its own service,
so its name is stable (the address it announces) and its volume is its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_docker as docker

from components.render.redis_layout import ADMIN_PASSWORD_KEY, CONFIG_DIR, DATA_DIR, SECRETS_DIR
from components.settings import Settings
from components.settings.services import ComputeResources
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

# Starts every Redis program with REDISCLI_AUTH read from the admin password's secret file.
WRAPPER = "env-from-files.sh"
ADMIN_PASSWORD_FILE = f"{SECRETS_DIR}/{ADMIN_PASSWORD_KEY}"


def wrapped(*command: str) -> list[str]:
    return ["sh", f"{CONFIG_DIR}/{WRAPPER}", *command]


def script_healthcheck(script: str) -> dict[str, Any]:
    """Liveness only (PING): readiness would hide not-yet-formed members from DNS and the bootstrap."""
    return {
        "tests": ["CMD", *wrapped("sh", f"{CONFIG_DIR}/{script}")],
        "interval": "5s",
        "timeout": "5s",
        "retries": 3,
        # Loading a large AOF may take minutes.
        "start_period": "300s",
    }


@dataclass
class MemberSpec:
    """What differs between the members of the stores."""

    name: str
    component: str
    command: list[str]
    resources: ComputeResources
    healthcheck: dict[str, Any] | None
    env: dict[str, str] = field(default_factory=dict)
    secret_files: tuple[str, ...] = ()
    scratch: dict[str, int] = field(default_factory=dict)  # tmpfs target -> MB
    volume: docker.Volume | None = None
    one_shot: bool = False


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
    secrets = [credentials.mount(ADMIN_PASSWORD_KEY, ADMIN_PASSWORD_FILE)]
    secrets += [credentials.mount(key, f"{SECRETS_DIR}/{key}") for key in spec.secret_files]
    container: dict[str, Any] = {
        "image": settings.redis.image,
        "commands": spec.command,
        "env": {"REDISCLI_AUTH_FILE": ADMIN_PASSWORD_FILE, **spec.env},
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
