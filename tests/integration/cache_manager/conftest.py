"""One real Redis Cluster and one real Sentinel group for the cache manager's functional tests.

Each test gets a manager with its own key prefix, so tests never see each other's keys
(the application user may not flush), which also exercises the versioned prefixes.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import pytest
from redis.cluster import RedisCluster

from cache_manager import DistributedCacheManager
from components.settings import load_settings
from components.settings.cache import CacheClientSettings
from components.settings.stack import Settings
from tests.support.redis_servers import (
    RedisClusterHandle,
    SentinelGroupHandle,
    redis_cluster,
    sentinel_group,
)
from tests.support.shared_servers import Starter, shared_or_started

MakeManager = Callable[..., DistributedCacheManager]


# The servers every test here shares (tests that change servers start their own); make
# mutate starts them once for all its runs (tests/support/shared_servers.py).
CACHE_CLUSTER = partial(redis_cluster, masters=3, replicas_per_master=1, persistence=False)
SESSION_GROUP = partial(sentinel_group, data_nodes=3, sentinels=3, persistence=False)
SHARED_SERVERS: dict[str, Starter] = {"cache_cluster": CACHE_CLUSTER, "session_group": SESSION_GROUP}


@pytest.fixture(scope="session")
def cache_cluster() -> Iterator[RedisClusterHandle]:
    yield from shared_or_started("cache_cluster", CACHE_CLUSTER)


@pytest.fixture(scope="session")
def cluster_admin(cache_cluster: RedisClusterHandle) -> Iterator[RedisCluster]:
    """The admin user's cluster client, to look at what the manager stored."""
    with cache_cluster.cluster_client(user=cache_cluster.admin_user) as client:
        yield client


@pytest.fixture(scope="session")
def session_group() -> Iterator[SentinelGroupHandle]:
    yield from shared_or_started("session_group", SESSION_GROUP)


def commands_received(cluster: RedisClusterHandle, port: int, command: str) -> int:
    """Every ``command`` the node received: executed, failed or rejected (CLUSTERDOWN)."""
    with cluster.client(port) as client:
        stats = client.info("commandstats").get(f"cmdstat_{command}", {})
    return sum(int(stats.get(field, 0)) for field in ("calls", "failed_calls", "rejected_calls"))


def stack_settings(**client: Any) -> Settings:
    """Staging's settings with a fresh key prefix and the given ``cache`` overrides."""
    settings = load_settings({}, "staging")
    client.setdefault("key_prefix", f"t{uuid.uuid4().hex[:12]}")
    cache = CacheClientSettings(**client)
    return settings.model_copy(update={"cache": cache})


def manager_for(
    cluster: RedisClusterHandle,
    group: SentinelGroupHandle | None,
    settings: Settings,
    *,
    password: str | None = None,
    **kwargs: Any,
) -> DistributedCacheManager:
    secret = password if password is not None else cluster.app_password
    return DistributedCacheManager.from_settings(
        settings,
        cluster_nodes=cluster.nodes,
        sentinels=group.sentinels if group else (),
        username=cluster.app_user,
        password=secret,
        sessions_password=group.app_password if group and password is None else password,
        sentinel_password=group.app_password if group and password is None else password,
        **kwargs,
    )


@pytest.fixture
def make_manager(
    cache_cluster: RedisClusterHandle, session_group: SentinelGroupHandle
) -> Iterator[MakeManager]:
    managers: list[DistributedCacheManager] = []

    def make(settings: Settings | None = None, **kwargs: Any) -> DistributedCacheManager:
        manager = manager_for(cache_cluster, session_group, settings or stack_settings(), **kwargs)
        managers.append(manager)
        return manager

    try:
        yield make
    finally:
        for manager in managers:
            manager.close()


@pytest.fixture
def manager(make_manager: MakeManager) -> DistributedCacheManager:
    return make_manager()
