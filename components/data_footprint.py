"""What a stack's data lives in: its namespace, and each StatefulSet's identity and volumes.

The program exports this as the ``dataFootprint`` stack output. The next deployment reads the
previous one back (components/deployment.py) and compares: a change that would replace a
StatefulSet holding data, delete its volume claims or move the namespace needs an entry in
the stack's ``acknowledge`` list first (components/destructive_changes.py).

It is computed from the settings, before any resource is registered, with the same spec
builder the Redis components use; tests/unit/test_destructive_changes.py checks that it
matches what the program declares.
"""

from __future__ import annotations

from typing import Any

from components.kubernetes.redis_pods import DATA_VOLUME, store_statefulset_spec
from components.settings import Settings

# The Redis StatefulSets and their headless Services, as RedisStores names them
# ("redis" -> "redis-cluster" and "redis-sessions", whose Sentinels are "redis-sessions-sentinel").
CLUSTER = "redis-cluster"
SESSIONS = "redis-sessions"
SENTINELS = "redis-sessions-sentinel"
# The spec fields the API server refuses to change: a change replaces the StatefulSet.
IMMUTABLE_FIELDS = ("serviceName", "selector", "podManagementPolicy", "volumeClaimTemplates")


def _statefulset(name: str, replicas: int, storage_size: str | None, claim_retention: str) -> dict[str, Any]:
    spec = store_statefulset_spec(
        name,
        headless_service=f"{name}-headless",
        replicas=replicas,
        pod_labels={},
        checksum="",
        pod_spec={},
        storage_size=storage_size,
        claim_retention=claim_retention,
    )
    return {
        "replicas": replicas,
        "claims": [DATA_VOLUME] if storage_size is not None else [],
        "claimRetention": claim_retention,
        "immutable": {field: spec[field] for field in IMMUTABLE_FIELDS if field in spec},
    }


def data_footprint(settings: Settings) -> dict[str, Any]:
    """The ``dataFootprint`` stack output: plain JSON, no secrets."""
    redis = settings.redis
    retention = settings.protection.volume_claim_retention
    persistent = redis.persistence
    return {
        "namespace": settings.namespace,
        "statefulSets": {
            CLUSTER: _statefulset(
                CLUSTER,
                redis.cluster.node_count,
                redis.cluster.storage_size if persistent else None,
                retention,
            ),
            SESSIONS: _statefulset(
                SESSIONS,
                redis.sentinel.data_nodes,
                redis.sentinel.storage_size if persistent else None,
                retention,
            ),
            SENTINELS: _statefulset(
                SENTINELS,
                redis.sentinel.sentinels,
                redis.sentinel.state_storage_size if persistent else None,
                retention,
            ),
        },
    }
