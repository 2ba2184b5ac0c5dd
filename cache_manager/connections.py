"""How the manager reaches its two stores: the Redis Cluster and the Sentinel-managed primary.

Clients are created lazily: a manager built while Redis is down still starts, and every call
in the meantime is a miss, not an exception.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from urllib.parse import unquote, urlsplit

from redis import Redis
from redis.backoff import NoBackoff
from redis.cluster import ClusterNode, RedisCluster
from redis.retry import Retry
from redis.sentinel import Sentinel

from components.render.redis_layout import REDIS_PORT, SENTINEL_PORT
from components.settings.cache import CacheClientSettings
from components.settings.redis import RedisSentinelSettings

Address = tuple[str, int]
# The stack settings' defaults, for addresses built without a Settings object.
_MASTER_NAME = RedisSentinelSettings().master_name
_SOCKET_TIMEOUT = CacheClientSettings().socket_timeout_ms / 1000


@dataclass(frozen=True)
class StoreAddresses:
    """Where the stores are and who the manager is to them (the application ACL user)."""

    cluster_nodes: tuple[Address, ...]
    sentinels: tuple[Address, ...] = ()
    master_name: str = _MASTER_NAME
    username: str | None = None
    password: str | None = None
    # The sessions group's data nodes, when their credentials differ from the cluster's.
    sessions_username: str | None = None
    sessions_password: str | None = None
    # Sentinels authenticate separately (their own requirepass); None when they have none.
    sentinel_username: str | None = None
    sentinel_password: str | None = None
    socket_timeout: float = _SOCKET_TIMEOUT

    def __repr__(self) -> str:  # never show the passwords
        return (
            f"StoreAddresses(cluster_nodes={self.cluster_nodes!r}, sentinels={self.sentinels!r}, "
            f"master_name={self.master_name!r}, username={self.username!r})"
        )


def _hosts(netloc: str, default_port: int) -> tuple[tuple[str | None, str | None], tuple[Address, ...]]:
    credentials, _, hosts = netloc.rpartition("@")
    user, _, password = credentials.partition(":")
    return (unquote(user) or None, unquote(password) or None), _addresses(hosts, default_port)


def parse_urls(
    cluster_url: str, sessions_url: str | None = None, *, socket_timeout: float = _SOCKET_TIMEOUT
) -> StoreAddresses:
    """``redis://user:password@host:port[,host:port...]`` for the cluster, and
    ``redis+sentinel://user:password@host:port[,host:port...]/<master name>`` for sessions.

    The sessions URL's credentials are for the group's data nodes (the cluster's when absent);
    Sentinels are reached without credentials unless the manager gets ``sentinel_password``.
    """
    cluster = urlsplit(cluster_url)
    if cluster.scheme != "redis":
        raise ValueError(f"cluster URL must start with redis://, got {cluster.scheme or 'nothing'}://")
    (user, password), nodes = _hosts(cluster.netloc, REDIS_PORT)
    if sessions_url is None:
        return StoreAddresses(nodes, username=user, password=password, socket_timeout=socket_timeout)
    sessions = urlsplit(sessions_url)
    if sessions.scheme != "redis+sentinel":
        raise ValueError(
            f"sessions URL must start with redis+sentinel://, got {sessions.scheme or 'nothing'}://"
        )
    master = sessions.path.strip("/")
    if not master:
        raise ValueError("sessions URL must name the Sentinel master: redis+sentinel://host:port/<name>")
    (s_user, s_password), sentinels = _hosts(sessions.netloc, SENTINEL_PORT)
    return StoreAddresses(
        nodes,
        sentinels=sentinels,
        master_name=master,
        username=user,
        password=password,
        sessions_username=s_user,
        sessions_password=s_password,
        socket_timeout=socket_timeout,
    )


def _addresses(text: str, default_port: int) -> tuple[Address, ...]:
    """``host[:port]`` items, comma-separated; an IPv6 address in brackets (``[fd00::1]:7000``)."""
    found = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        if item.startswith("["):
            host, _, rest = item[1:].partition("]")
            port = rest.removeprefix(":")
        else:
            host, _, port = item.partition(":")
        if not host or not (port or str(default_port)).isdigit():
            raise ValueError(f"{item!r} is no address: expected host:port, the port a number")
        found.append((host, int(port or default_port)))
    return tuple(found)


def addresses_from_env(
    environ: Mapping[str, str], *, socket_timeout: float = _SOCKET_TIMEOUT
) -> StoreAddresses:
    """The REDIS_* variables the platform gives every service that uses Redis.

    REDIS_CLUSTER_NODES (or REDIS_CLUSTER_SERVICE), REDIS_SENTINELS, REDIS_SENTINEL_MASTER,
    REDIS_USERNAME and REDIS_PASSWORD (from the Secret; on Docker Swarm REDIS_PASSWORD_FILE names
    the mounted secret file instead). The application user authenticates
    to the cluster, the Sentinel group's data nodes and the Sentinels alike.
    """
    nodes = environ.get("REDIS_CLUSTER_NODES") or environ.get("REDIS_CLUSTER_SERVICE") or ""
    if not nodes.strip():
        raise ValueError("REDIS_CLUSTER_NODES (or REDIS_CLUSTER_SERVICE) must name at least one cluster node")
    username = environ.get("REDIS_USERNAME") or None
    password = environ.get("REDIS_PASSWORD") or _password_file(environ.get("REDIS_PASSWORD_FILE")) or None
    return StoreAddresses(
        _addresses(nodes, REDIS_PORT),
        sentinels=_addresses(environ.get("REDIS_SENTINELS", ""), SENTINEL_PORT),
        master_name=environ.get("REDIS_SENTINEL_MASTER") or _MASTER_NAME,
        username=username,
        password=password,
        sentinel_username=username if password else None,
        sentinel_password=password,
        socket_timeout=socket_timeout,
    )


def _password_file(path: str | None) -> str | None:
    if not path:
        return None
    with open(path, encoding="utf-8") as file:
        return file.read().strip()


def addresses_from_urls(
    cluster_url: str,
    sessions_url: str | None,
    *,
    sentinel_username: str | None,
    sentinel_password: str | None,
    socket_timeout: float,
) -> StoreAddresses:
    """``parse_urls``, plus how to authenticate to the Sentinels (given separately)."""
    parsed = parse_urls(cluster_url, sessions_url, socket_timeout=socket_timeout)
    return replace(
        parsed,
        # Sentinels with a password know the same ACL user as the data nodes.
        sentinel_username=sentinel_username
        or (parsed.sessions_username or parsed.username if sentinel_password else None),
        sentinel_password=sentinel_password,
    )


def _fail_fast() -> Retry:
    # One quick retry: during a failover the caller gets a miss now instead of a stall.
    return Retry(NoBackoff(), 1)


def cluster_factory(addresses: StoreAddresses) -> Callable[[], RedisCluster]:
    def connect() -> RedisCluster:
        return RedisCluster(
            startup_nodes=[ClusterNode(host, port) for host, port in addresses.cluster_nodes],
            username=addresses.username,
            password=addresses.password,
            socket_timeout=addresses.socket_timeout,
            socket_connect_timeout=addresses.socket_timeout,
            retry=_fail_fast(),
        )

    return connect


def sessions_client(addresses: StoreAddresses) -> Redis | None:
    """The client of the Sentinel master (``None`` without sentinels); it follows failovers."""
    if not addresses.sentinels:
        return None
    timeouts = {
        "socket_timeout": addresses.socket_timeout,
        "socket_connect_timeout": addresses.socket_timeout,
    }
    sentinel = Sentinel(
        list(addresses.sentinels),
        sentinel_kwargs={
            **timeouts,
            "username": addresses.sentinel_username,
            "password": addresses.sentinel_password,
            "retry": _fail_fast(),
        },
        username=addresses.sessions_username or addresses.username,
        password=addresses.sessions_password or addresses.password,
        retry=_fail_fast(),
        **timeouts,
    )
    return sentinel.master_for(addresses.master_name)


class LazyCluster:
    """Creates the cluster client on first use; a failed attempt is retried on a later call."""

    def __init__(self, connect: Callable[[], RedisCluster]):
        self._connect = connect
        self._client: RedisCluster | None = None
        self._lock = threading.Lock()

    @property
    def current(self) -> RedisCluster | None:
        """The client if it exists already (no connection attempt)."""
        return self._client

    def get(self) -> RedisCluster:
        client = self._client
        if client is None:
            with self._lock:
                if self._client is None:
                    self._client = self._connect()
                client = self._client
        return client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
