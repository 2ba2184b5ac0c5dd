"""DockerCdn: the NGINX caching tier as one container published on the Docker host."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_docker as docker

from components.docker.conventions import (
    child_options,
    config_upload,
    container_labels,
    container_resources,
    long_running,
    network_attachment,
)
from components.render.nginx import render_nginx_conf
from components.settings import Settings
from components.swarm.cdn import CACHE_HEADROOM, EMBEDDED_DNS, TEMP_MB
from components.swarm.conventions import RUNTIME_USER, http_healthcheck, tmpfs
from components.workloads import (
    CDN_CACHE_DIR,
    CDN_CONFIG_DIR,
    CDN_CONFIG_FILE,
    CDN_HEALTH_PATH,
    CDN_TEMP_DIR,
    cdn_layout,
)


def url_host(address: str) -> str:
    """An IP address as it stands in a URL and a Host header (IPv6 in brackets)."""
    return f"[{address}]" if ":" in address else address


class DockerCdn(pulumi.ComponentResource):
    """NGINX caching the origin service, published on ``docker.cdnPublishAddress:cdnPublishedPort``."""

    host: str
    port: int
    config_text: str

    def __init__(
        self,
        name: str,
        *,
        settings: Settings,
        network_name: pulumi.Input[str],
        origin: str,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("technovastore:docker:DockerCdn", name, None, opts)
        cdn, host_side = settings.cdn_tier, settings.docker
        self.host, self.port = name, cdn.port
        self._settings = settings
        # The stack's own clients reach it by its container name; the laptop's browser by the
        # published address or localhost; visitors by cdn.hostnames. Any other Host: no answer.
        local_names = (name, "localhost", url_host(host_side.cdn_publish_address))
        # The origin's name answers with every container of the service: NGINX asks Docker's
        # DNS again while it runs, so containers added by a larger scale get traffic.
        layout = cdn_layout(cdn, origin, local_names, resolver=EMBEDDED_DNS)
        self.config_text = render_nginx_conf(cdn, layout)
        config_path = f"{CDN_CONFIG_DIR}/{CDN_CONFIG_FILE}"
        healthcheck = http_healthcheck(cdn.port, CDN_HEALTH_PATH)
        docker.Container(
            name,
            name=name,
            image=cdn.image,
            # Straight to nginx: the image's entrypoint scripts would try to edit /etc.
            entrypoints=["nginx", "-c", config_path],
            uploads=[config_upload(config_path, self.config_text)],
            user=RUNTIME_USER,
            mounts=[
                tmpfs(CDN_CACHE_DIR, int(cdn.cache_size_mb * CACHE_HEADROOM)),
                tmpfs(CDN_TEMP_DIR, TEMP_MB),
            ],
            ports=[
                {
                    "internal": cdn.port,
                    "external": host_side.cdn_published_port,
                    "ip": host_side.cdn_publish_address,
                    "protocol": "tcp",
                }
            ],
            **long_running(healthcheck),
            **container_resources(cdn.resources),
            networks_advanced=network_attachment(network_name, [name]),
            labels=container_labels(settings, "cdn", healthcheck),
            opts=child_options(self, opts),
        )
        self.register_outputs({"host": self.host, "port": self.port})

    def endpoint(self) -> dict[str, Any]:
        """What the post-deploy checks connect to (inside the stack's network), and the host's URL."""
        host_side = self._settings.docker
        address = url_host(host_side.cdn_publish_address)
        paths = list(self._settings.cdn.sample_static_urls)
        return {
            "host": self.host,
            "port": self.port,
            "publishedPort": host_side.cdn_published_port,
            "publishedUrl": f"http://{address}:{host_side.cdn_published_port}",
            "healthPath": CDN_HEALTH_PATH,
            "samplePaths": paths,
            "sampleUrls": [f"http://{self.host}:{self.port}{path}" for path in paths],
        }
