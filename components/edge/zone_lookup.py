"""What the zone already is: its id and real plan, and the entrypoint rulesets it already has.

Both are read with provider functions (invokes) before any rule is written, so a zone on a
smaller plan, or with a phase's rules made elsewhere, stops the deployment with a message
instead of failing half-way. Offline, the preview answers both lookups from the settings.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pulumi

from components.settings import Settings
from components.settings.cloudflare import CloudflareSettings, RulesetKey
from components.settings.cloudflare_plans import PLANS

if TYPE_CHECKING:
    from pulumi_cloudflare import GetZoneResult

GET_ZONE_TOKEN = "cloudflare:index/getZone:getZone"
GET_RULESETS_TOKEN = "cloudflare:index/getRulesets:getRulesets"

# Each phase's entrypoint ruleset (writing one replaces every rule of that phase in the zone).
PHASES: dict[RulesetKey, str] = {
    "cache": "http_request_cache_settings",
    "ratelimit": "http_ratelimit",
    "waf": "http_request_firewall_custom",
    "managedWaf": "http_request_firewall_managed",
}
RULESET_TYPE = "cloudflare:index/ruleset:Ruleset"


class ZonePlanMismatch(Exception):
    """The zone's real plan allows less than the plan the settings were validated against."""


class EntrypointExists(Exception):
    """A phase's entrypoint ruleset exists already and was not made or adopted by this stack."""


def edge_enabled(settings: Settings) -> bool:
    """Review stacks share staging's config but never manage a zone: its rules are zone-wide."""
    return settings.cloudflare.enabled and settings.environment != "review"


def ruleset_name(key: RulesetKey) -> str:
    """Our entrypoint rulesets' names: how a later run recognises the ones it made."""
    return f"technovastore {key} rules"


def checked_zone_id(zone: GetZoneResult, settings: CloudflareSettings) -> str:
    """The zone's id, once its plan is known to allow what the settings were checked against."""
    # pulumi.get: the `plan` property warns that changing the plan is done elsewhere; we only read it.
    plan = pulumi.get(zone, "plan")
    actual = pulumi.get(plan, "legacy_id") if plan else None
    if actual in PLANS and PLANS.index(actual) < PLANS.index(settings.plan):
        raise ZonePlanMismatch(
            f"zone {settings.zone_name} is on the '{actual}' plan but cloudflare.plan is "
            f"'{settings.plan}': set cloudflare.plan to '{actual}' so the rules are checked against it"
        )
    return zone.id


def check_entrypoints(
    existing: Sequence[Mapping[str, Any]], settings: CloudflareSettings, stack: str, zone_id: str
) -> None:
    """Raise EntrypointExists for every declared phase whose entrypoint is neither ours nor adopted.

    Cloudflare refuses a second entrypoint ruleset for a phase ("A similar configuration with
    rules already exists"): the existing one must be imported, which replaces its rules.
    """
    problems = []
    for key in sorted(settings.declared_rulesets()):
        for ruleset in existing:
            if ruleset.get("kind") != "zone" or ruleset.get("phase") != PHASES[key]:
                continue
            ours = ruleset.get("name") == ruleset_name(key)
            if ours or settings.adopt_rulesets.get(key) == ruleset.get("id"):
                continue
            problems.append(_adopt_instructions(key, ruleset, settings, stack=stack, zone_id=zone_id))
    if problems:
        raise EntrypointExists("\n".join(problems))


def _adopt_instructions(
    key: RulesetKey,
    ruleset: Mapping[str, Any],
    settings: CloudflareSettings,
    *,
    stack: str,
    zone_id: str,
) -> str:
    ruleset_id = ruleset.get("id")
    return (
        f"zone {settings.zone_name} already has an entrypoint ruleset for phase {PHASES[key]} "
        f"(id {ruleset_id}, name {ruleset.get('name')!r}) that this stack did not create. "
        f"To adopt it (its rules are then replaced by this stack's), set "
        f"cloudflare.adoptRulesets.{key}: {ruleset_id} and cloudflare.zoneId: {zone_id} "
        f"in Pulumi.{stack}.yaml, or import it yourself: pulumi import --stack {stack} --protect=false "
        f"--parent 'edge=<URN of the CloudflareEdge, from pulumi stack --show-urns>' "
        f"{RULESET_TYPE} edge-{key} zones/{zone_id}/{ruleset_id}"
    )


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
    """What the zone lookups return offline (invoke token -> result), derived from settings.

    The offline zone has no entrypoint rulesets but the adopted ones.
    """
    if not edge_enabled(settings):
        return {}
    cf = settings.cloudflare
    zone_id = preview_zone_id(cf)
    zone: dict[str, Any] = {
        "id": zone_id,
        "zoneId": zone_id,
        "name": cf.zone_name,
        "status": "active",
        "plan": offline_plan(cf.plan),
    }
    if cf.account_id:
        zone["account"] = {"id": cf.account_id}
    adopted = [offline_ruleset(key, ruleset_id, "adopted") for key, ruleset_id in cf.adopt_rulesets.items()]
    return {GET_ZONE_TOKEN: zone, GET_RULESETS_TOKEN: {"zoneId": zone_id, "rulesets": adopted}}


def offline_ruleset(key: RulesetKey, ruleset_id: str, name: str) -> dict[str, Any]:
    """A ruleset as getRulesets lists it (every field the SDK's result type requires)."""
    return {
        "id": ruleset_id,
        "kind": "zone",
        "phase": PHASES[key],
        "name": name,
        "description": "",
        "lastUpdated": "2026-01-01T00:00:00Z",
        "version": "1",
    }
