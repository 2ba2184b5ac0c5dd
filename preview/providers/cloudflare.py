"""pulumi-cloudflare (bridged from terraform-provider-cloudflare v5): what names a resource.

Its replace rules are rows in preview/replace_rules.py, read from each resource's
``internal/services/<resource>/schema.go``.
"""

from __future__ import annotations

from preview.providers.bridged import provider

# The inputs that name the thing in Cloudflare, so a resource renamed in the program (same
# zone setting, same phase entrypoint, same DNS record) is recognised as the same thing.
IDENTITY_INPUTS: dict[str, tuple[str, ...]] = {
    "cloudflare:index/zone:Zone": ("name",),
    "cloudflare:index/zoneSetting:ZoneSetting": ("zoneId", "settingId"),
    # One entrypoint ruleset per zone (or account) and phase (Cloudflare Rulesets API).
    "cloudflare:index/ruleset:Ruleset": ("zoneId", "accountId", "kind", "phase"),
    "cloudflare:index/dnsRecord:DnsRecord": ("zoneId", "name", "type"),
    "cloudflare:index/tieredCache:TieredCache": ("zoneId",),
    "cloudflare:index/botManagement:BotManagement": ("zoneId",),
    "cloudflare:index/urlNormalizationSettings:UrlNormalizationSettings": ("zoneId",),
    "cloudflare:index/zoneDnssec:ZoneDnssec": ("zoneId",),
}

PROVIDER = provider("cloudflare", IDENTITY_INPUTS)
