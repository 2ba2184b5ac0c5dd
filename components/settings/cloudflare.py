"""Cloudflare zone settings and rules in front of the CDN tier."""

from __future__ import annotations

from typing import Literal

from components.settings.base import SettingsModel

Plan = Literal["free", "pro", "business", "enterprise"]


class CloudflareSettings(SettingsModel):
    enabled: bool = False
    zone_name: str = "technovastore.com"
    plan: Plan = "pro"
