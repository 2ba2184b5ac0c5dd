"""DockerService: one application service as ``scale`` identical containers behind one name."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_docker as docker

from components.docker.conventions import (
    child_options,
    container_labels,
    container_resources,
    long_running,
    network_attachment,
)
from components.docker.credentials import DockerRedisCredentials
from components.settings import Settings
from components.swarm.conventions import RUNTIME_USER, http_healthcheck, tmpfs
from components.swarm.credentials import SECRETS_ROOT
from components.workloads import AppWorkload, PlainEnv, member_names


def container_env(
    workload: AppWorkload, credentials: DockerRedisCredentials
) -> tuple[list[str], list[dict[str, Any]]]:
    """Plain variables as they are; a secret one as ``<NAME>_FILE`` naming its uploaded file."""
    env: list[str] = []
    uploads: list[dict[str, Any]] = []
    for var in workload.env:
        if isinstance(var, PlainEnv):
            env.append(f"{var.name}={var.value}")
        else:
            path = f"{SECRETS_ROOT}/{var.key}"
            env.append(f"{var.name}_FILE={path}")
            uploads.append(credentials.upload(var.key, path, RUNTIME_USER))
    return env, uploads


class DockerService(pulumi.ComponentResource):
    """``<service>-0`` ... ``<service>-<scale-1>``, each answering to the service's name."""

    host: str
    port: int
    min_replicas: int
    max_replicas: int
    containers: list[str]

    def __init__(
        self,
        name: str,
        *,
        settings: Settings,
        workload: AppWorkload,
        network_name: pulumi.Input[str],
        credentials: DockerRedisCredentials,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("technovastore:docker:DockerService", name, None, opts)
        # The network alias every container carries: Docker's DNS answers it with all of them.
        self.host = name
        self.port = workload.port
        self.min_replicas, self.max_replicas = workload.min_replicas, workload.max_replicas
        self.containers = member_names(name, settings.containers_of(name))
        env, uploads = container_env(workload, credentials)
        # Liveness, as on Swarm: a Redis outage must not mark every container unhealthy.
        healthcheck = http_healthcheck(workload.port, workload.liveness_path)
        for container in self.containers:
            docker.Container(
                container,
                name=container,
                image=workload.image,
                envs=env,
                uploads=uploads,
                user=RUNTIME_USER,
                mounts=[tmpfs("/tmp", 64)],
                **long_running(healthcheck),
                **container_resources(workload.resources),
                networks_advanced=network_attachment(network_name, [name]),
                labels=container_labels(settings, workload.tier, healthcheck),
                opts=child_options(self, opts),
            )
        self.register_outputs({"host": self.host, "port": self.port, "containers": self.containers})
