"""The root of a stack's settings: everything the program declares is sized from here."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, SecretStr, model_validator

from components.settings.acknowledgements import Acknowledgement
from components.settings.base import DnsLabel, SettingsModel, cross_field_error, cross_field_errors
from components.settings.cache import CacheClientSettings, CacheTtlSettings
from components.settings.cdn import CdnSettings
from components.settings.checks import ChecksSettings
from components.settings.cloudflare import CloudflareSettings, min_edge_ttl_problem
from components.settings.cloudflare_plans import LIMITS
from components.settings.cloudflare_rules import MAX_EXPRESSION_LENGTH
from components.settings.monitoring import MonitoringSettings
from components.settings.redis import RedisSettings
from components.settings.scaling import ScalingSettings
from components.settings.services import ComputeQuantities, ComputeResources, ServiceSettings
from components.settings.swarm import SwarmSettings

Environment = Literal["production", "staging", "review", "development"]
Platform = Literal["kubernetes", "swarm"]
REVIEW_STACK = re.compile(r"^pr-[1-9][0-9]*$")
# Stacks named for where they run: production on Docker Swarm, and a developer's laptop.
NAMED_STACKS: dict[str, Environment] = {
    "production": "production",
    "staging": "staging",
    "swarm": "production",
    "dev": "development",
}


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


# The seed's four services and replica limits.
DEFAULT_SERVICES = {
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
    namespace: DnsLabel = "technovastore"
    # Where Prometheus runs: the only namespace allowed to scrape metrics ports.
    monitoring_namespace: DnsLabel = "monitoring"
    scaling: ScalingSettings = ScalingSettings()
    services: dict[DnsLabel, ServiceSettings] = Field(
        default_factory=lambda: dict(DEFAULT_SERVICES), min_length=1
    )
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

    @property
    def strict_spread(self) -> bool:
        """Production never puts two replicas of a workload on one node; the others prefer not to."""
        return self.environment == "production"

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
    def _swarm_block_needs_swarm(self) -> Settings:
        # A swarm block on a Kubernetes stack would silently do nothing: say so instead.
        if "swarm" in self.model_fields_set and self.platform != "swarm":
            raise cross_field_error(
                "swarm", "(set)", f"applies only with platform: swarm, not {self.platform}"
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
        origin = OriginFacts(self.cache_ttl.product, self.cdn.session_cookies, self.cdn.api_prefix)
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
