"""Cloudflare zone settings and rules in front of the CDN tier, bounded by the zone's plan."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from components.settings.base import SettingsModel, cross_field_error

# Cloudflare's plans, from the smallest allowance to the largest.
Plan = Literal["free", "pro", "business", "enterprise"]
RateLimitAction = Literal["block", "managed_challenge"]
WafAction = Literal["block", "managed_challenge", "js_challenge", "log"]


@dataclass(frozen=True)
class PlanLimits:
    """What a Cloudflare plan allows per zone (rules per phase, seconds, URLs per purge call)."""

    rate_limit_rules: int
    max_rate_limit_period: int
    waf_custom_rules: int
    max_purge_batch: int


PLAN_LIMITS: dict[str, PlanLimits] = {
    "free": PlanLimits(rate_limit_rules=1, max_rate_limit_period=10, waf_custom_rules=5, max_purge_batch=100),
    "pro": PlanLimits(rate_limit_rules=2, max_rate_limit_period=60, waf_custom_rules=20, max_purge_batch=100),
    "business": PlanLimits(
        rate_limit_rules=5, max_rate_limit_period=600, waf_custom_rules=100, max_purge_batch=100
    ),
    "enterprise": PlanLimits(
        rate_limit_rules=100, max_rate_limit_period=3600, waf_custom_rules=1000, max_purge_batch=500
    ),
}
# The counting periods the rate-limiting API accepts at all (the plan bounds the maximum).
RATE_LIMIT_PERIODS = (10, 60, 120, 300, 600, 3600)
MITIGATION_TIMEOUTS = (0, 10, 60, 120, 300, 600, 3600, 86400)

_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]([-a-z0-9]{0,61}[a-z0-9])?$"
)
# Characters that may appear in a path without breaking out of a quoted rule-language string.
_URL_PATH = re.compile(r"^/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$")
_HEX_ID = re.compile(r"^[0-9a-f]{32}$")
_RULE_REF = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_EXTENSION = re.compile(r"^[a-z0-9]{1,10}$")


def _matches(pattern: re.Pattern[str], expected: str) -> AfterValidator:
    def check(value: str) -> str:
        if not pattern.match(value):
            raise ValueError(expected)
        return value

    return AfterValidator(check)


Hostname = Annotated[str, _matches(_HOSTNAME, "must be a lowercase fully qualified hostname")]
UrlPath = Annotated[
    str, _matches(_URL_PATH, "must be a URL path starting with '/' (no quotes, backslashes or spaces)")
]
HexId = Annotated[str, _matches(_HEX_ID, "must be a Cloudflare id: 32 lowercase hex digits")]
RuleRef = Annotated[
    str, _matches(_RULE_REF, "must be lowercase letters, digits and '_', starting with a letter")
]
Extension = Annotated[str, _matches(_EXTENSION, "must be a file extension without the dot, e.g. 'css'")]


class RateLimitRule(SettingsModel):
    """Requests to these path prefixes are counted per client IP and Cloudflare colo.

    Paths only: the Free plan allows nothing but the path in a rate-limiting expression.
    """

    ref: RuleRef
    description: str = Field(min_length=1)
    paths: list[UrlPath] = Field(min_length=1)
    requests_per_period: int = Field(gt=0)
    period: int
    # How long a client stays blocked; challenges have none (0): a passed challenge resets.
    mitigation_timeout: int = 10
    action: RateLimitAction = "block"

    @model_validator(mode="after")
    def _api_values(self) -> RateLimitRule:
        if self.period not in RATE_LIMIT_PERIODS:
            raise cross_field_error("period", self.period, f"must be one of {_seconds(RATE_LIMIT_PERIODS)}")
        if self.mitigation_timeout not in MITIGATION_TIMEOUTS:
            raise cross_field_error(
                "mitigationTimeout",
                self.mitigation_timeout,
                f"must be one of {_seconds(MITIGATION_TIMEOUTS)}",
            )
        if self.action != "block" and self.mitigation_timeout != 0:
            raise cross_field_error(
                "mitigationTimeout", self.mitigation_timeout, f"must be 0 with the {self.action} action"
            )
        return self


def _seconds(values: tuple[int, ...]) -> str:
    return ", ".join(str(value) for value in values) + " seconds"


class WafRule(SettingsModel):
    """A WAF custom rule: either path prefixes (probes to block) or a rules-language expression."""

    ref: RuleRef
    description: str = Field(min_length=1)
    action: WafAction
    paths: list[UrlPath] = Field(default_factory=list)
    expression: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _paths_or_expression(self) -> WafRule:
        if bool(self.paths) == (self.expression is not None):
            raise cross_field_error("expression", self.expression, "set exactly one of paths and expression")
        return self


class EdgeCacheSettings(SettingsModel):
    """Cache rules; the product pages' edge TTL is ``cacheTtl.product``."""

    static_extensions: list[Extension] = Field(
        default_factory=lambda: [
            *("css", "js", "mjs", "map", "png", "jpg", "jpeg", "gif", "webp", "avif", "svg", "ico"),
            *("woff", "woff2", "ttf"),
        ],
        min_length=1,
    )
    static_paths: list[UrlPath] = Field(default_factory=lambda: ["/static/", "/assets/", "/images/"])
    static_edge_ttl: int = Field(default=30 * 86400, gt=0)
    static_browser_ttl: int = Field(default=7 * 86400, gt=0)
    product_paths: list[UrlPath] = Field(
        default_factory=lambda: ["/products/", "/api/products/"], min_length=1
    )
    # Short: a purge reaches the edge but never a browser's cache.
    product_browser_ttl: int = Field(default=60, ge=0)
    bypass_paths: list[UrlPath] = Field(
        default_factory=lambda: [
            *("/cart", "/checkout", "/account", "/login", "/logout"),
            *("/api/cart", "/api/orders", "/api/auth", "/api/users"),
        ],
        min_length=1,
    )


DEFAULT_RATE_LIMITS = [
    RateLimitRule(
        ref="login",
        description="Slow down credential stuffing on the login endpoints",
        paths=["/api/auth/login", "/login"],
        requests_per_period=10,
        period=60,
        mitigation_timeout=60,
    ),
    RateLimitRule(
        ref="api",
        description="Cap API calls per client",
        paths=["/api/"],
        requests_per_period=600,
        period=60,
        mitigation_timeout=0,
        action="managed_challenge",
    ),
]

DEFAULT_WAF_RULES = [
    WafRule(
        ref="block_probes",
        description="Block probes for well-known attack paths",
        action="block",
        paths=[
            *("/.env", "/.git", "/.svn", "/.hg", "/.aws", "/.ssh", "/.DS_Store"),
            *("/wp-admin", "/wp-login.php", "/xmlrpc.php", "/phpmyadmin", "/server-status", "/cgi-bin"),
        ],
    ),
    WafRule(
        ref="block_unknown_methods",
        description="Block methods the store never serves",
        action="block",
        expression='not http.request.method in {"GET" "HEAD" "POST" "PUT" "PATCH" "DELETE" "OPTIONS"}',
    ),
    WafRule(
        ref="challenge_anonymous_clients",
        description="Challenge requests without a User-Agent",
        action="managed_challenge",
        expression='http.user_agent eq ""',
    ),
]


class CloudflareSettings(SettingsModel):
    enabled: bool = False
    # The zone is looked up by id when given, else by name (within the account, when given).
    zone_name: Hostname = "technovastore.com"
    zone_id: HexId | None = None
    account_id: HexId | None = None
    plan: Plan = "pro"
    # Proxied DNS records, each pointing at the origin; all inside the zone.
    hostnames: list[Hostname] = Field(default_factory=list)
    # Hosts that serve only static assets: everything on them is cache-eligible.
    static_hostnames: list[Hostname] = Field(default_factory=list)
    # The CDN tier's public address: an IP (A/AAAA record) or a hostname (CNAME). Only when
    # the stack does not expose the CDN itself (cdn.exposure), whose address is then the origin.
    origin_address: str | None = None
    hsts_max_age: int = Field(default=31536000, ge=0, le=63072000)
    cache: EdgeCacheSettings = EdgeCacheSettings()
    rate_limits: list[RateLimitRule] = Field(default_factory=lambda: list(DEFAULT_RATE_LIMITS))
    waf_rules: list[WafRule] = Field(default_factory=lambda: list(DEFAULT_WAF_RULES))
    # URLs (or tags, hosts, prefixes) per purge request.
    purge_batch_size: int = Field(default=30, ge=1)

    @property
    def limits(self) -> PlanLimits:
        return PLAN_LIMITS[self.plan]

    @model_validator(mode="after")
    def _hostnames_in_zone(self) -> CloudflareSettings:
        for index, host in enumerate(self.hostnames):
            if host != self.zone_name and not host.endswith(f".{self.zone_name}"):
                raise cross_field_error(
                    f"hostnames.{index}", host, f"must be inside the zone {self.zone_name}"
                )
            if self.hostnames.index(host) != index:
                raise cross_field_error(f"hostnames.{index}", host, "is listed more than once")
        for index, host in enumerate(self.static_hostnames):
            if host not in self.hostnames:
                raise cross_field_error(
                    f"staticHostnames.{index}", host, "must be one of cloudflare.hostnames"
                )
        return self

    @model_validator(mode="after")
    def _enabled_needs_hosts(self) -> CloudflareSettings:
        # The origin is checked with the CDN's exposure (Settings._edge_has_one_origin).
        if self.enabled and not self.hostnames:
            raise cross_field_error(
                "hostnames", self.hostnames, "must list at least one hostname when enabled"
            )
        return self

    @model_validator(mode="after")
    def _public_origin(self) -> CloudflareSettings:
        if self.origin_address is None:
            return self
        problem = origin_problem(self.origin_address, self.hostnames)
        if problem:
            raise cross_field_error("originAddress", self.origin_address, problem)
        return self

    @model_validator(mode="after")
    def _unique_refs(self) -> CloudflareSettings:
        for field, rules in (("rateLimits", self.rate_limits), ("wafRules", self.waf_rules)):
            refs = [rule.ref for rule in rules]
            for index, ref in enumerate(refs):
                if refs.index(ref) != index:
                    raise cross_field_error(f"{field}.{index}.ref", ref, "is used by an earlier rule")
        return self

    @model_validator(mode="after")
    def _within_plan(self) -> CloudflareSettings:
        limits, plan = self.limits, self.plan
        for field, rules, allowed, kind in (
            ("rateLimits", self.rate_limits, limits.rate_limit_rules, "rate-limiting rules"),
            ("wafRules", self.waf_rules, limits.waf_custom_rules, "WAF custom rules"),
        ):
            if len(rules) > allowed:
                message = f"has {len(rules)} rules; the '{plan}' plan allows at most {allowed} {kind}"
                raise cross_field_error(field, len(rules), message)
        for index, rule in enumerate(self.rate_limits):
            if rule.period > limits.max_rate_limit_period:
                raise cross_field_error(
                    f"rateLimits.{index}.period",
                    rule.period,
                    f"exceeds the '{plan}' plan's maximum rate-limiting period of "
                    f"{limits.max_rate_limit_period} s",
                )
        if self.purge_batch_size > limits.max_purge_batch:
            raise cross_field_error(
                "purgeBatchSize",
                self.purge_batch_size,
                f"exceeds the '{plan}' plan's {limits.max_purge_batch} items per purge request",
            )
        return self


def origin_problem(origin: str, hostnames: list[str]) -> str | None:
    """Why ``origin`` cannot be the proxied records' target, or None when it can."""
    try:
        address = ipaddress.ip_address(origin)
    except ValueError:
        if not _HOSTNAME.match(origin):
            return "must be a public IP address or a lowercase hostname"
        if origin in hostnames:
            return "must not be one of cloudflare.hostnames (the record would point at itself)"
        return None
    if not address.is_global:
        return "must be a public address (Cloudflare cannot reach private, loopback or reserved ones)"
    return None
