"""SwarmCdn: the NGINX caching tier as a Swarm service with a published port."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_docker as docker

from autoscaler.settings_source import cdn_rules
from components.render.nginx import render_nginx_conf
from components.settings import Settings
from components.swarm.cdn_metrics import CdnMetricsReader
from components.swarm.conventions import (
    RUNTIME_USER,
    converge,
    http_healthcheck,
    network_attachment,
    placement,
    restart_policy,
    rollback,
    rolling_update,
    swarm_name,
    task_resources,
    tmpfs,
)
from components.swarm.files import file_reference, service_config
from components.swarm.network import SwarmNetwork
from components.swarm.service import REPLICAS_PATH, autoscaling_labels
from components.workloads import (
    CDN_CACHE_DIR,
    CDN_CONFIG_DIR,
    CDN_CONFIG_FILE,
    CDN_HEALTH_PATH,
    CDN_TEMP_DIR,
    cdn_layout,
)

# Docker's DNS server inside every container on a user-defined network.
EMBEDDED_DNS = "127.0.0.11"
# Room for responses too large for the proxy buffers while they stream, and cache overshoot.
TEMP_MB = 256
CACHE_HEADROOM = 1.2


class SwarmCdn(pulumi.ComponentResource):
    """NGINX caching the origin service, published on every node (ingress) or its own (host)."""

    host: str
    port: int
    published_port: int
    sample_paths: list[str]
    config_text: str
    metrics: CdnMetricsReader | None

    def __init__(
        self,
        name: str,
        *,
        settings: Settings,
        network: SwarmNetwork,
        origin: str,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("technovastore:swarm:SwarmCdn", name, None, opts)
        # With what the rest of the stack implies (Cloudflare's ranges and hostnames, if in front).
        cdn, swarm = settings.cdn_tier, settings.swarm
        self.host = swarm_name(settings, name)
        self.port, self.published_port = cdn.port, swarm.cdn_published_port
        self.sample_paths = list(cdn.sample_static_urls)
        # With dnsrr the origin's name lists its tasks: NGINX asks Docker's DNS again while it
        # runs, so tasks added by scaling get traffic. A virtual IP never changes.
        resolver = EMBEDDED_DNS if swarm.endpoint_mode == "dnsrr" else None
        # The log-to-metrics reader NGINX sends one line per request to (monitoring.enabled).
        self.metrics = (
            CdnMetricsReader(settings, f"{name}-metrics", network.network_id, self)
            if settings.monitoring.enabled
            else None
        )
        # The stack's own clients (the post-deploy checks) reach it by its service name; visitors
        # by cdn.hostnames. Any other Host gets no answer; the health check asks by address,
        # which NGINX answers for any Host.
        layout = cdn_layout(
            cdn,
            origin,
            (self.host,),
            resolver=resolver,
            metrics_syslog=self.metrics.syslog if self.metrics else None,
        )
        self.config_text = render_nginx_conf(cdn, layout)
        config = service_config(
            settings, f"{name}-nginx", self.config_text, pulumi.ResourceOptions(parent=self)
        )
        # NGINX resolves the reader's name when it starts: it must run first, and under dnsrr a
        # new reader task (a new address) rolls the CDN.
        reader = [self.metrics.service] if self.metrics else []
        rolls_with_reader = (
            {"METRICS_READER_REVISION": self.metrics.revision}
            if self.metrics and swarm.endpoint_mode == "dnsrr"
            else {}
        )
        # A host-mode port is held by the running task on its node: a new task started first
        # could not bind it there. The routing mesh (ingress) has no such conflict.
        start_first = swarm.publish_mode == "ingress"
        # Plain dicts in the provider's input shape (mypy cannot match them to its TypedDicts).
        spec: dict[str, Any] = dict(
            name=self.host,
            # Host-mode publishing holds the port on a node: one task per node, so the
            # autoscaler cannot add tasks there; the labels still state the rules.
            labels=autoscaling_labels(settings, "cdn", cdn_rules(settings), autoscaled=start_first),
            task_spec={
                "container_spec": {
                    "image": cdn.image,
                    # Straight to nginx: the image's entrypoint scripts would try to edit /etc.
                    "commands": ["nginx", "-c", f"{CDN_CONFIG_DIR}/{CDN_CONFIG_FILE}"],
                    **({"env": rolls_with_reader} if rolls_with_reader else {}),
                    "configs": [file_reference("config", config, f"{CDN_CONFIG_DIR}/{CDN_CONFIG_FILE}")],
                    "user": RUNTIME_USER,
                    "read_only": True,
                    "cap_drops": ["ALL"],
                    "mounts": [
                        tmpfs(CDN_CACHE_DIR, int(cdn.cache_size_mb * CACHE_HEADROOM)),
                        tmpfs(CDN_TEMP_DIR, TEMP_MB),
                    ],
                    "healthcheck": http_healthcheck(cdn.port, CDN_HEALTH_PATH),
                    "stop_grace_period": "30s",
                },
                "resources": task_resources(cdn.resources),
                "restart_policy": restart_policy(),
                "placement": placement(swarm.placement_constraints, swarm.spread_preferences),
                "networks_advanceds": network_attachment(network.network_id),
            },
            mode={"replicated": {"replicas": cdn.min_replicas}},
            update_config=rolling_update(
                start_first=start_first, monitor_seconds=swarm.update_monitor_seconds
            ),
            rollback_config=rollback(start_first=start_first, monitor_seconds=swarm.update_monitor_seconds),
            endpoint_spec={
                "mode": swarm.endpoint_mode,
                "ports": [
                    {
                        "name": "http",
                        "protocol": "tcp",
                        "target_port": cdn.port,
                        "published_port": swarm.cdn_published_port,
                        "publish_mode": swarm.publish_mode,
                    }
                ],
            },
            converge_config=converge(),
        )
        docker.Service(
            name,
            **spec,
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[config, *reader], ignore_changes=[REPLICAS_PATH]
            ),
        )
        self.register_outputs({"host": self.host, "port": self.port})

    def endpoint(self) -> dict[str, Any]:
        """What the post-deploy checks connect to (inside the stack's network), as on Kubernetes."""
        return {
            "host": self.host,
            "port": self.port,
            "publishedPort": self.published_port,
            "healthPath": CDN_HEALTH_PATH,
            "samplePaths": self.sample_paths,
            "sampleUrls": [f"http://{self.host}:{self.port}{path}" for path in self.sample_paths],
        }
