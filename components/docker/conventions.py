"""What every container of a plain Docker stack shares: labels, limits, restart, files, wait.

Plain dicts in pulumi_docker's (snake_case) Container input shape. The health checks and
scratch mounts have the same shape as on Swarm and are declared there once
(components/swarm/conventions.py).
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

import pulumi

from components.quantities import cpu_millicores, memory_bytes
from components.settings import Settings
from components.settings.services import ComputeResources
from components.swarm.conventions import COMPONENT_LABEL, PART_OF_LABEL

STACK_LABEL = "technovastore.io/stack"
HEALTHCHECK_LABEL = "technovastore.io/healthcheck"
# Restarted after a crash and after the engine (or the laptop) restarts, until stopped by hand.
RESTART = "unless-stopped"
# `pulumi up` waits this long for a container's health check to pass (the provider's `wait`).
WAIT_SECONDS = 300
# Stopping: SIGTERM, then this long for Redis to flush its AOF and NGINX to finish requests.
STOP_SECONDS = 30
# Files the provider uploads before the container starts: configs readable by every user of
# the container, secrets by their owner only.
CONFIG_MODE = "0444"
SECRET_MODE = "0400"
ROOT = "0"
MIB = 1024 * 1024


def child_options(
    parent: pulumi.Resource, opts: pulumi.ResourceOptions | None, after: list[Any] | None = None
) -> pulumi.ResourceOptions:
    """A child's options: the component's own ``depends_on`` too (children do not inherit it)."""
    inherited = list((opts.depends_on if opts else None) or [])  # type: ignore[arg-type]
    return pulumi.ResourceOptions(parent=parent, depends_on=[*inherited, *(after or [])])


def container_labels(
    settings: Settings, component: str, healthcheck: dict[str, Any] | None = None
) -> list[dict[str, str]]:
    """The stack's labels, and a digest of the health check.

    The provider's update never sends a changed health check to the engine (it is not
    ForceNew, and ContainerUpdate cannot change it): labels are, so a new health check
    replaces the container instead of changing only Pulumi's state.
    """
    values = {STACK_LABEL: settings.namespace, PART_OF_LABEL: "technovastore", COMPONENT_LABEL: component}
    if healthcheck is not None:
        text = json.dumps(healthcheck, sort_keys=True)
        values[HEALTHCHECK_LABEL] = hashlib.sha256(text.encode()).hexdigest()[:12]
    return [{"label": key, "value": value} for key, value in values.items()]


def cpu_shares(millicores: float) -> int:
    """A CPU request as a relative weight, as the kubelet converts it (1 CPU = 1024, at least 2)."""
    return max(2, int(millicores * 1024 // 1000))


def container_resources(resources: ComputeResources) -> dict[str, Any]:
    """Limits are hard (memory in MB, CPUs as a decimal); requests become the soft reservation
    and the CPU weight the engine gives the container under contention."""
    limit_mb = math.ceil(memory_bytes(resources.limits.memory) / MIB)
    request_mb = math.ceil(memory_bytes(resources.requests.memory) / MIB)
    return {
        "memory": limit_mb,
        "memory_reservation": min(request_mb, limit_mb),
        "cpus": f"{cpu_millicores(resources.limits.cpu) / 1000:g}",
        "cpu_shares": cpu_shares(float(cpu_millicores(resources.requests.cpu))),
    }


def owner_of(user: str) -> tuple[str, str]:
    """A numeric ``uid:gid`` as the upload's owner and group."""
    uid, _, gid = user.partition(":")
    return uid, gid or uid


def config_upload(path: str, text: str) -> dict[str, Any]:
    """A rendered file: owned by root, readable by all (it holds no secret)."""
    return {"file": path, "content": text, "permissions": CONFIG_MODE, "owner": ROOT, "group": ROOT}


def secret_upload(path: str, value: pulumi.Input[str], user: str) -> dict[str, Any]:
    """A secret file readable only by ``user`` (the server process), never by others."""
    owner, group = owner_of(user)
    return {
        "file": path,
        "content": pulumi.Output.secret(value),
        "permissions": SECRET_MODE,
        "owner": owner,
        "group": group,
    }


def network_attachment(network_name: pulumi.Input[str], aliases: list[str]) -> list[dict[str, Any]]:
    """The stack's bridge network; every alias resolves (Docker's DNS) to all containers carrying it."""
    return [{"name": network_name, "aliases": aliases}]


def long_running(healthcheck: dict[str, Any] | None) -> dict[str, Any]:
    """Restart, hardening and waiting shared by every container that keeps running."""
    waits = {"wait": True, "wait_timeout": WAIT_SECONDS} if healthcheck else {}
    return {
        "restart": RESTART,
        "capabilities": {"drops": ["ALL"]},
        "security_opts": ["no-new-privileges:true"],
        # The provider uploads files into the container's filesystem before it starts, and
        # the engine refuses an archive into a read-only root filesystem ("container rootfs
        # is marked read-only"): the root stays writable, the files keep their modes.
        "read_only": False,
        "destroy_grace_seconds": STOP_SECONDS,
        "stop_timeout": STOP_SECONDS,
        **({"healthcheck": healthcheck} if healthcheck else {}),
        **waits,
    }


def one_shot() -> dict[str, Any]:
    """A container that runs once to completion: `pulumi up` waits for it to exit."""
    return {
        "restart": "no",
        "must_run": False,
        "attach": True,
        "capabilities": {"drops": ["ALL"]},
        "security_opts": ["no-new-privileges:true"],
        "read_only": False,
    }
