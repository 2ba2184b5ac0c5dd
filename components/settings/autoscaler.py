"""The Swarm autoscaler service the Swarm target declares (``swarm.autoscaler``)."""

from __future__ import annotations

from pydantic import AnyHttpUrl, Field

from components.settings.base import PinnedImage, SettingsModel
from components.settings.services import ComputeQuantities, ComputeResources


class SwarmAutoscalerSettings(SettingsModel):
    # One autoscaler per stack, on a manager node (it needs a manager's Engine API).
    enabled: bool = True
    # An image with Python 3.11+ and this repository's autoscaler package (python -m autoscaler).
    image: PinnedImage = "ghcr.io/technovastore/swarm-autoscaler:1.0.0"
    # Seconds between decision cycles: the HPA controller's sync period.
    interval_seconds: int = Field(default=15, ge=1, le=300)
    # Response times from this Prometheus; None: a bounded probe of each task's health path.
    prometheus_url: AnyHttpUrl | None = None
    # Decide and log only, never change a service.
    dry_run: bool = False
    # The Engine API socket on the manager nodes (bind-mounted into the autoscaler only).
    docker_socket: str = Field(default="/var/run/docker.sock", pattern=r"^/")
    # /metrics and /healthz inside the stack's network.
    metrics_port: int = Field(default=9464, ge=1, le=65535)
    resources: ComputeResources = ComputeResources(
        requests=ComputeQuantities(cpu="50m", memory="64Mi"),
        limits=ComputeQuantities(cpu="250m", memory="128Mi"),
    )
