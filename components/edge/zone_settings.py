"""The zone-wide settings: the TLS/HTTPS baseline, HSTS, challenges and bot protection.

Settings' values are typed ``Any`` in the provider, so they reach the API exactly as written
here: in the API's own spelling (the cloudflare SDK's zones/setting_edit_params.py).
"""

from __future__ import annotations

from typing import Any

from components.settings.cloudflare import CloudflareSettings
from components.settings.cloudflare_plans import LIMITS

# The security baseline every zone gets (Prowler's Cloudflare checks): not configurable.
BASELINE_SETTINGS: dict[str, Any] = {
    "ssl": "strict",
    "min_tls_version": "1.2",
    "tls_1_3": "on",
    "always_use_https": "on",
    "automatic_https_rewrites": "on",
    "brotli": "on",
    "http3": "on",
    "early_hints": "on",
}


def hsts_value(max_age: int) -> dict[str, Any]:
    """The ``security_header`` value in the API's snake_case (the value is typed Any, so nothing
    translates its keys; camelCase ones are ignored: pulumi/pulumi-cloudflare#1579)."""
    return {
        "strict_transport_security": {
            "enabled": True,
            "max_age": max_age,
            "include_subdomains": True,
            # Preloading is a commitment browsers ship with; opt in outside this program.
            "preload": False,
            "nosniff": True,
        }
    }


def zone_settings(settings: CloudflareSettings) -> dict[str, Any]:
    """Setting id -> value, for one ZoneSetting each."""
    return {
        **BASELINE_SETTINGS,
        "security_header": hsts_value(settings.hsts_max_age),
        # Challenges visitors by IP reputation (threat score).
        "security_level": settings.security_level,
        # Browser Integrity Check: challenges requests with headers abusive clients send.
        "browser_check": "on" if settings.browser_integrity_check else "off",
    }


def bot_management_args(settings: CloudflareSettings) -> dict[str, Any] | None:
    """BotManagement inputs for the zone's plan, or None when bot protection is off.

    Free has Bot Fight Mode (a switch); paid plans Super Bot Fight Mode, Business and up with
    an action for "likely automated" traffic too (https://developers.cloudflare.com/bots/plans/).
    Challenging rather than blocking keeps the API usable for real browsers that pass it.
    """
    bots = settings.bots
    if not bots.enabled:
        return None
    if not LIMITS.super_bot_fight_mode.of(settings.plan):
        return {"fight_mode": True, "enable_js": True}
    args: dict[str, Any] = {
        "sbfm_definitely_automated": bots.definitely_automated or "managed_challenge",
        "sbfm_verified_bots": bots.verified_bots or "allow",
        "sbfm_static_resource_protection": bool(bots.static_resource_protection),
        "enable_js": True,
    }
    if LIMITS.likely_automated.of(settings.plan):
        args["sbfm_likely_automated"] = bots.likely_automated or "managed_challenge"
    return args
