"""Platform: the whole scalability layer of one stack, composed from its components."""

from __future__ import annotations

from typing import Any

import pulumi

from components.capacity import full_scale_footprint
from components.data_footprint import data_footprint
from components.edge.cloudflare import CloudflareEdge
from components.edge.rules import OriginFacts
from components.edge.zone_lookup import edge_enabled
from components.kubernetes.autoscaled_service import AutoscaledService
from components.kubernetes.cdn import NginxCdn
from components.kubernetes.cdn_exposure import CdnExposure
from components.kubernetes.checksums import secret_checksum
from components.kubernetes.conventions import service_host
from components.kubernetes.monitoring import Monitoring
from components.kubernetes.namespace import AppNamespace
from components.kubernetes.redis_stores import RedisStores
from components.quantities import cpu_millicores, memory_bytes
from components.render.cdn_metrics import METRICS_PORT_NAME as CDN_METRICS_PORT_NAME
from components.render.rules import MetricSources
from components.settings import Settings


def largest_container_limits(settings: Settings) -> dict[str, str]:
    """The LimitRange maximum: the largest limits any configured container asks for."""
    resources = [s.resources for s in settings.services.values()]
    resources += [settings.cdn.resources, settings.redis.resources]
    cpu = max((r.limits.cpu for r in resources), key=cpu_millicores)
    memory = max((r.limits.memory for r in resources), key=memory_bytes)
    return {"cpu": cpu, "memory": memory}


class Platform(pulumi.ComponentResource):
    """Everything one stack declares. Its outputs are what the post-deploy checks read.

    Give it the stack's Kubernetes provider through ``opts.providers``: every Kubernetes
    resource below inherits it.
    """

    namespace: AppNamespace
    services: dict[str, AutoscaledService]
    edge: CloudflareEdge | None
    cdn: NginxCdn
    exposure: CdnExposure | None

    def __init__(self, name: str, settings: Settings, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("technovastore:platform:Platform", name, None, opts)
        self.settings = settings
        self.namespace = AppNamespace(
            "namespace",
            namespace=settings.namespace,
            monitoring_namespace=settings.monitoring_namespace,
            footprint=full_scale_footprint(settings),
            max_container_limits=largest_container_limits(settings),
            protection=settings.protection,
            opts=pulumi.ResourceOptions(parent=self),
        )
        in_namespace = pulumi.ResourceOptions(parent=self, depends_on=[self.namespace])
        self.redis = RedisStores("redis", settings, opts=in_namespace)
        redis_secret = secret_checksum({"redis-credentials/app": self.redis.credentials.app_password})
        self.services = {
            service_name: AutoscaledService(
                service_name,
                namespace=settings.namespace,
                service=service,
                scaling=settings.scaling,
                strict_spread=settings.strict_spread,
                extra_env=self.redis.client_env() if service.uses_redis else None,
                secret_checksum=redis_secret if service.uses_redis else None,
                opts=in_namespace,
            )
            for service_name, service in settings.services.items()
        }
        self.cdn = self._cdn(settings)
        self.exposure = self._exposure(settings) if settings.cdn_exposed else None
        self.edge = self._edge(settings) if edge_enabled(settings) else None
        if settings.monitoring.enabled:
            self._monitoring(settings)
        self.register_outputs({"namespace": self.namespace.name})

    def _cdn(self, settings: Settings) -> NginxCdn:
        origin_name = settings.cdn.origin_service
        origin = settings.services[origin_name]
        return NginxCdn(
            "cdn",
            namespace=settings.namespace,
            # With what the rest of the stack implies (Cloudflare's ranges and hostnames).
            cdn=settings.cdn_tier,
            origin=f"{service_host(origin_name, settings.namespace)}:{origin.port}",
            scaling=settings.scaling,
            monitoring_namespace=settings.monitoring_namespace,
            strict_spread=settings.strict_spread,
            metrics_log_image=settings.monitoring.cdn_metrics_image if settings.monitoring.enabled else None,
            # NGINX resolves the origin's name when it starts: the Service must exist first.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.namespace, self.services[origin_name]]),
        )

    def _exposure(self, settings: Settings) -> CdnExposure:
        return CdnExposure(
            "cdn-public",
            namespace=settings.namespace,
            exposure=settings.cdn.exposure,
            hostnames=list(settings.cloudflare.hostnames),
            cdn_service=self.cdn.service,
            cdn_port=settings.cdn.port,
            tls_private_key=settings.cdn_tls_private_key,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.cdn]),
        )

    def _edge(self, settings: Settings) -> CloudflareEdge:
        # The origin: the CDN's public address when this stack exposes it, else the configured one.
        address = self.exposure.address if self.exposure else settings.cloudflare.origin_address
        assert address is not None  # the settings require one of the two
        return CloudflareEdge(
            "edge",
            settings=settings.cloudflare,
            origin=OriginFacts(
                product_ttl=settings.cache_ttl.product,
                session_cookies=settings.cdn.session_cookies,
                api_prefix=settings.cdn.api_prefix,
            ),
            origin_address=address,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _monitoring(self, settings: Settings) -> Monitoring:
        sources = MetricSources(scope={"namespace": settings.namespace}, replicas="kube-state-metrics")
        # Each store's and the CDN's pods, by the workload name their PodMonitor's job takes.
        scraped = {
            sources.cache_job: ["metrics"],
            sources.sessions_job: ["metrics"],
            sources.sentinel_job: ["metrics"],
            sources.cdn_job: ["metrics", CDN_METRICS_PORT_NAME],
        }
        return Monitoring(
            "monitoring",
            settings=settings,
            sources=sources,
            scraped=scraped,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.namespace]),
        )

    def stack_outputs(self) -> dict[str, Any]:
        """The stack outputs: plain facts and the ``endpoints`` the checks connect to."""
        services = {
            name: {
                "host": service.host,
                "port": service.port,
                "minReplicas": service.min_replicas,
                "maxReplicas": service.max_replicas,
            }
            for name, service in self.services.items()
        }
        return {
            "stack": self.settings.stack,
            "environment": self.settings.environment,
            "namespace": self.namespace.name,
            "services": services,
            "endpoints": {
                "services": {name: {"host": s["host"], "port": s["port"]} for name, s in services.items()},
                **self.redis.endpoints(),
                "cdn": self.cdn.endpoint(),
            },
            "redisPassword": self.redis.admin_password,
            # What the next deployment compares against (components/deployment.py).
            "dataFootprint": data_footprint(self.settings),
            **({"cdnAddress": self.exposure.address} if self.exposure else {}),
            **self._edge_outputs(),
        }

    def _edge_outputs(self) -> dict[str, Any]:
        """The ``edge`` output (zone id, hostnames, ruleset ids) when Cloudflare is managed."""
        if self.edge is None:
            return {}
        return {
            "edge": {
                "zoneId": self.edge.zone_id,
                "hostnames": self.edge.hostnames,
                "rulesetIds": self.edge.ruleset_ids,
            }
        }
