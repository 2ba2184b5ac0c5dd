"""The Redis Cluster (cache data) and the Sentinel-monitored group (sessions)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from components.quantities import memory_bytes
from components.redis_memory import RedisMemory, redis_memory
from components.settings.base import DnsLabel, MemoryQuantity, PinnedImage, SettingsModel, cross_field_error
from components.settings.services import ComputeQuantities, ComputeResources

MaxmemoryPolicy = Literal[
    "noeviction",
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
]


class RedisClusterSettings(SettingsModel):
    masters: int = Field(default=3, ge=3)
    replicas_per_master: int = Field(default=1, ge=1)
    # Redis Cluster's failover clock: a master unreachable this long is failed over. Measured
    # failover takes about 1.5 x this + 0.5 s (failure reports travel by gossip), so 3000 ms
    # keeps it within node timeout + 3 s; the tutorial's 5000 ms takes 8-9 s.
    node_timeout_ms: int = Field(default=3000, ge=1000)
    storage_size: MemoryQuantity = "10Gi"
    # None: the largest that fits redis.resources.limits.memory (components/redis_memory.py).
    maxmemory_mb: int | None = Field(default=None, gt=0)
    # A cache: evict the least recently used key rather than refuse writes.
    maxmemory_policy: MaxmemoryPolicy = "allkeys-lru"

    @property
    def node_count(self) -> int:
        """Every node of the cluster: the masters and each master's replicas."""
        return self.masters * (1 + self.replicas_per_master)


class RedisSentinelSettings(SettingsModel):
    master_name: DnsLabel = "sessions"
    data_nodes: int = Field(default=3, ge=2)
    sentinels: int = Field(default=3, ge=3)
    quorum: int = Field(default=2, ge=1)
    down_after_ms: int = Field(default=5000, ge=1000)
    failover_timeout_ms: int = Field(default=30000, ge=1000)
    storage_size: MemoryQuantity = "5Gi"
    # Each Sentinel's volume: a few lines of state (its id, epochs, known peers).
    state_storage_size: MemoryQuantity = "128Mi"
    # None: the largest that fits redis.resources.limits.memory (components/redis_memory.py).
    maxmemory_mb: int | None = Field(default=None, gt=0)
    # Sessions must not be evicted: refuse writes instead when memory is full.
    maxmemory_policy: MaxmemoryPolicy = "noeviction"
    # The Sentinel processes themselves: tiny.
    resources: ComputeResources = ComputeResources(
        requests=ComputeQuantities(cpu="50m", memory="64Mi"),
        limits=ComputeQuantities(cpu="200m", memory="128Mi"),
    )

    @model_validator(mode="after")
    def _quorum_within_sentinels(self) -> RedisSentinelSettings:
        if self.quorum > self.sentinels:
            raise cross_field_error(
                "quorum",
                self.quorum,
                f"cannot exceed sentinels ({self.sentinels}): no failover could ever start",
            )
        if self.failover_timeout_ms <= self.down_after_ms:
            raise cross_field_error(
                "failoverTimeoutMs",
                self.failover_timeout_ms,
                f"must be longer than downAfterMs ({self.down_after_ms})",
            )
        return self


# A rotation of the admin password (redisPassword), one `pulumi up` per phase, each a full roll
# of the Redis pods that is safe in any order because every server accepts what every other
# one uses: "accept-new" (both passwords accepted, the previous one still used), "use-new"
# (both accepted, the new one used); then unset (only the new one accepted).
PasswordRotation = Literal["accept-new", "use-new"]


class RedisSettings(SettingsModel):
    image: PinnedImage = "redis:7.2.5"
    exporter_image: PinnedImage = "oliver006/redis_exporter:v1.62.0"
    persistence: bool = True
    # Every Redis data container (cluster nodes and Sentinel-group data nodes).
    resources: ComputeResources = ComputeResources(
        requests=ComputeQuantities(cpu="250m", memory="1Gi"),
        limits=ComputeQuantities(cpu="1", memory="1Gi"),
    )
    # The redis_exporter sidecar next to every data container.
    exporter_resources: ComputeResources = ComputeResources(
        requests=ComputeQuantities(cpu="25m", memory="32Mi"),
        limits=ComputeQuantities(cpu="100m", memory="64Mi"),
    )
    cluster: RedisClusterSettings = RedisClusterSettings()
    sentinel: RedisSentinelSettings = RedisSentinelSettings()
    # The phase of a running rotation (with redisPreviousPassword); None when none runs.
    password_rotation: PasswordRotation | None = None

    def memory(self, group: RedisClusterSettings | RedisSentinelSettings) -> RedisMemory:
        """How a data container of ``group`` shares out its memory limit."""
        return redis_memory(memory_bytes(self.resources.limits.memory), group.maxmemory_mb)

    @model_validator(mode="after")
    def _maxmemory_fits_the_container(self) -> RedisSettings:
        for path, group in (("cluster", self.cluster), ("sentinel", self.sentinel)):
            try:
                self.memory(group)
            except ValueError as error:
                raise cross_field_error(
                    f"{path}.maxmemoryMb",
                    group.maxmemory_mb,
                    f"must leave room for the process, replication buffers and forks within "
                    f"redis.resources.limits.memory {self.resources.limits.memory}: {error}",
                ) from error
        return self
