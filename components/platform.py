"""Platform: the whole scalability layer of one stack, composed from its components.

``platform: kubernetes`` composes the Kubernetes components, ``platform: swarm`` the Docker
Swarm ones, ``platform: docker`` plain Docker containers (a developer's laptop); all three
translate the same workloads (components/workloads.py) and export the same outputs, so the
post-deploy checks read any of them.
"""

from __future__ import annotations

from typing import Any

import pulumi

from components.capacity import full_scale_footprint
from components.data_footprint import data_footprint
from components.docker.cdn import DockerCdn
from components.docker.network import DockerNetwork
from components.docker.redis_stores import DockerRedisStores
from components.docker.service import DockerService
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
from components.swarm.autoscaler import SwarmAutoscaler
from components.swarm.cdn import SwarmCdn
from components.swarm.conventions import swarm_name
from components.swarm.monitoring import SwarmMonitoring
from components.swarm.network import SwarmNetwork
from components.swarm.redis_stores import SwarmRedisStores
from components.swarm.service import SwarmService
from components.workloads import app_workloads


def largest_container_limits(settings: Settings) -> dict[str, str]:
    """The LimitRange maximum: the largest limits any configured container asks for."""
    resources = [s.resources for s in settings.services.values()]
    resources += [settings.cdn.resources, settings.redis.resources]
    cpu = max((r.limits.cpu for r in resources), key=cpu_millicores)
    memory = max((r.limits.memory for r in resources), key=memory_bytes)
    return {"cpu": cpu, "memory": memory}


class Platform(pulumi.ComponentResource):
    """Everything one stack declares. Its outputs are what the post-deploy checks read.

    On Kubernetes, give it the stack's Kubernetes provider through ``opts.providers``: every
    Kubernetes resource below inherits it.
    """

    namespace: AppNamespace | None
    services: dict[str, AutoscaledService] | dict[str, SwarmService] | dict[str, DockerService]
    redis: RedisStores | SwarmRedisStores | DockerRedisStores
    edge: CloudflareEdge | None
    cdn: NginxCdn | SwarmCdn | DockerCdn
    exposure: CdnExposure | None
    swarm_monitoring: SwarmMonitoring | None

    def __init__(self, name: str, settings: Settings, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("technovastore:platform:Platform", name, None, opts)
        self.settings = settings
        self.exposure = None
        self.swarm_monitoring = None
        if settings.platform == "swarm":
            self._swarm(settings)
        elif settings.platform == "docker":
            self._docker(settings)
        else:
            self._kubernetes(settings)
        self.edge = self._edge(settings) if edge_enabled(settings) else None
        self.register_outputs({"namespace": settings.namespace})

    def _kubernetes(self, settings: Settings) -> None:
        namespace = self.namespace = AppNamespace(
            "namespace",
            namespace=settings.namespace,
            monitoring_namespace=settings.monitoring_namespace,
            footprint=full_scale_footprint(settings),
            max_container_limits=largest_container_limits(settings),
            protection=settings.protection,
            opts=pulumi.ResourceOptions(parent=self),
        )
        in_namespace = pulumi.ResourceOptions(parent=self, depends_on=[namespace])
        redis = self.redis = RedisStores("redis", settings, opts=in_namespace)
        redis_secret = secret_checksum({"redis-credentials/app": redis.credentials.app_password})
        services = {
            name: AutoscaledService(
                name,
                namespace=settings.namespace,
                workload=workload,
                scaling=settings.scaling,
                strict_spread=settings.strict_spread,
                secret_name=redis.credentials.secret_name,
                secret_checksum=redis_secret if workload.uses_redis else None,
                opts=in_namespace,
            )
            for name, workload in app_workloads(settings, redis.addresses()).items()
        }
        self.services = services
        # NGINX resolves the origin's name when it starts: the Service must exist first.
        self.cdn = self._kubernetes_cdn(settings, in_namespace, services[settings.cdn.origin_service])
        if settings.cdn_exposed:
            self.exposure = self._exposure(settings, self.cdn)
        if settings.monitoring.enabled:
            self._monitoring(settings, in_namespace)

    def _swarm(self, settings: Settings) -> None:
        self.namespace = None
        network = SwarmNetwork("network", settings, opts=pulumi.ResourceOptions(parent=self))
        on_network = pulumi.ResourceOptions(parent=self, depends_on=[network])
        redis = self.redis = SwarmRedisStores("redis", settings, network=network, opts=on_network)
        services = {
            name: SwarmService(
                name,
                settings=settings,
                workload=workload,
                network=network,
                secrets=redis.credentials,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[network, redis]),
            )
            for name, workload in app_workloads(settings, redis.addresses()).items()
        }
        self.services = services
        origin = services[settings.cdn.origin_service]
        cdn = self.cdn = SwarmCdn(
            "cdn",
            settings=settings,
            network=network,
            origin=f"{origin.host}:{origin.port}",
            opts=pulumi.ResourceOptions(parent=self, depends_on=[network, origin]),
        )
        autoscaler = None
        if settings.swarm.autoscaler.enabled:
            autoscaler = SwarmAutoscaler("autoscaler", settings=settings, network=network, opts=on_network)
        if cdn.metrics is not None:
            self.swarm_monitoring = self._swarm_monitoring(
                settings, network, redis, cdn.metrics.target, autoscaler
            )

    def _swarm_monitoring(
        self,
        settings: Settings,
        network: SwarmNetwork,
        redis: SwarmRedisStores,
        cdn_metrics_target: str,
        autoscaler: SwarmAutoscaler | None,
    ) -> SwarmMonitoring:
        """Prometheus scrapes the autoscaler too when it runs: its series feed the scaling alerts."""
        sources = MetricSources.swarm(
            settings.namespace, autoscaler=autoscaler is not None, service_prefix=swarm_name(settings, "")
        )
        autoscaler_target = (
            None if autoscaler is None else f"{autoscaler.host}:{settings.swarm.autoscaler.metrics_port}"
        )
        return SwarmMonitoring(
            "monitoring",
            settings=settings,
            sources=sources,
            network=network,
            redis=redis,
            cdn_metrics_target=cdn_metrics_target,
            autoscaler_target=autoscaler_target,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[network, redis]),
        )

    def _docker(self, settings: Settings) -> None:
        self.namespace = None
        network = DockerNetwork("network", settings, opts=pulumi.ResourceOptions(parent=self))
        redis = self.redis = DockerRedisStores(
            "redis", settings, network_name=network.name, opts=pulumi.ResourceOptions(parent=self)
        )
        # Services start once the cluster is formed (the bootstrap container has finished).
        services = {
            name: DockerService(
                name,
                settings=settings,
                workload=workload,
                network_name=network.name,
                credentials=redis.credentials,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[redis]),
            )
            for name, workload in app_workloads(settings, redis.addresses()).items()
        }
        self.services = services
        origin = services[settings.cdn.origin_service]
        self.cdn = DockerCdn(
            "cdn",
            settings=settings,
            network_name=network.name,
            origin=f"{origin.host}:{origin.port}",
            opts=pulumi.ResourceOptions(parent=self, depends_on=[origin]),
        )

    def _kubernetes_cdn(
        self, settings: Settings, in_namespace: pulumi.ResourceOptions, origin_service: AutoscaledService
    ) -> NginxCdn:
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
            opts=pulumi.ResourceOptions.merge(
                in_namespace, pulumi.ResourceOptions(depends_on=[origin_service])
            ),
        )

    def _exposure(self, settings: Settings, cdn: NginxCdn) -> CdnExposure:
        return CdnExposure(
            "cdn-public",
            namespace=settings.namespace,
            exposure=settings.cdn.exposure,
            hostnames=list(settings.cloudflare.hostnames),
            cdn_service=cdn.service,
            cdn_port=settings.cdn.port,
            tls_private_key=settings.cdn_tls_private_key,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[cdn]),
        )

    def _edge(self, settings: Settings) -> CloudflareEdge:
        # The origin: the CDN's public address when this stack exposes it, else the configured one.
        address = self.exposure.address if self.exposure else settings.cloudflare.origin_address
        assert address is not None  # the settings require one of the two
        return CloudflareEdge(
            "edge",
            settings=settings.cloudflare,
            origin=OriginFacts(
                session_cookies=settings.cdn.session_cookies,
                api_prefix=settings.cdn.api_prefix,
            ),
            origin_address=address,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _monitoring(self, settings: Settings, in_namespace: pulumi.ResourceOptions) -> Monitoring:
        sources = MetricSources.kubernetes(settings.namespace)
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
            opts=in_namespace,
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
        # A Swarm has no namespace: without it the checks skip their Kubernetes family. Its
        # data footprint (namespace, StatefulSets) is what the next Kubernetes deployment
        # compares against (components/deployment.py); a Swarm has neither.
        kubernetes = (
            {"namespace": self.namespace.name, "dataFootprint": data_footprint(self.settings)}
            if self.namespace
            else {}
        )
        return {
            "stack": self.settings.stack,
            "environment": self.settings.environment,
            **kubernetes,
            "services": services,
            "endpoints": {
                "services": {name: {"host": s["host"], "port": s["port"]} for name, s in services.items()},
                **self.redis.endpoints(),
                "cdn": self.cdn.endpoint(),
            },
            "redisPassword": self.redis.admin_password,
            **self._monitoring_outputs(),
            **({"cdnAddress": self.exposure.address} if self.exposure else {}),
            **self._edge_outputs(),
        }

    def _monitoring_outputs(self) -> dict[str, Any]:
        """Where a Swarm stack's own Prometheus and Grafana answer, and Grafana's admin password."""
        monitoring = self.swarm_monitoring
        if monitoring is None:
            return {}
        settings = self.settings.monitoring
        outputs: dict[str, Any] = {"monitoring": {"prometheusPort": settings.prometheus.published_port}}
        if monitoring.grafana_admin_password is not None:
            outputs["monitoring"]["grafanaPort"] = settings.grafana.port
            # Its own output: a secret inside `monitoring` would hide the ports too.
            outputs["grafanaAdminPassword"] = monitoring.grafana_admin_password
        return outputs

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
