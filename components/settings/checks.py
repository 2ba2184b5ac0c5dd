"""What the post-deploy checks (``python -m checks``) expect of a deployed stack.

What they fetch from the CDN (sample URLs, the security headers it sends) comes from the
cdn settings themselves, so the two can never drift apart.
"""

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
    # A replica further behind its master than this fails the replication check. Replicas
    # acknowledge every second, so a healthy one reports 0-1 s; 10 s is Redis's own default
    # for min-replicas-max-lag.
    max_replica_lag_seconds: int = Field(default=10, ge=1)
