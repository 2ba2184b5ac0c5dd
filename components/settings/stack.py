"""The root of a stack's settings: everything the program declares is sized from here."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, SecretStr, model_validator

from components.settings.acknowledgements import Acknowledgement, acknowledges
from components.settings.base import DnsLabel, SettingsModel, cross_field_error, cross_field_errors
from components.settings.cache import CacheClientSettings, CacheTtlSettings
from components.settings.cdn import CdnSettings, EdgeTtls
from components.settings.checks import ChecksSettings
from components.settings.cloudflare import CloudflareSettings, min_edge_ttl_problem
from components.settings.cloudflare_plans import LIMITS
from components.settings.cloudflare_rules import MAX_EXPRESSION_LENGTH
from components.settings.cluster import ClusterSettings
from components.settings.docker import DockerSettings
from components.settings.monitoring import MonitoringSettings, platform_problems
from components.settings.protection import DEFAULTS as PROTECTION_DEFAULTS
from components.settings.protection import ProtectionSettings, with_environment_defaults
from components.settings.redis import RedisSettings
from components.settings.scaling import ScalingSettings
from components.settings.services import ComputeQuantities, ComputeResources, ServiceSettings
from components.settings.swarm import SwarmSettings

Environment = Literal["production", "staging", "review", "development"]
Platform = Literal["kubernetes", "swarm", "docker"]
# The Secret that carries the Redis passwords (components/kubernetes/redis_credentials.py).
REDIS_CREDENTIALS = "redis-credentials"
REVIEW_STACK = re.compile(r"^pr-[1-9][0-9]*$")
# Stacks named for where they run: production on Docker Swarm, and a developer's laptop.
NAMED_STACKS: dict[str, Environment] = {
    "production": "production",
    "staging": "staging",
    "swarm": "production",
    "dev": "development",
}
NAMESPACE_PREFIX = "technovastore"
# The namespaces other stacks derive: production may not pick one of them.
_DERIVED_NAMESPACE = re.compile(rf"^{NAMESPACE_PREFIX}-(staging|pr-[1-9][0-9]*)$")


def derived_namespace(stack: str) -> str:
    """Every stack's own namespace unless production sets another: two stacks never share one."""
    return f"{NAMESPACE_PREFIX}-{stack}"


def environment_of(stack: str) -> Environment | None:
    """The named stacks' environments; ``pr-<n>`` stacks are review environments."""
    if stack in NAMED_STACKS:
        return NAMED_STACKS[stack]
    if REVIEW_STACK.match(stack):
        return "review"
    return None


def _service(image: str, port: int, tier: str, lo: int, hi: int, *, uses_redis: bool) -> ServiceSettings:
    return ServiceSettings(
        image=image,
        port=port,
        tier=tier,
        min_replicas=lo,
        max_replicas=hi,
        resources=ComputeResources(
            requests=ComputeQuantities(cpu="250m", memory="256Mi"),
            limits=ComputeQuantities(cpu="1", memory="512Mi"),
        ),
        uses_redis=uses_redis,
    )


def default_services() -> dict[str, ServiceSettings]:
    """The seed's four services and replica limits (a stack that names none gets these)."""
    return {
        "api-gateway": _service(
            "ghcr.io/technovastore/api-gateway:1.0.0", 3000, "gateway", 2, 10, uses_redis=True
        ),
        "product-service": _service(
            "ghcr.io/technovastore/product-service:1.0.0", 3001, "backend", 2, 8, uses_redis=True
        ),
        "order-service": _service(
            "ghcr.io/technovastore/order-service:1.0.0", 3002, "backend", 2, 6, uses_redis=True
        ),
        "frontend": _service("ghcr.io/technovastore/frontend:1.0.0", 3000, "edge", 2, 6, uses_redis=False),
    }


class Settings(SettingsModel):
    """One stack's settings. ``stack`` and ``environment`` come from the stack name."""

    stack: str = Field(exclude=True)
    environment: Environment = Field(exclude=True)
    # Where the stack runs; the same services, stores and CDN on either.
    platform: Platform = "kubernetes"
    swarm: SwarmSettings = SwarmSettings()
    docker: DockerSettings = DockerSettings()
    # technovastore-<stack> unless set (production only: see _namespace_belongs_to_the_stack).
    namespace: DnsLabel
    # The cluster: from the provider's keys kubernetes:context / kubernetes:kubeconfig.
    cluster: ClusterSettings = ClusterSettings()
    # protect / retainOnDelete / PVC retention; defaults per environment (settings/protection.py).
    protection: ProtectionSettings
    # Where Prometheus runs: the only namespace allowed to scrape metrics ports.
    monitoring_namespace: DnsLabel = "monitoring"
    scaling: ScalingSettings = ScalingSettings()
    services: dict[DnsLabel, ServiceSettings] = Field(default_factory=default_services, min_length=1)
    cache_ttl: CacheTtlSettings = CacheTtlSettings()
    cache: CacheClientSettings = CacheClientSettings()
    redis: RedisSettings = RedisSettings()
    cdn: CdnSettings = CdnSettings()
    cloudflare: CloudflareSettings = CloudflareSettings()
    checks: ChecksSettings = ChecksSettings()
    monitoring: MonitoringSettings = MonitoringSettings()
    # One-time permissions for destructive changes (see components/settings/acknowledgements.py).
    acknowledge: list[Acknowledgement] = Field(default_factory=list)
    # Secret: `pulumi config set --secret redisPassword ...`; generated when unset.
    redis_password: SecretStr | None = None
    # Secret: the admin password being replaced, while redis.passwordRotation runs.
    redis_previous_password: SecretStr | None = None
    # Secret: the private key of cdn.exposure.tls.certificate (source originCa).
    cdn_tls_private_key: SecretStr | None = None

    @property
    def strict_spread(self) -> bool:
        """Production never puts two replicas of a workload on one node; the others prefer not to."""
        return self.environment == "production"

    @property
    def cdn_exposed(self) -> bool:
        """Whether the CDN gets a public address; review stacks share staging's hostnames, so never."""
        return self.cdn.exposure.type != "none" and self.environment != "review"

    @property
    def edge_enabled(self) -> bool:
        """Review stacks share staging's config but never manage a zone: its rules are zone-wide."""
        return self.cloudflare.enabled and self.environment != "review"

    @model_validator(mode="before")
    @classmethod
    def _stack_defaults(cls, data: Any) -> Any:
        """The namespace and the protection settings default per stack and environment."""
        if not isinstance(data, dict) or data.get("environment") not in PROTECTION_DEFAULTS:
            return data
        data = dict(data)
        data.setdefault("namespace", derived_namespace(str(data.get("stack"))))
        data["protection"] = with_environment_defaults(data.get("protection"), data["environment"])
        return data

    @model_validator(mode="after")
    def _namespace_belongs_to_the_stack(self) -> Settings:
        own = derived_namespace(self.stack)
        if self.namespace == own:
            return self
        if self.environment != "production":
            raise cross_field_error(
                "namespace",
                self.namespace,
                f"must be {own} (remove the key): only production may choose its namespace, "
                "so two stacks can never share one",
            )
        if _DERIVED_NAMESPACE.match(self.namespace):
            raise cross_field_error("namespace", self.namespace, "is another stack's namespace")
        return self

    @property
    def cdn_tier(self) -> CdnSettings:
        """The CDN settings as deployed: behind Cloudflare, its ranges, header and hostnames."""
        if self.edge_enabled:
            edge_ttls = EdgeTtls(
                page=self.cloudflare.product_edge_ttl(self.cache_ttl.product),
                asset=self.cloudflare.cache.static_edge_ttl,
            )
            return self.cdn.fronted_by_cloudflare(self.cloudflare.hostnames, edge_ttls)
        return self.cdn

    @model_validator(mode="after")
    def _cdn_lockdown_has_proxies(self) -> Settings:
        if self.cdn.origin_lockdown and not self.cdn_tier.real_ip_sources:
            raise cross_field_error(
                "cdn.originLockdown",
                True,
                "needs cdn.trustedProxies or Cloudflare in front (cloudflare.enabled): nobody could connect",
            )
        return self

    @model_validator(mode="after")
    def _ingress_hop_is_trusted(self) -> Settings:
        # Behind an Ingress, NGINX's peer is the controller's pod, not Cloudflare: unless the pod
        # network is trusted, every visitor would share the controller's address (one rate
        # limit for all), the finding this tier exists to fix.
        behind_ingress = self.edge_enabled and self.cdn.exposure.type == "ingress"
        if behind_ingress and self.cdn.trusted_proxies is None and not self.cdn.cluster_networks:
            raise cross_field_error(
                "cdn.clusterNetworks",
                [],
                "must name the cluster's pod network with cdn.exposure.type ingress behind Cloudflare: "
                "NGINX's peer is the Ingress controller, and only a trusted peer's CF-Connecting-IP names "
                "the visitor (find it with: kubectl get nodes -o jsonpath='{.items[*].spec.podCIDRs}')",
            )
        return self

    @model_validator(mode="after")
    def _services_reach_max_in_time(self) -> Settings:
        budget = self.scaling.max_scale_up_seconds
        for name, service in self.services.items():
            seconds = self.scaling.seconds_to_reach_max(service.min_replicas, service.max_replicas)
            if seconds > budget:
                raise cross_field_error(
                    f"services.{name}.maxReplicas",
                    service.max_replicas,
                    f"cannot be reached from minReplicas ({service.min_replicas}) within "
                    f"scaling.maxScaleUpSeconds ({budget} s) with scaling.scaleUpBehavior: "
                    f"worst case {seconds} s; raise the behavior's pods/percent or lower maxReplicas",
                )
        return self

    @model_validator(mode="after")
    def _platform_blocks_match_the_platform(self) -> Settings:
        # A swarm (or docker) block on another platform would silently do nothing: say so instead.
        for block in ("swarm", "docker"):
            if block in self.model_fields_set and self.platform != block:
                raise cross_field_error(
                    block, "(set)", f"applies only with platform: {block}, not {self.platform}"
                )
        return self

    def containers_of(self, service: str) -> int:
        """How many containers a plain Docker stack runs for ``service`` (docker.scale, else 1)."""
        return self.docker.scale.get(service, 1)

    @model_validator(mode="after")
    def _docker_scale_names_services(self) -> Settings:
        for name, count in self.docker.scale.items():
            if name not in self.services:
                raise cross_field_error(
                    f"docker.scale.{name}",
                    count,
                    f"names no service (services: {', '.join(sorted(self.services))})",
                )
            high = self.services[name].max_replicas
            if count > high:
                raise cross_field_error(
                    f"docker.scale.{name}", count, f"must not exceed services.{name}.maxReplicas ({high})"
                )
        return self

    @model_validator(mode="after")
    def _kubernetes_settings_need_kubernetes(self) -> Settings:
        # On Docker they would silently do nothing: the stack names no cluster, and the CDN is
        # published by the engine itself (swarm.cdnPublishedPort, docker.cdnPublishedPort).
        if self.platform == "kubernetes":
            return self
        problems = []
        if self.cluster.named:
            problems.append(
                cross_field_error(
                    "cluster",
                    "(set)",
                    "kubernetes:context and kubernetes:kubeconfig apply only with platform: kubernetes",
                )
            )
        if self.cdn.exposure.type != "none":
            problems.append(
                cross_field_error(
                    "cdn.exposure.type",
                    self.cdn.exposure.type,
                    f"must be none with platform: {self.platform} "
                    "(swarm.cdnPublishedPort or docker.cdnPublishedPort publishes the CDN)",
                )
            )
        if problems:
            raise cross_field_errors(type(self).__name__, problems)
        return self

    @model_validator(mode="after")
    def _monitoring_fits_the_platform(self) -> Settings:
        problems = platform_problems(self.monitoring, self.platform, self.swarm.cdn_published_port)
        if problems:
            raise cross_field_errors(type(self).__name__, problems)
        return self

    @model_validator(mode="after")
    def _password_rotation_is_complete(self) -> Settings:
        rotation = self.redis.password_rotation
        if rotation is None:
            if self.redis_previous_password is not None:
                raise cross_field_error(
                    "redisPreviousPassword",
                    "[secret]",
                    "is only read while redis.passwordRotation runs: set the phase, or remove it "
                    "once the rotation finished",
                )
            return self
        missing = []
        if self.redis_password is None or self.redis_previous_password is None:
            missing.append("both redisPassword (the new one) and redisPreviousPassword (the old one)")
        if not acknowledges(self.acknowledge, "rotate", "Secret", REDIS_CREDENTIALS):
            missing.append(f"acknowledge 'rotate:Secret/{REDIS_CREDENTIALS}'")
        if missing:
            raise cross_field_error(
                "redis.passwordRotation",
                rotation,
                f"needs {' and '.join(missing)} (README: Redis, rotating the password)",
            )
        return self

    @model_validator(mode="after")
    def _cdn_origin_is_a_service(self) -> Settings:
        if self.cdn.origin_service not in self.services:
            raise cross_field_error(
                "cdn.originService",
                self.cdn.origin_service,
                f"must name one of the services ({', '.join(sorted(self.services))})",
            )
        return self

    @model_validator(mode="after")
    def _edge_has_one_origin(self) -> Settings:
        """Cloudflare's origin: the CDN's exposure address, or a configured one; never both."""
        if not self.edge_enabled:
            return self
        origin, exposure = self.cloudflare.origin_address, self.cdn.exposure.type
        if origin is None and exposure == "none":
            raise cross_field_error(
                "cloudflare.originAddress",
                None,
                "is required when enabled and cdn.exposure.type is none (the CDN tier's public "
                "address); or expose the CDN (cdn.exposure.type ingress) and its address is the origin",
            )
        if origin is not None and exposure != "none":
            raise cross_field_error(
                "cloudflare.originAddress",
                origin,
                f"must not be set with cdn.exposure.type {exposure}: the exposure's address is the origin",
            )
        if exposure == "loadBalancer":
            raise cross_field_error(
                "cdn.exposure.type",
                exposure,
                "serves plain HTTP, which Cloudflare's strict SSL refuses: use ingress (TLS)",
            )
        return self

    @model_validator(mode="after")
    def _exposure_is_complete(self) -> Settings:
        exposure = self.cdn.exposure
        if exposure.type == "ingress" and not self.cloudflare.hostnames:
            raise cross_field_error(
                "cloudflare.hostnames", [], "must list the Ingress's hostnames (cdn.exposure.type ingress)"
            )
        origin_ca = (
            exposure.type == "ingress" and exposure.tls is not None and exposure.tls.source == "originCa"
        )
        if origin_ca and self.cdn_tls_private_key is None:
            raise cross_field_error(
                "cdnTlsPrivateKey",
                None,
                "is required with cdn.exposure.tls.source originCa: "
                f"pulumi config set --secret cdnTlsPrivateKey < origin-ca.key --stack {self.stack}",
            )
        if not origin_ca and self.cdn_tls_private_key is not None:
            raise cross_field_error(
                "cdnTlsPrivateKey", "[secret]", "is only used with cdn.exposure.tls.source originCa"
            )
        return self

    @model_validator(mode="after")
    def _edge_product_ttl_fits(self) -> Settings:
        # The edge keeps product pages for its product TTL; browsers must not keep them longer,
        # and the zone's plan has a shortest edge TTL.
        cloudflare = self.cloudflare
        edge_ttl = cloudflare.product_edge_ttl(self.cache_ttl.product)
        own = cloudflare.cache.product_edge_ttl is not None
        source = "cloudflare.cache.productEdgeTtl" if own else "cacheTtl.product"
        problems = []
        if cloudflare.cache.product_browser_ttl > edge_ttl:
            problems.append(
                cross_field_error(
                    "cloudflare.cache.productBrowserTtl",
                    cloudflare.cache.product_browser_ttl,
                    f"must not exceed the product pages' edge TTL ({source}: {edge_ttl} s)",
                )
            )
        if cloudflare.enabled and edge_ttl < LIMITS.min_edge_ttl.of(cloudflare.plan):
            message = f"(the product pages' edge TTL) {min_edge_ttl_problem(cloudflare.plan)}; "
            message += "set cloudflare.cache.productEdgeTtl"
            problems.append(cross_field_error(source, edge_ttl, message))
        if problems:
            raise cross_field_errors(type(self).__name__, problems)
        return self

    @model_validator(mode="after")
    def _edge_expressions_fit(self) -> Settings:
        """The rule expressions built from these settings stay within Cloudflare's length."""
        # Imported here: the rule builders import the settings modules.
        from components.edge.rules import OriginFacts, phase_rules

        if not self.cloudflare.enabled:
            return self
        origin = OriginFacts(self.cdn.session_cookies, self.cdn.api_prefix)
        problems = [
            cross_field_error(
                _expression_source(key, index, rule["ref"]),
                len(rule["expression"]),
                f"makes the {rule['ref']} rule's expression {len(rule['expression'])} characters long; "
                f"Cloudflare allows {MAX_EXPRESSION_LENGTH}: list fewer paths, extensions or cookies",
            )
            for key, rules in phase_rules(self.cloudflare, origin).items()
            for index, rule in enumerate(rules)
            if len(rule["expression"]) > MAX_EXPRESSION_LENGTH
        ]
        if problems:
            raise cross_field_errors(type(self).__name__, problems)
        return self


def _expression_source(phase: str, index: int, ref: str) -> str:
    """The setting that makes a generated rule's expression long."""
    cache_rules = {
        "product_pages": "cloudflare.cache.productPaths",
        "static_assets": "cloudflare.cache.staticExtensions",
        "bypass_private": "cloudflare.cache.bypassPaths",
    }
    if phase == "cache":
        return cache_rules[ref]
    return f"cloudflare.{'rateLimits' if phase == 'ratelimit' else 'wafRules'}.{index}"
