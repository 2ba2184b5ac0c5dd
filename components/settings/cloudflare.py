"""Cloudflare zone settings and rules in front of the CDN tier, bounded by the zone's plan.

Every problem is reported at once: a model validator collects them and raises them together.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from functools import partial
from typing import Annotated, Literal

from pydantic import Field, model_validator
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from components.edge.rules_language import fields_used, tokenize, uses_regex
from components.settings.base import SettingsModel, cross_field_error, cross_field_errors
from components.settings.cloudflare_plans import (
    FIELDS,
    LIMITS,
    PLANS,
    Limit,
    ManagedRuleset,
    Plan,
    field_min_plan,
)
from components.settings.cloudflare_rules import (
    CHALLENGE_ACTIONS,
    DEFAULT_RATE_LIMITS,
    DEFAULT_WAF_RULES,
    BotSettings,
    EdgeCacheSettings,
    RateLimitRule,
    WafRule,
    default_managed_rulesets,
    matches,
)

# The phase entrypoint rulesets the edge declares, by the key used in settings and outputs.
RulesetKey = Literal["cache", "ratelimit", "waf", "managedWaf"]
SecurityLevel = Literal["essentially_off", "low", "medium", "high", "under_attack"]

_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]([-a-z0-9]{0,61}[a-z0-9])?$"
)
_HEX_ID = re.compile(r"^[0-9a-f]{32}$")
Hostname = Annotated[str, matches(_HOSTNAME, "must be a lowercase fully qualified hostname")]
HexId = Annotated[str, matches(_HEX_ID, "must be a Cloudflare id: 32 lowercase hex digits")]


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
    security_level: SecurityLevel = "medium"
    browser_integrity_check: bool = True
    dnssec: bool = True
    bots: BotSettings = BotSettings()
    # Unset: the plan's default (Free: the Free Managed Ruleset; paid: Cloudflare Managed).
    managed_rulesets: list[ManagedRuleset] | None = None
    cache: EdgeCacheSettings = EdgeCacheSettings()
    rate_limits: list[RateLimitRule] = Field(default_factory=lambda: list(DEFAULT_RATE_LIMITS))
    waf_rules: list[WafRule] = Field(default_factory=lambda: list(DEFAULT_WAF_RULES))
    # URLs (or tags, hosts, prefixes) per purge request.
    purge_batch_size: int = Field(default=30, ge=1)
    # Entrypoint rulesets that exist in the zone already (ruleset ids): imported, then replaced.
    adopt_rulesets: dict[RulesetKey, HexId] = Field(default_factory=dict)

    @property
    def active_managed_rulesets(self) -> list[ManagedRuleset]:
        if self.managed_rulesets is not None:
            return list(self.managed_rulesets)
        return default_managed_rulesets(self.plan == "free")

    def product_edge_ttl(self, cache_ttl_product: int) -> int:
        """How long the edge keeps product pages: productEdgeTtl, else cacheTtl.product."""
        return self.cache.product_edge_ttl or cache_ttl_product

    def declared_rulesets(self) -> set[RulesetKey]:
        """The phases this stack writes an entrypoint ruleset for."""
        declared: set[RulesetKey] = {"cache"}
        if self.rate_limits:
            declared.add("ratelimit")
        if self.waf_rules:
            declared.add("waf")
        if self.active_managed_rulesets:
            declared.add("managedWaf")
        return declared

    @model_validator(mode="after")
    def _consistent(self) -> CloudflareSettings:
        problems = [
            *_host_problems(self),
            *_unique_ref_problems(self),
            *_adoption_problems(self),
            *(_plan_problems(self) if self.enabled else ()),
        ]
        if problems:
            raise cross_field_errors(type(self).__name__, problems)
        return self


Problems = Iterator[PydanticCustomError]


def _host_problems(cf: CloudflareSettings) -> Problems:
    for index, host in enumerate(cf.hostnames):
        if host != cf.zone_name and not host.endswith(f".{cf.zone_name}"):
            yield cross_field_error(f"hostnames.{index}", host, f"must be inside the zone {cf.zone_name}")
        if cf.hostnames.index(host) != index:
            yield cross_field_error(f"hostnames.{index}", host, "is listed more than once")
    for index, host in enumerate(cf.static_hostnames):
        if host not in cf.hostnames:
            yield cross_field_error(f"staticHostnames.{index}", host, "must be one of cloudflare.hostnames")
    if cf.enabled and not cf.hostnames:
        yield cross_field_error("hostnames", cf.hostnames, "must list at least one hostname when enabled")
    # Whether an origin is needed depends on the CDN's exposure: Settings._edge_has_one_origin.
    problem = origin_problem(cf.origin_address, cf.hostnames) if cf.origin_address is not None else None
    if problem:
        yield cross_field_error("originAddress", cf.origin_address, problem)


def _unique_ref_problems(cf: CloudflareSettings) -> Problems:
    for field, rules in (("rateLimits", cf.rate_limits), ("wafRules", cf.waf_rules)):
        refs = [rule.ref for rule in rules]
        for index, ref in enumerate(refs):
            if refs.index(ref) != index:
                yield cross_field_error(f"{field}.{index}.ref", ref, "is used by an earlier rule")


def _adoption_problems(cf: CloudflareSettings) -> Problems:
    if cf.adopt_rulesets and cf.zone_id is None:
        yield cross_field_error(
            "adoptRulesets",
            cf.adopt_rulesets,
            "needs cloudflare.zoneId: the import id is zones/<zoneId>/<rulesetId>",
        )
    for key in sorted(set(cf.adopt_rulesets) - cf.declared_rulesets()):
        yield cross_field_error(
            f"adoptRulesets.{key}", cf.adopt_rulesets[key], "names a phase this stack declares no rules for"
        )


def _plan_problems(cf: CloudflareSettings) -> Problems:
    yield from _rate_limit_plan_problems(cf)
    yield from _waf_plan_problems(cf)
    yield from _feature_plan_problems(cf)


def _exceeds(limit: Limit[int], plan: Plan, value: int, what: str, unit: str) -> str:
    allowed = limit.of(plan)
    larger = limit.smallest_plan(lambda allows: allows >= value)
    upgrade = f"; the '{larger}' plan allows {value}" if larger else ""
    return f"{what}: the '{plan}' plan allows at most {allowed}{unit}{upgrade} ({limit.source})"


def _needs(limit: Limit[bool], plan: Plan, what: str) -> str:
    smallest = limit.smallest_plan(lambda allows: allows)
    return f"{what} needs the '{smallest}' plan or larger, not '{plan}' ({limit.source})"


def _count_problems(key: str, count: int, limit: Limit[int], plan: Plan, unit: str) -> Problems:
    if count > limit.of(plan):
        yield cross_field_error(key, count, _exceeds(limit, plan, count, f"has {count} rules", unit))


def _log_action_problems(key: str, action: str, plan: Plan) -> Problems:
    if action == "log" and not LIMITS.log_action.of(plan):
        yield cross_field_error(f"{key}.action", action, _needs(LIMITS.log_action, plan, "the log action"))


def _rate_limit_plan_problems(cf: CloudflareSettings) -> Problems:
    plan, rules = cf.plan, cf.rate_limits
    yield from _count_problems(
        "rateLimits", len(rules), LIMITS.rate_limit_rules, plan, " rate-limiting rules"
    )
    for index, rule in enumerate(rules):
        key = f"rateLimits.{index}"
        if rule.period > LIMITS.rate_limit_period.of(plan):
            message = _exceeds(LIMITS.rate_limit_period, plan, rule.period, "too long a period", " s")
            yield cross_field_error(f"{key}.period", rule.period, message)
        if rule.mitigation_timeout > LIMITS.mitigation_timeout.of(plan):
            what = "too long a mitigation timeout"
            message = _exceeds(LIMITS.mitigation_timeout, plan, rule.mitigation_timeout, what, " s")
            yield cross_field_error(f"{key}.mitigationTimeout", rule.mitigation_timeout, message)
        yield from _rate_limit_action_problems(rule, key, plan)


def _rate_limit_action_problems(rule: RateLimitRule, key: str, plan: Plan) -> Problems:
    timeout = rule.mitigation_timeout
    yield from _log_action_problems(key, rule.action, plan)
    if rule.action in CHALLENGE_ACTIONS and timeout != 0 and not LIMITS.challenge_timeout.of(plan):
        what = f"a mitigation timeout with the {rule.action} action (below it, challenges throttle: set 0)"
        message = _needs(LIMITS.challenge_timeout, plan, what)
        yield cross_field_error(f"{key}.mitigationTimeout", timeout, message)
    if rule.action == "block" and timeout == 0 and not LIMITS.block_throttling.of(plan):
        what = "throttling with the block action (mitigationTimeout 0)"
        message = _needs(LIMITS.block_throttling, plan, what)
        yield cross_field_error(f"{key}.mitigationTimeout", timeout, message)


def _waf_plan_problems(cf: CloudflareSettings) -> Problems:
    plan, rules = cf.plan, cf.waf_rules
    yield from _count_problems("wafRules", len(rules), LIMITS.waf_custom_rules, plan, " WAF custom rules")
    for index, rule in enumerate(rules):
        key = f"wafRules.{index}"
        yield from _log_action_problems(key, rule.action, plan)
        if rule.expression is None:
            continue
        tokens = tokenize(rule.expression)
        if uses_regex(tokens) and not LIMITS.regex_operator.of(plan):
            message = _needs(LIMITS.regex_operator, plan, "the regex operator (matches, ~)")
            yield cross_field_error(f"{key}.expression", rule.expression, message)
        for field in sorted(fields_used(tokens)):
            needed = field_min_plan(field)
            if needed is not None and PLANS.index(plan) < PLANS.index(needed):
                message = f"the field {field} needs the '{needed}' plan or larger, not '{plan}' ({FIELDS})"
                yield cross_field_error(f"{key}.expression", rule.expression, message)


def _feature_plan_problems(cf: CloudflareSettings) -> Problems:
    plan = cf.plan
    minimum = LIMITS.min_edge_ttl.of(plan)
    if cf.cache.static_edge_ttl < minimum:
        message = min_edge_ttl_problem(plan)
        yield cross_field_error("cache.staticEdgeTtl", cf.cache.static_edge_ttl, message)
    limit = LIMITS.managed_rulesets
    for index, ruleset in enumerate(cf.managed_rulesets or []):
        if ruleset not in limit.of(plan):
            smallest = limit.smallest_plan(partial(_contains, item=ruleset))
            message = f"the {ruleset} managed ruleset needs the '{smallest}' plan or larger, not '{plan}'"
            yield cross_field_error(f"managedRulesets.{index}", ruleset, f"{message} ({limit.source})")
    yield from _bot_plan_problems(cf.bots, plan)
    if cf.purge_batch_size > LIMITS.purge_urls.of(plan):
        message = _exceeds(LIMITS.purge_urls, plan, cf.purge_batch_size, "too many", " URLs per request")
        yield cross_field_error("purgeBatchSize", cf.purge_batch_size, message)


def _contains(values: tuple[str, ...], item: str) -> bool:
    return item in values


def min_edge_ttl_problem(plan: Plan) -> str:
    limit = LIMITS.min_edge_ttl
    return f"is below the '{plan}' plan's shortest edge cache TTL of {limit.of(plan)} s ({limit.source})"


def _bot_plan_problems(bots: BotSettings, plan: Plan) -> Problems:
    super_bot_fight = ("definitely_automated", "verified_bots", "static_resource_protection")
    for name in super_bot_fight:
        value = getattr(bots, name)
        if value is not None and not LIMITS.super_bot_fight_mode.of(plan):
            what = "Super Bot Fight Mode (the free plan has Bot Fight Mode, on or off)"
            key = f"bots.{to_camel(name)}"
            yield cross_field_error(key, value, _needs(LIMITS.super_bot_fight_mode, plan, what))
    if bots.likely_automated is not None and not LIMITS.likely_automated.of(plan):
        what = "an action for likely automated traffic"
        yield cross_field_error(
            "bots.likelyAutomated", bots.likely_automated, _needs(LIMITS.likely_automated, plan, what)
        )


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
