"""SwarmService: one application service as a replicated Swarm service."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_docker as docker

from autoscaler.labels import AUTOSCALE_LABEL, ServiceRules, encode
from autoscaler.settings_source import service_rules
from components.settings import Settings
from components.swarm.conventions import (
    RUNTIME_USER,
    converge,
    http_healthcheck,
    labels,
    network_attachment,
    placement,
    restart_policy,
    rollback,
    rolling_update,
    swarm_name,
    task_resources,
    tmpfs,
)
from components.swarm.credentials import SECRETS_ROOT, SwarmRedisCredentials
from components.swarm.network import SwarmNetwork
from components.workloads import AppWorkload, PlainEnv

# The autoscaler owns the replica count once the service exists (`pulumi up` leaves it alone);
# the service's labels carry its rules (autoscaler/labels.py).
REPLICAS_PATH = "mode.replicated.replicas"


def container_env(workload: AppWorkload, credentials: SwarmRedisCredentials) -> tuple[dict[str, str], list]:
    """Plain variables as they are; a secret one as ``<NAME>_FILE`` naming its mounted secret."""
    env: dict[str, str] = {}
    secrets: list[dict[str, Any]] = []
    for var in workload.env:
        if isinstance(var, PlainEnv):
            env[var.name] = var.value
        else:
            env[f"{var.name}_FILE"] = f"{SECRETS_ROOT}/{var.key}"
            secrets.append(credentials.mount(var.key))
    return env, secrets


def autoscaling_labels(
    settings: Settings, component: str, rules: ServiceRules, *, autoscaled: bool = True
) -> list[dict[str, str]]:
    """The stack's labels and the autoscaling rules; ``autoscaled`` False keeps only the rules."""
    encoded = encode(rules)
    if not autoscaled:
        del encoded[AUTOSCALE_LABEL]
    return [*labels(settings, component), *({"label": k, "value": v} for k, v in sorted(encoded.items()))]


class SwarmService(pulumi.ComponentResource):
    """A stateless service: ``minReplicas`` tasks, rolled one at a time, healthy or replaced."""

    host: str
    port: int
    min_replicas: int
    max_replicas: int

    def __init__(
        self,
        name: str,
        *,
        settings: Settings,
        workload: AppWorkload,
        network: SwarmNetwork,
        secrets: SwarmRedisCredentials,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("technovastore:swarm:SwarmService", name, None, opts)
        swarm = settings.swarm
        self.host = swarm_name(settings, name)
        self.port = workload.port
        self.min_replicas, self.max_replicas = workload.min_replicas, workload.max_replicas
        env, secret_mounts = container_env(workload, secrets)
        # Plain dicts in the provider's input shape (mypy cannot match them to its TypedDicts).
        spec: dict[str, Any] = dict(
            name=self.host,
            labels=autoscaling_labels(settings, workload.tier, service_rules(settings, name)),
            task_spec={
                "container_spec": {
                    "image": workload.image,
                    "env": env,
                    "secrets": secret_mounts,
                    "user": RUNTIME_USER,
                    "read_only": True,
                    "cap_drops": ["ALL"],
                    "mounts": [tmpfs("/tmp", 64)],
                    # Swarm has one health check: it decides restarts and, with dnsrr, DNS
                    # membership. Liveness, so a Redis outage never restarts every task.
                    "healthcheck": http_healthcheck(workload.port, workload.liveness_path),
                    "stop_grace_period": "30s",
                },
                "resources": task_resources(workload.resources),
                "restart_policy": restart_policy(),
                "placement": placement(swarm.placement_constraints, swarm.spread_preferences),
                "networks_advanceds": network_attachment(network.network_id),
            },
            mode={"replicated": {"replicas": workload.min_replicas}},
            update_config=rolling_update(start_first=True, monitor_seconds=swarm.update_monitor_seconds),
            rollback_config=rollback(start_first=True, monitor_seconds=swarm.update_monitor_seconds),
            endpoint_spec={"mode": swarm.endpoint_mode},
            converge_config=converge(),
        )
        docker.Service(name, **spec, opts=pulumi.ResourceOptions(parent=self, ignore_changes=[REPLICAS_PATH]))
        self.register_outputs({"host": self.host, "port": self.port})
