"""CloudflareEdge: the zone's settings, rules, proxied records and protections for one stack."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any, cast

import pulumi
from pulumi_cloudflare.bot_management import BotManagement
from pulumi_cloudflare.dns_record import DnsRecord
from pulumi_cloudflare.get_rulesets import GetRulesetsResult, get_rulesets_output
from pulumi_cloudflare.get_zone import get_zone_output
from pulumi_cloudflare.ruleset import Ruleset
from pulumi_cloudflare.tiered_cache import TieredCache
from pulumi_cloudflare.url_normalization_settings import UrlNormalizationSettings
from pulumi_cloudflare.zone_dnssec import ZoneDnssec
from pulumi_cloudflare.zone_setting import ZoneSetting

from components.edge.rules import OriginFacts, Rule, phase_rules
from components.edge.zone_lookup import PHASES, check_entrypoints, checked_zone_id, ruleset_name
from components.edge.zone_settings import bot_management_args, zone_settings
from components.settings.cloudflare import CloudflareSettings, RulesetKey

if TYPE_CHECKING:
    from pulumi_cloudflare import GetZoneFilterArgsDict, RulesetRuleArgsDict


def record_type(origin: str) -> str:
    try:
        return "AAAA" if ipaddress.ip_address(origin).version == 6 else "A"
    except ValueError:
        return "CNAME"


def entrypoints(result: GetRulesetsResult) -> list[dict[str, Any]]:
    """The zone's rulesets as plain dicts (getRulesets lists them without their rules)."""
    return [
        {"id": found.id, "kind": found.kind, "phase": found.phase, "name": found.name}
        for found in (result.rulesets or [])
    ]


class CloudflareEdge(pulumi.ComponentResource):
    """Zone settings, DNSSEC, bot protection, rulesets, proxied DNS records and Smart Tiered Cache."""

    zone_id: pulumi.Output[str]
    hostnames: list[str]
    ruleset_ids: dict[str, pulumi.Output[str]]

    def __init__(
        self,
        name: str,
        *,
        settings: CloudflareSettings,
        origin: OriginFacts,
        origin_address: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``origin_address``: the CDN tier's public IP or hostname, which the records point at."""
        super().__init__("technovastore:edge:CloudflareEdge", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.zone_id = self._lookup_zone(settings)
        self.hostnames = list(settings.hostnames)
        self._zone_settings(name, settings, child)
        self._protections(name, settings, child)
        self.ruleset_ids = self._rulesets(name, settings, phase_rules(settings, origin))
        self._records(name, settings, pulumi.Output.from_input(origin_address), child)
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

    def _zone_for_rulesets(self, settings: CloudflareSettings) -> pulumi.Output[str]:
        """The zone id, once no declared phase has an entrypoint made elsewhere (not adopted)."""
        found = get_rulesets_output(zone_id=self.zone_id, opts=pulumi.InvokeOutputOptions(parent=self))
        stack = pulumi.get_stack()

        def checked(values: list[Any]) -> str:
            zone_id, result = values
            check_entrypoints(entrypoints(result), settings, stack, zone_id)
            return cast(str, zone_id)

        return pulumi.Output.all(self.zone_id, found).apply(checked)

    def _rulesets(
        self, name: str, settings: CloudflareSettings, rules: dict[RulesetKey, list[Rule]]
    ) -> dict[str, pulumi.Output[str]]:
        zone_id = self._zone_for_rulesets(settings)
        ids: dict[str, pulumi.Output[str]] = {}
        for key, rules_of_phase in rules.items():
            adopted = settings.adopt_rulesets.get(key)
            # Import ids are zones/<zone>/<ruleset>; the settings require zoneId with an adoption.
            imported = f"zones/{settings.zone_id}/{adopted}" if adopted else None
            ids[key] = Ruleset(
                f"{name}-{key}",
                zone_id=zone_id,
                name=ruleset_name(key),
                kind="zone",
                phase=PHASES[key],
                rules=cast("list[RulesetRuleArgsDict]", rules_of_phase),
                opts=pulumi.ResourceOptions(parent=self, import_=imported),
            ).id
        return ids

    def _zone_settings(self, name: str, settings: CloudflareSettings, child: pulumi.ResourceOptions) -> None:
        for setting_id, value in zone_settings(settings).items():
            ZoneSetting(
                f"{name}-{setting_id.replace('_', '-')}",
                zone_id=self.zone_id,
                setting_id=setting_id,
                value=value,
                opts=child,
            )

    def _protections(self, name: str, settings: CloudflareSettings, child: pulumi.ResourceOptions) -> None:
        if settings.dnssec:
            # Signed at once; resolvers validate once the DS record is at the registrar (README).
            ZoneDnssec(f"{name}-dnssec", zone_id=self.zone_id, status="active", opts=child)
        bots = bot_management_args(settings)
        if bots is not None:
            BotManagement(f"{name}-bots", zone_id=self.zone_id, opts=child, **bots)
        # Rules see and the origin receives the same normalized URL (backslashes, repeated
        # slashes, encoded letters, dot segments): one reading of a path for both.
        UrlNormalizationSettings(
            f"{name}-url-normalization", zone_id=self.zone_id, type="cloudflare", scope="both", opts=child
        )

    def _records(
        self,
        name: str,
        settings: CloudflareSettings,
        origin_address: pulumi.Output[str],
        child: pulumi.ResourceOptions,
    ) -> None:
        for host in settings.hostnames:
            DnsRecord(
                f"{name}-{host.replace('.', '-')}",
                zone_id=self.zone_id,
                name=host,
                type=origin_address.apply(record_type),
                content=origin_address,
                ttl=1,  # automatic: proxied records' TTL is Cloudflare's
                proxied=True,
                comment="technovastore: proxied to the CDN tier",
                opts=child,
            )
