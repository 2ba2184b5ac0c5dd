"""Per-client rate limits: 429 beyond the burst, and only for the client that exceeded it."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from tests.integration.cdn.client import request
from tests.integration.cdn.conftest import cdn_settings
from tests.support.nginx_server import NginxCdn, OriginServer, nginx_cdn

BURST = 5


@pytest.fixture
def limited_cdn(origin: OriginServer) -> Iterator[NginxCdn]:
    settings = cdn_settings(rateLimit={"requestsPerSecond": 1, "burst": BURST, "connectionsPerClient": 3})
    with nginx_cdn(settings, origin.port) as instance:
        yield instance


def test_beyond_the_burst_a_client_gets_429(limited_cdn: NginxCdn) -> None:
    statuses = [
        request(limited_cdn.port, "/static/app.js", source="127.0.0.2").status for _ in range(BURST + 6)
    ]

    # 1 r/s with a burst of 5, sent within well under a second: the first 1 + 5 pass.
    assert statuses[: BURST + 1] == [200] * (BURST + 1)
    assert set(statuses[BURST + 2 :]) == {429}


def test_other_clients_are_not_affected(limited_cdn: NginxCdn) -> None:
    for _ in range(BURST + 6):
        request(limited_cdn.port, "/static/app.js", source="127.0.0.2")
    assert request(limited_cdn.port, "/static/app.js", source="127.0.0.2").status == 429

    others = [request(limited_cdn.port, "/static/app.js", source=f"127.0.0.{n}").status for n in (3, 4, 5)]

    assert others == [200, 200, 200]


def test_health_is_never_rate_limited(limited_cdn: NginxCdn) -> None:
    statuses = [request(limited_cdn.port, "/health", source="127.0.0.6").status for _ in range(BURST * 4)]

    assert set(statuses) == {200}


def test_too_many_connections_from_one_client_get_429(limited_cdn: NginxCdn, origin: OriginServer) -> None:
    # Three requests held open at the origin occupy the client's three connection slots.
    held = []
    try:
        for index in range(3):
            sock = socket.create_connection(("127.0.0.1", limited_cdn.port), timeout=5)
            # Distinct URLs: the cache lock would hold identical ones back from the origin.
            sock.sendall(f"GET /hang/{index} HTTP/1.1\r\nHost: shop.example\r\n\r\n".encode())
            held.append(sock)
            _wait_for_hits(origin, f"/hang/{index}", 1)

        reply = request(limited_cdn.port, "/static/other.js", source="127.0.0.1")
        other_client = request(limited_cdn.port, "/static/other.js", source="127.0.0.7")
    finally:
        for sock in held:
            sock.close()

    assert reply.status == 429
    assert other_client.status == 200


def _wait_for_hits(origin: OriginServer, path: str, count: int) -> None:
    deadline = time.monotonic() + 5
    while origin.hits[path] < count:
        assert time.monotonic() < deadline, f"origin saw {origin.hits[path]} of {count} requests"
        time.sleep(0.02)
