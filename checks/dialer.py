"""How the checks open their TCP connections: directly, or through a dialer (port-forwarding).

The checks always name servers as the stack outputs and the servers themselves do (pod DNS
names, pod IPs, Service names): every result reads the same either way. With ``--port-forward``
a dialer reaches those addresses through the Kubernetes API instead of the network, for the
Redis clients and the CDN's HTTP requests alike.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

import redis.connection


class Dialer(Protocol):
    def connect(self, host: str, port: int, timeout: float) -> Any:
        """A connected socket (or socket-like object) to ``host:port``; OSError when it cannot."""


_active: list[Dialer] = []


def active() -> Dialer | None:
    """The dialer in use, or None for direct connections."""
    return _active[-1] if _active else None


@contextmanager
def dialing_through(dialer: Dialer) -> Iterator[None]:
    """Every connection the checks open inside the block goes through ``dialer``."""
    _active.append(dialer)
    try:
        yield
    finally:
        _active.remove(dialer)


class DialedConnection(redis.connection.Connection):
    """A redis-py connection whose socket the active dialer opens."""

    def _connect(self) -> socket.socket:
        dialer = active()
        if dialer is None:
            return super()._connect()
        sock = dialer.connect(self.host, self.port, self.socket_connect_timeout or 5.0)
        sock.settimeout(self.socket_timeout)
        return sock
