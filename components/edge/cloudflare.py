"""CloudflareEdge: the zone's settings, rules, proxied records and tiered cache for one stack."""

from __future__ import annotations

import hashlib
import ipaddress
from typing import TYPE_CHECKING, Any, cast, get_args

import pulumi
from pulumi_cloudflare.dns_record import DnsRecord
from pulumi_cloudflare.get_zone import get_zone_output
from pulumi_cloudflare.ruleset import Ruleset
from pulumi_cloudflare.tiered_cache import TieredCache
from pulumi_cloudflare.zone_setting import ZoneSetting

from components.edge.rules import cache_rules, rate_limit_rules, waf_rules
from components.settings import Settings
from components.settings.cloudflare import CloudflareSettings, Plan

if TYPE_CHECKING:
    from pulumi_cloudflare import GetZoneFilterArgsDict, GetZoneResult, RulesetRuleArgsDict

GET_ZONE_TOKEN = "cloudflare:index/getZone:getZone"

# The security baseline every zone gets (Prowler's Cloudflare checks): not configurable.
ZONE_SETTINGS: dict[str, Any] = {
    "ssl": "strict",
    "min_tls_version": "1.2",
    "tls_1_3": "on",
    "always_use_https": "on",
    "automatic_https_rewrites": "on",
    "brotli": "on",
    "http3": "on",
    "early_hints": "on",
}

# Each phase's entrypoint ruleset (writing one replaces every rule of that phase in the zone).
PHASES = {
    "cache": "http_request_cache_settings",
    "ratelimit": "http_ratelimit",
    "waf": "http_request_firewall_custom",
}


PLAN_ORDER: tuple[str, ...] = get_args(Plan)


class ZonePlanMismatch(Exception):
    """The zone's real plan allows less than the plan the settings were validated against."""


def checked_zone_id(zone: GetZoneResult, settings: CloudflareSettings) -> str:
    """The zone's id, once its plan is known to allow what the settings were checked against."""
    # pulumi.get: the `plan` property warns that changing the plan is done elsewhere; we only read it.
    plan = pulumi.get(zone, "plan")
    actual = pulumi.get(plan, "legacy_id") if plan else None
    if actual in PLAN_ORDER and PLAN_ORDER.index(actual) < PLAN_ORDER.index(settings.plan):
        raise ZonePlanMismatch(
            f"zone {settings.zone_name} is on the '{actual}' plan but cloudflare.plan is "
            f"'{settings.plan}': set cloudflare.plan to '{actual}' so the rules are checked against it"
        )
    return zone.id


def edge_enabled(settings: Settings) -> bool:
    """Review stacks share staging's config but never manage a zone: its rules are zone-wide."""
    return settings.cloudflare.enabled and settings.environment != "review"


def hsts_value(max_age: int) -> dict[str, Any]:
    return {
        "strictTransportSecurity": {
            "enabled": True,
            "maxAge": max_age,
            "includeSubdomains": True,
            # Preloading is a commitment browsers ship with; opt in outside this program.
            "preload": False,
            "nosniff": True,
        }
    }


def record_type(origin: str) -> str:
    try:
        return "AAAA" if ipaddress.ip_address(origin).version == 6 else "A"
    except ValueError:
        return "CNAME"


def preview_zone_id(settings: CloudflareSettings) -> str:
    """The configured zone id, or a stable stand-in derived from the zone name."""
    return settings.zone_id or hashlib.sha256(settings.zone_name.encode()).hexdigest()[:32]


def offline_plan(plan: str) -> dict[str, Any]:
    """A zone plan as the API describes it (every field the SDK's result type requires)."""
    return {
        "id": plan,
        "legacyId": plan,
        "name": f"{plan.title()} Website",
        "canSubscribe": False,
        "currency": "USD",
        "externallyManaged": False,
        "frequency": "monthly",
        "isSubscribed": True,
        "legacyDiscount": False,
        "price": 0,
    }


def zone_lookup_answers(settings: Settings) -> dict[str, dict[str, Any]]:
    """What the zone lookup returns offline (invoke token -> result), derived from settings."""
    if not edge_enabled(settings):
        return {}
    cf = settings.cloudflare
    zone_id = preview_zone_id(cf)
    answer: dict[str, Any] = {
        "id": zone_id,
        "zoneId": zone_id,
        "name": cf.zone_name,
        "status": "active",
        "plan": offline_plan(cf.plan),
    }
    if cf.account_id:
        answer["account"] = {"id": cf.account_id}
    return {GET_ZONE_TOKEN: answer}


class CloudflareEdge(pulumi.ComponentResource):
    """Zone settings, cache/rate-limit/WAF rulesets, proxied DNS records and Smart Tiered Cache."""

    zone_id: pulumi.Output[str]
    hostnames: list[str]
    ruleset_ids: dict[str, pulumi.Output[str]]

    def __init__(
        self,
        name: str,
        *,
        settings: CloudflareSettings,
        origin: pulumi.Input[str],
        product_ttl: int,
        session_cookies: list[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``origin``: the CDN tier's public address (IP or hostname) the records point at."""
        super().__init__("technovastore:edge:CloudflareEdge", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.zone_id = self._lookup_zone(settings)
        self.hostnames = list(settings.hostnames)
        self._zone_settings(name, settings, child)
        rules = {
            "cache": cache_rules(settings, product_ttl, session_cookies),
            "ratelimit": rate_limit_rules(settings),
            "waf": waf_rules(settings),
        }
        self.ruleset_ids = {
            key: Ruleset(
                f"{name}-{key}",
                zone_id=self.zone_id,
                name=f"technovastore {key} rules",
                kind="zone",
                phase=PHASES[key],
                rules=cast("list[RulesetRuleArgsDict]", phase_rules),
                opts=child,
            ).id
            for key, phase_rules in rules.items()
            if phase_rules
        }
        self._records(name, settings, pulumi.Output.from_input(origin), child)
        TieredCache(f"{name}-tiered-cache", zone_id=self.zone_id, value="on", opts=child)
        self.register_outputs(
            {"zoneId": self.zone_id, "hostnames": self.hostnames, "rulesetIds": self.ruleset_ids}
        )

    def _lookup_zone(self, settings: CloudflareSettings) -> pulumi.Output[str]:
        invoke = pulumi.InvokeOutputOptions(parent=self)
        if settings.zone_id:
            zone = get_zone_output(zone_id=settings.zone_id, opts=invoke)
        else:
            query: GetZoneFilterArgsDict = {"name": settings.zone_name, "match": "all"}
            if settings.account_id:
                query["account"] = {"id": settings.account_id}
            zone = get_zone_output(filter=query, opts=invoke)
        return zone.apply(lambda found: checked_zone_id(found, settings))

    def _zone_settings(self, name: str, settings: CloudflareSettings, child: pulumi.ResourceOptions) -> None:
        values = {**ZONE_SETTINGS, "security_header": hsts_value(settings.hsts_max_age)}
        for setting_id, value in values.items():
            ZoneSetting(
                f"{name}-{setting_id.replace('_', '-')}",
                zone_id=self.zone_id,
                setting_id=setting_id,
                value=value,
                opts=child,
            )

    def _records(
        self,
        name: str,
        settings: CloudflareSettings,
        origin: pulumi.Output[str],
        child: pulumi.ResourceOptions,
    ) -> None:
        for host in settings.hostnames:
            DnsRecord(
                f"{name}-{host.replace('.', '-')}",
                zone_id=self.zone_id,
                name=host,
                type=origin.apply(record_type),
                content=origin,
                ttl=1,  # automatic: proxied records' TTL is Cloudflare's
                proxied=True,
                comment="technovastore: proxied to the CDN tier",
                opts=child,
            )
