"""Connections to Redis servers and Sentinels, with timeouts and errors people can act on."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from checks.concurrency import Deadline, run_concurrently
from checks.dialer import DialedConnection, active

T = TypeVar("T")


class NodeUnreachable(Exception):
    """Nothing answered at the address like a Redis server (refused, timed out, unresolvable)."""


class AuthFailed(Exception):
    """The server answered but refused the password (or demanded one we do not have)."""


@dataclass(frozen=True)
class Credentials:
    """An ACL user and its password; the password never shows in a repr or a message."""

    username: str | None = None
    password: str | None = field(default=None, repr=False)


def split_address(address: str) -> tuple[str, int]:
    """``"host:port"`` -> ``("host", port)``; ValueError with the bad text otherwise."""
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ValueError(f"{address!r} is not host:port")
    return host.strip("[]"), int(port)


def connect(address: str, credentials: Credentials, timeout: float) -> redis.Redis:
    """A client for one server, authenticated and answering PING, or NodeUnreachable/AuthFailed."""
    client = _client(address, credentials, timeout)
    try:
        command(client, "PING")
    except AuthFailed as error:
        client.close()
        # A server without any password rejects AUTH; that is not a wrong password.
        if credentials.password and "without any password configured" in str(error):
            return connect(address, Credentials(), timeout)
        raise
    except BaseException:
        client.close()
        raise
    return client


def _client(address: str, credentials: Credentials, timeout: float) -> redis.Redis:
    host, port = split_address(address)
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "username": credentials.username if credentials.password else None,
        "password": credentials.password,
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "retry": Retry(NoBackoff(), 0),
        "decode_responses": True,
        # RESP2: the server's own NOAUTH and error texts, no HELLO handshake.
        "protocol": 2,
    }
    if active() is not None:
        # Port-forwarding: the same address, reached through the dialer (checks/dialer.py).
        pool = redis.ConnectionPool(connection_class=DialedConnection, **options)
        client = redis.Redis(connection_pool=pool, protocol=2, decode_responses=True)
    else:
        client = redis.Redis(**options)
    # Raw replies only: the parsers in checks.redis_text read the server's own text.
    client.response_callbacks.clear()
    return client


def command(client: redis.Redis, *args: str) -> Any:
    """A command's raw reply, with errors turned into NodeUnreachable / AuthFailed."""
    kwargs = client.connection_pool.connection_kwargs
    where = f"{kwargs['host']}:{kwargs['port']}"
    try:
        return client.execute_command(*args)
    except redis.AuthenticationError as error:
        user = kwargs.get("username") or "default"
        raise AuthFailed(f"{where}: authentication as user {user!r} failed ({error})") from None
    except redis.ResponseError as error:
        if str(error).startswith("NOAUTH"):
            raise AuthFailed(f"{where}: a password is required and none was given") from None
        raise
    except (redis.ConnectionError, redis.TimeoutError) as error:
        raise NodeUnreachable(f"{where}: {_reason(error)}") from None
    except redis.RedisError as error:
        raise NodeUnreachable(f"{where}: did not answer like a Redis server ({error})") from None


def _reason(error: Exception) -> str:
    text = str(error) or type(error).__name__
    if "Connection refused" in text:
        return "connection refused"
    if isinstance(error, redis.TimeoutError) or "timed out" in text.lower():
        return "timed out"
    return text


def query_each(
    addresses: Iterable[str],
    credentials: Credentials,
    timeout: float,
    deadline: Deadline,
    query: Callable[[redis.Redis, str], T],
) -> dict[str, T | BaseException]:
    """``query(client, address)`` on every server concurrently, each on its own connection."""

    def call(address: str) -> Callable[[], T]:
        def run() -> T:
            client = connect(address, credentials, deadline.cap(timeout))
            try:
                return query(client, address)
            finally:
                client.close()

        return run

    return run_concurrently({address: call(address) for address in addresses}, deadline)
