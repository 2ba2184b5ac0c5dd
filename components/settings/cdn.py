"""The NGINX caching CDN tier in front of the services."""

from __future__ import annotations

from pydantic import Field

from components.settings.base import PinnedImage, SettingsModel
from components.settings.services import ComputeQuantities, ComputeResources


class CdnSettings(SettingsModel):
    image: PinnedImage = "nginxinc/nginx-unprivileged:1.27.2-alpine"
    exporter_image: PinnedImage = "nginx/nginx-prometheus-exporter:1.3.0"
    min_replicas: int = Field(default=2, ge=1)
    max_replicas: int = Field(default=6, ge=1)
    resources: ComputeResources = ComputeResources(
        requests=ComputeQuantities(cpu="250m", memory="256Mi"),
        limits=ComputeQuantities(cpu="1", memory="512Mi"),
    )
    # The service whose responses the CDN caches (its origin).
    origin_service: str = "frontend"
    cache_size_mb: int = Field(default=1024, gt=0)
