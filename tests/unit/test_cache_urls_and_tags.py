from __future__ import annotations

import pytest

from cache_manager.connections import addresses_from_env, parse_urls
from cache_manager.invalidation import product_ids_in


def test_cluster_and_sentinel_urls() -> None:
    addresses = parse_urls(
        "redis://app:s%40cret@10.0.0.1:7000,10.0.0.2:7001",
        "redis+sentinel://10.0.0.5:26379,10.0.0.6/sessions",
    )
    assert addresses.cluster_nodes == (("10.0.0.1", 7000), ("10.0.0.2", 7001))
    assert addresses.sentinels == (("10.0.0.5", 26379), ("10.0.0.6", 26379))
    assert addresses.master_name == "sessions"
    assert (addresses.username, addresses.password) == ("app", "s@cret")
    assert (addresses.sessions_username, addresses.sessions_password) == (None, None)
    sessions = parse_urls("redis://app:one@h:1", "redis+sentinel://app2:two@s:2/sessions")
    assert (sessions.password, sessions.sessions_username, sessions.sessions_password) == (
        "one",
        "app2",
        "two",
    )
    assert "s@cret" not in repr(addresses)


@pytest.mark.parametrize(
    ("cluster", "sessions", "message"),
    [
        ("http://x:1", None, "redis://"),
        ("redis://x:1", "redis://y:2/sessions", "redis\\+sentinel://"),
        ("redis://x:1", "redis+sentinel://y:2", "name the Sentinel master"),
    ],
)
def test_bad_urls_say_what_is_expected(cluster: str, sessions: str | None, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_urls(cluster, sessions)


def test_product_ids_are_found_in_search_results() -> None:
    assert product_ids_in([{"id": "p-1"}, {"productId": 2}, {"name": "no id"}, {"id": "p-1"}, "text"]) == [
        "p-1",
        "2",
    ]
    assert product_ids_in({"items": [{"_id": "p-9"}], "total": 1}) == ["p-9"]
    assert product_ids_in({"total": 0}) == []
    assert product_ids_in("not a list") == []


def test_the_platforms_redis_environment() -> None:
    addresses = addresses_from_env(
        {
            "REDIS_CLUSTER_NODES": "redis-cluster-0.redis-cluster:6379,redis-cluster-1.redis-cluster:6379",
            "REDIS_CLUSTER_SERVICE": "redis-cluster:6379",
            "REDIS_SENTINELS": "redis-sentinel-0.redis-sentinel:26379,redis-sentinel-1.redis-sentinel",
            "REDIS_SENTINEL_MASTER": "sessions",
            "REDIS_USERNAME": "app",
            "REDIS_PASSWORD": "pw",
        }
    )
    assert addresses.cluster_nodes == (
        ("redis-cluster-0.redis-cluster", 6379),
        ("redis-cluster-1.redis-cluster", 6379),
    )
    assert addresses.sentinels == (
        ("redis-sentinel-0.redis-sentinel", 26379),
        ("redis-sentinel-1.redis-sentinel", 26379),
    )
    assert (addresses.username, addresses.password) == ("app", "pw")
    assert (addresses.sentinel_username, addresses.sentinel_password) == ("app", "pw")
    assert addresses_from_env({"REDIS_CLUSTER_SERVICE": "redis-cluster:6379"}).cluster_nodes == (
        ("redis-cluster", 6379),
    )


def test_the_environment_must_name_the_cluster() -> None:
    with pytest.raises(ValueError, match="REDIS_CLUSTER_NODES"):
        addresses_from_env({"REDIS_SENTINELS": "s:26379"})
