"""Every way of building a manager takes the stack's cache settings, its timeouts included.

No store needs to run: the manager connects on first use. Where a store is needed, it is a
socket that accepts connections and never answers (a hung node), which only the socket
timeout can get a caller away from.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from cache_manager import DistributedCacheManager
from components.settings import load_settings
from components.settings.cache import CacheClientSettings, CacheTtlSettings
from components.settings.stack import Settings
from tests.support.ports import free_port, free_ports

# Far below any default, so a manager that ignored the settings would show it.
CACHE = CacheClientSettings(key_prefix="shop", schema_version=3, max_value_bytes=4096, socket_timeout_ms=100)
TTL = CacheTtlSettings(product=61, price=62, search=63, session=64, recommendations=65)

Build = Callable[[Settings, int, int], DistributedCacheManager]


def settings() -> Settings:
    return load_settings({}, "staging").model_copy(update={"cache": CACHE, "cache_ttl": TTL})


def from_url(stack: Settings, cluster_port: int, sentinel_port: int) -> DistributedCacheManager:
    return DistributedCacheManager.from_url(
        f"redis://app:pw@127.0.0.1:{cluster_port}",
        f"redis+sentinel://127.0.0.1:{sentinel_port}/sessions",
        settings=stack,
    )


def from_env(stack: Settings, cluster_port: int, sentinel_port: int) -> DistributedCacheManager:
    environ = {
        "REDIS_CLUSTER_NODES": f"127.0.0.1:{cluster_port}",
        "REDIS_SENTINELS": f"127.0.0.1:{sentinel_port}",
    }
    return DistributedCacheManager.from_env(environ, settings=stack)


def from_settings(stack: Settings, cluster_port: int, sentinel_port: int) -> DistributedCacheManager:
    return DistributedCacheManager.from_settings(
        stack, cluster_nodes=[("127.0.0.1", cluster_port)], sentinels=[("127.0.0.1", sentinel_port)]
    )


BUILDERS = pytest.mark.parametrize("build", [from_url, from_env, from_settings])


@BUILDERS
def test_the_ttls_keys_and_limits_come_from_the_stack_settings(build: Build) -> None:
    with build(settings(), *free_ports(2)) as manager:
        assert {name: strategy.ttl_seconds for name, strategy in manager.strategies.items()} == {
            "product": 61,
            "price": 62,
            "search": 63,
            "session": 64,
            "recommendations": 65,
        }
        assert manager.keys.product("p-1") == "shop:v3:product:{p:p-1}"
        with pytest.raises(ValueError, match="above the limit of 4096 bytes"):
            manager.cache_product("p-1", "x" * 4096)


@pytest.fixture
def hung_ports() -> Iterator[tuple[int, int]]:
    """Two listening sockets that accept connections and never answer a byte."""
    listeners = []
    for _ in range(2):
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)  # the kernel completes the handshakes; nobody ever reads
        listeners.append(listener)
    try:
        yield listeners[0].getsockname()[1], listeners[1].getsockname()[1]
    finally:
        for listener in listeners:
            listener.close()


def in_thread(call: Callable[[], object]) -> list[object]:
    """``call``'s result, from a thread that must end within a generous bound (no hang)."""
    answers: list[object] = []
    reader = threading.Thread(target=lambda: answers.append(call()), daemon=True)
    reader.start()
    reader.join(timeout=30)  # a few connection attempts of a socket timeout each
    assert not reader.is_alive(), "a read waited on a store that never answers"
    return answers


@BUILDERS
def test_a_hung_store_costs_a_read_the_socket_timeout_not_a_hang(
    build: Build, hung_ports: tuple[int, int]
) -> None:
    with build(settings(), *hung_ports) as manager:
        assert in_thread(lambda: [manager.get_product("p-1"), manager.get_session("s-1")]) == [[None, None]]
        assert manager.metrics.error_count("get") == 2


def test_without_stack_settings_the_defaults_apply() -> None:
    cluster_port = free_port()
    built = [
        DistributedCacheManager.from_url(f"redis://127.0.0.1:{cluster_port}"),
        DistributedCacheManager.from_env({"REDIS_CLUSTER_NODES": f"127.0.0.1:{cluster_port}"}),
    ]
    for manager in built:
        with manager:
            assert manager.strategies["product"].ttl_seconds == CacheTtlSettings().product
            assert manager.keys.product("p-1") == "technovastore:v1:product:{p:p-1}"


def test_from_env_reads_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_CLUSTER_NODES", f"127.0.0.1:{free_port()}")
    monkeypatch.setenv("REDIS_SENTINEL_MASTER", "carts")
    with DistributedCacheManager.from_env(settings=settings()) as manager:
        assert manager.get_product("p-1") is None  # built, and the cluster is nowhere


def test_from_env_waits_on_a_hung_store_as_long_as_the_settings_say(hung_ports: tuple[int, int]) -> None:
    """Not the library's default (250 ms): the stack's socket timeout, here 1.5 s per attempt."""
    slow = settings().model_copy(update={"cache": CACHE.model_copy(update={"socket_timeout_ms": 1500})})
    with from_env(slow, *hung_ports) as manager:
        started = time.monotonic()
        assert in_thread(lambda: manager.get_product("p-1")) == [None]
        assert time.monotonic() - started >= 1.5
