"""Cache TTLs per data class, shared by the infrastructure and the cache client library."""

from __future__ import annotations

from pydantic import Field

from components.settings.base import SettingsModel


class CacheTtlSettings(SettingsModel):
    product: int = Field(default=1800, gt=0)
    price: int = Field(default=300, gt=0)
    search: int = Field(default=600, gt=0)
    session: int = Field(default=86400, gt=0)
    recommendations: int = Field(default=1800, gt=0)


class CacheClientSettings(SettingsModel):
    """How the services' cache client (``cache_manager``) talks to the Redis data stores."""

    # Every key starts with "<keyPrefix>:v<schemaVersion>:": a schema change is a version
    # bump (old keys age out by TTL), never a flush.
    key_prefix: str = Field(default="technovastore", pattern=r"^[a-z0-9][a-z0-9-]{0,31}$")
    schema_version: int = Field(default=1, ge=1)
    # Encoded values above this are refused: one huge value stalls a single-threaded node.
    max_value_bytes: int = Field(default=1_048_576, gt=0, le=64 * 1_048_576)
    # Cache TTLs are spread by +/- this share so keys written together expire apart.
    ttl_jitter_percent: int = Field(default=10, ge=0, le=50)
    # Socket timeouts: a read that waits longer is a miss, not a stalled request.
    socket_timeout_ms: int = Field(default=250, gt=0, le=10_000)
    # Consecutive failures that open a node's circuit, and how long it stays open.
    breaker_failures: int = Field(default=5, ge=1)
    breaker_reset_ms: int = Field(default=5000, gt=0)
    # How long other replicas wait for the one loading a missing entry (0: no cross-replica lock).
    load_lock_ms: int = Field(default=3000, ge=0, le=60_000)
