from __future__ import annotations

import pytest

from cache_manager.connections import StoreAddresses, addresses_from_env, addresses_from_urls, parse_urls
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


def test_product_ids_are_found_in_search_results() -> None:
    assert product_ids_in([{"id": "p-1"}, {"productId": 2}, {"name": "no id"}, {"id": "p-1"}, "text"]) == [
        "p-1",
        "2",
    ]
    assert product_ids_in({"items": [{"_id": "p-9"}], "total": 1}) == ["p-9"]
    assert product_ids_in({"results": [{"product_id": "p-8"}]}) == ["p-8"]
    assert product_ids_in([{"id": "", "productId": "p-7"}, {"id": False, "_id": 6}]) == ["p-7", "6"]
    assert product_ids_in({"total": 0}) == []
    assert product_ids_in("not a list") == []


def test_the_platforms_redis_environment() -> None:
    addresses = addresses_from_env(
        {
            "REDIS_CLUSTER_NODES": "redis-cluster-0.redis-cluster:6379,redis-cluster-1.redis-cluster:6379",
            "REDIS_CLUSTER_SERVICE": "redis-cluster:6379",
            "REDIS_SENTINELS": "redis-sentinel-0.redis-sentinel:26379,redis-sentinel-1.redis-sentinel",
            "REDIS_SENTINEL_MASTER": "carts",
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
    assert addresses.master_name == "carts"
    assert addresses_from_env({"REDIS_CLUSTER_SERVICE": "redis-cluster:6379"}).cluster_nodes == (
        ("redis-cluster", 6379),
    )


def test_a_cluster_url_alone_carries_its_credentials_and_the_default_port() -> None:
    assert parse_urls("redis://app:pa:ss@redis-cluster,10.0.0.2:7001", socket_timeout=0.5) == StoreAddresses(
        cluster_nodes=(("redis-cluster", 6379), ("10.0.0.2", 7001)),
        username="app",
        password="pa:ss",  # RFC 3986 userinfo: the first colon ends the user name
        socket_timeout=0.5,
    )


def test_ipv6_addresses_are_written_in_brackets() -> None:
    addresses = parse_urls("redis://[fd00::1]:7000,[fd00::2]", "redis+sentinel://[fd00::5]:26380/carts/")
    assert addresses.cluster_nodes == (("fd00::1", 7000), ("fd00::2", 6379))
    assert addresses.sentinels == (("fd00::5", 26380),)
    assert addresses.master_name == "carts"


@pytest.mark.parametrize("item", ["redis-cluster:http", ":7000", "[fd00::1]:x"])
def test_an_address_that_is_no_host_and_port_is_named(item: str) -> None:
    with pytest.raises(ValueError) as error:
        addresses_from_env({"REDIS_CLUSTER_NODES": f"redis-cluster-0:6379,{item}"})
    assert str(error.value) == f"{item!r} is no address: expected host:port, the port a number"


@pytest.mark.parametrize(
    ("cluster", "sessions", "message"),
    [
        ("http://x:1", None, "cluster URL must start with redis://, got http://"),
        ("x:1", None, "cluster URL must start with redis://, got x://"),
        ("//x:1", None, "cluster URL must start with redis://, got nothing://"),
        ("redis://x:1", "redis://y:2/s", "sessions URL must start with redis+sentinel://, got redis://"),
        ("redis://x:1", "//y:2/s", "sessions URL must start with redis+sentinel://, got nothing://"),
        (
            "redis://x:1",
            "redis+sentinel://y:2/",
            "sessions URL must name the Sentinel master: redis+sentinel://host:port/<name>",
        ),
    ],
)
def test_bad_urls_are_refused_with_what_was_expected(
    cluster: str, sessions: str | None, message: str
) -> None:
    with pytest.raises(ValueError) as error:
        parse_urls(cluster, sessions)
    assert str(error.value) == message


def test_both_urls_and_separate_sentinel_credentials() -> None:
    both = "redis://app:one@h:1", "redis+sentinel://app2:two@s:2/sessions"
    assert addresses_from_urls(
        *both, sentinel_username=None, sentinel_password=None, socket_timeout=0.3
    ) == StoreAddresses(
        cluster_nodes=(("h", 1),),
        sentinels=(("s", 2),),
        master_name="sessions",
        username="app",
        password="one",
        sessions_username="app2",
        sessions_password="two",
        socket_timeout=0.3,
    )
    # Sentinels with a password know the sessions user (else the cluster's), unless told another.
    secured = addresses_from_urls(*both, sentinel_username=None, sentinel_password="s3", socket_timeout=0.3)
    assert (secured.sentinel_username, secured.sentinel_password) == ("app2", "s3")
    cluster_user = addresses_from_urls(
        "redis://app:one@h:1",
        "redis+sentinel://s:2/sessions",
        sentinel_username=None,
        sentinel_password="s3",
        socket_timeout=0.3,
    )
    assert cluster_user.sentinel_username == "app"
    named = addresses_from_urls(
        *both, sentinel_username="watcher", sentinel_password="s3", socket_timeout=0.3
    )
    assert named.sentinel_username == "watcher"


def test_the_environment_of_a_service_without_sentinels_or_password() -> None:
    assert addresses_from_env(
        {"REDIS_CLUSTER_NODES": "redis-cluster-0"}, socket_timeout=0.4
    ) == StoreAddresses(
        cluster_nodes=(("redis-cluster-0", 6379),), master_name="sessions", socket_timeout=0.4
    )
    no_password = addresses_from_env({"REDIS_CLUSTER_NODES": "c", "REDIS_USERNAME": "app"})
    assert (no_password.username, no_password.sentinel_username) == ("app", None)


def test_the_environment_must_name_a_cluster_node() -> None:
    for environ in ({"REDIS_SENTINELS": "s:26379"}, {"REDIS_CLUSTER_NODES": " "}):
        with pytest.raises(ValueError) as error:
            addresses_from_env(environ)
        assert (
            str(error.value)
            == "REDIS_CLUSTER_NODES (or REDIS_CLUSTER_SERVICE) must name at least one cluster node"
        )
