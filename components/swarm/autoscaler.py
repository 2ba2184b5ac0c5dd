"""SwarmAutoscaler: the autoscaler (``python -m autoscaler``) as a service of the stack.

One task, on a manager node (only a manager's Engine API lists services and tasks and
updates them), with the Engine's socket mounted read-write there and nowhere else; attached to
the stack's network so it can probe the tasks' health paths; its own health check asks its
``/healthz`` (a full cycle finished recently). It manages only this stack's services (the
stack namespace label), so two stacks on one Swarm each scale their own.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_docker as docker

from components.settings import Settings
from components.swarm.conventions import (
    converge,
    labels,
    network_attachment,
    restart_policy,
    rollback,
    rolling_update,
    swarm_name,
    task_resources,
    tmpfs,
)
from components.swarm.network import SwarmNetwork

DOCKER_SOCKET = "/var/run/docker.sock"
MANAGER_ONLY = "node.role == manager"


def autoscaler_args(settings: Settings) -> list[str]:
    config = settings.swarm.autoscaler
    args = [
        "--docker-host",
        f"unix://{DOCKER_SOCKET}",
        "--namespace",
        settings.namespace,
        "--interval",
        str(config.interval_seconds),
        "--metrics-port",
        str(config.metrics_port),
    ]
    if config.prometheus_url is not None:
        args += ["--prometheus-url", str(config.prometheus_url)]
    if config.dry_run:
        args.append("--dry-run")
    return args


def autoscaler_healthcheck(port: int) -> dict[str, Any]:
    return {
        "tests": ["CMD", "python3", "-m", "autoscaler.healthcheck", str(port)],
        "interval": "10s",
        "timeout": "5s",
        "retries": 3,
        "start_period": "30s",
    }


class SwarmAutoscaler(pulumi.ComponentResource):
    """The stack's autoscaler service."""

    host: str

    def __init__(
        self,
        name: str,
        *,
        settings: Settings,
        network: SwarmNetwork,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("technovastore:swarm:SwarmAutoscaler", name, None, opts)
        config, swarm = settings.swarm.autoscaler, settings.swarm
        self.host = swarm_name(settings, name)
        # Plain dicts in the provider's input shape (mypy cannot match them to its TypedDicts).
        spec: dict[str, Any] = dict(
            name=self.host,
            labels=labels(settings, "autoscaler"),
            task_spec={
                "container_spec": {
                    "image": config.image,
                    "commands": ["python3", "-m", "autoscaler"],
                    "args": autoscaler_args(settings),
                    # root for the Engine's socket (root:docker 0660); no capability beyond it.
                    "user": "0:0",
                    "read_only": True,
                    "cap_drops": ["ALL"],
                    "mounts": [
                        {
                            "type": "bind",
                            "source": config.docker_socket,  # on the manager
                            "target": DOCKER_SOCKET,  # where --docker-host finds it
                            "read_only": False,
                        },
                        tmpfs("/tmp", 16),
                    ],
                    "healthcheck": autoscaler_healthcheck(config.metrics_port),
                    "stop_grace_period": "30s",
                },
                "resources": task_resources(config.resources),
                "restart_policy": restart_policy(),
                "placement": {"constraints": [MANAGER_ONLY]},
                "networks_advanceds": network_attachment(network.network_id),
            },
            # Exactly one: two autoscalers would fight over the same services.
            mode={"replicated": {"replicas": 1}},
            update_config=rolling_update(start_first=False, monitor_seconds=swarm.update_monitor_seconds),
            rollback_config=rollback(start_first=False, monitor_seconds=swarm.update_monitor_seconds),
            endpoint_spec={"mode": swarm.endpoint_mode},
            converge_config=converge(),
        )
        docker.Service(name, **spec, opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({"host": self.host})
