"""The Redis Cluster (cache data) and the Sentinel-monitored group (sessions)."""

from __future__ import annotations

from pydantic import Field

from components.settings.base import MemoryQuantity, PinnedImage, SettingsModel
from components.settings.services import ComputeQuantities, ComputeResources


class RedisClusterSettings(SettingsModel):
    masters: int = Field(default=3, ge=3)
    replicas_per_master: int = Field(default=1, ge=1)
    # Redis Cluster's failover clock: a master unreachable this long is failed over.
    node_timeout_ms: int = Field(default=5000, ge=1000)
    storage_size: MemoryQuantity = "10Gi"
    maxmemory_mb: int = Field(default=768, gt=0)
    maxmemory_policy: str = "allkeys-lru"


class RedisSentinelSettings(SettingsModel):
    master_name: str = "sessions"
    data_nodes: int = Field(default=3, ge=2)
    sentinels: int = Field(default=3, ge=3)
    quorum: int = Field(default=2, ge=1)
    down_after_ms: int = Field(default=5000, ge=1000)
    failover_timeout_ms: int = Field(default=30000, ge=1000)
    storage_size: MemoryQuantity = "5Gi"
    maxmemory_mb: int = Field(default=384, gt=0)
    # Sessions must not be evicted: refuse writes instead when memory is full.
    maxmemory_policy: str = "noeviction"


class RedisSettings(SettingsModel):
    image: PinnedImage = "redis:7.2.5"
    exporter_image: PinnedImage = "oliver006/redis_exporter:v1.62.0"
    persistence: bool = True
    resources: ComputeResources = ComputeResources(
        requests=ComputeQuantities(cpu="250m", memory="1Gi"),
        limits=ComputeQuantities(cpu="1", memory="1Gi"),
    )
    cluster: RedisClusterSettings = RedisClusterSettings()
    sentinel: RedisSentinelSettings = RedisSentinelSettings()
