"""What the namespace must hold at full scale: the ResourceQuota is derived, not typed."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from components.quantities import cpu_millicores, memory_bytes
from components.settings import Settings
from components.settings.services import ComputeResources

# Rolling updates surge 25 % above the current replicas, and jobs come and go: leave room.
HEADROOM = Decimal("1.5")


@dataclass(frozen=True)
class Footprint:
    pods: int
    cpu_millicores: Decimal
    memory_bytes: int

    def as_quota(self) -> dict[str, str]:
        pods = int(self.pods * HEADROOM) + 1
        cpu = int(self.cpu_millicores * HEADROOM)
        memory_mi = int(self.memory_bytes * HEADROOM) // 2**20
        return {
            "pods": str(pods),
            "requests.cpu": f"{cpu}m",
            "limits.cpu": f"{cpu}m",
            "requests.memory": f"{memory_mi}Mi",
            "limits.memory": f"{memory_mi}Mi",
        }


def _limits(replicas: int, resources: ComputeResources) -> Footprint:
    return Footprint(
        pods=replicas,
        cpu_millicores=replicas * cpu_millicores(resources.limits.cpu),
        memory_bytes=replicas * memory_bytes(resources.limits.memory),
    )


def full_scale_footprint(settings: Settings) -> Footprint:
    """Limits of every pod the stack can run at once, with every HPA at its maximum.

    Counts each pod's main container at its configured limits, and the Redis metrics
    sidecars; other sidecars and jobs are what the headroom is for.
    """
    parts = [_limits(s.max_replicas, s.resources) for s in settings.services.values()]
    parts.append(_limits(settings.cdn.max_replicas, settings.cdn.resources))
    parts += _redis_limits(settings)
    return Footprint(
        pods=sum(p.pods for p in parts),
        cpu_millicores=sum((p.cpu_millicores for p in parts), Decimal(0)),
        memory_bytes=sum(p.memory_bytes for p in parts),
    )


def _redis_limits(settings: Settings) -> list[Footprint]:
    """Data pods (each with its metrics sidecar, always there) and the small Sentinel pods."""
    redis = settings.redis
    data_pods = redis.cluster.node_count + redis.sentinel.data_nodes
    sidecars = replace(_limits(data_pods, redis.exporter_resources), pods=0)
    return [
        _limits(data_pods, redis.resources),
        sidecars,
        _limits(redis.sentinel.sentinels, redis.sentinel.resources),
    ]
