"""What the post-deploy checks (``python -m checks``) expect of a deployed stack."""

from __future__ import annotations

from pydantic import Field

from components.settings.base import SettingsModel


class ChecksSettings(SettingsModel):
    # The seed's target for the Redis cache: 85 % of lookups hit.
    min_hit_ratio: float = Field(default=0.85, ge=0, le=1)
    # Fewer lookups than this say nothing about the ratio: reported as a warning instead.
    min_lookups: int = Field(default=100, ge=1)
    # Each CDN sample is fetched twice; when every second fetch hits, the ratio is 0.5.
    cdn_min_hit_ratio: float = Field(default=0.5, ge=0, le=1)
    cdn_health_path: str = "/health"
    # Static URLs (paths on the CDN) the CDN check fetches twice each.
    cdn_sample_paths: list[str] = Field(
        default_factory=lambda: ["/static/app.js", "/static/app.css"], min_length=1
    )
    # Response headers every CDN response must carry (names, case-insensitive).
    cdn_security_headers: list[str] = Field(
        default_factory=lambda: [
            "Strict-Transport-Security",
            "X-Content-Type-Options",
            "X-Frame-Options",
            "Referrer-Policy",
            "Permissions-Policy",
            "Content-Security-Policy",
        ]
    )
