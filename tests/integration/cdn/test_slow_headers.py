"""One address opening thousands of slow-header connections cannot take /health down.

Bounded: 9,000 sockets from one loopback address (more than the 8,192 connections two
workers had before), held for a few seconds, then closed.
"""

from __future__ import annotations

import re
import resource
import socket
import time
import urllib.request
from collections.abc import Iterator

import pytest

from tests.integration.cdn.client import request
from tests.integration.cdn.conftest import cdn_settings
from tests.support.nginx_server import NginxCdn, OriginServer, nginx_cdn

FLOOD_SOCKETS = 9_000
# Two workers of the old default 4,096 connections each.
OLD_CAPACITY = 8_192
ATTACKER = "127.0.0.9"
# Long enough that the flood is still held when counted (opening it takes seconds).
HEADER_SECONDS = 4
PARTIAL_HEADER = b"GET /index.html HTTP/1.1\r\nHost: shop.example\r\nX-Slow: "


@pytest.fixture
def flooded_cdn(origin: OriginServer) -> Iterator[NginxCdn]:
    settings = cdn_settings(timeouts={"clientHeaderSeconds": HEADER_SECONDS})
    with nginx_cdn(settings, origin.port) as instance:
        yield instance


def _enough_descriptors(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed <= hard or (hard == resource.RLIM_INFINITY and soft < needed):
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
    assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] >= needed, "the test needs more open files"


def _active_connections(cdn: NginxCdn) -> int:
    with urllib.request.urlopen(cdn.status_url, timeout=5) as reply:
        match = re.search(rb"Active connections:\s*(\d+)", reply.read())
    assert match
    return int(match.group(1))


def _open_slow_connections(port: int, count: int) -> list[socket.socket]:
    sockets = []
    for _ in range(count):
        sock = socket.socket()
        sock.bind((ATTACKER, 0))
        sock.settimeout(5)
        sock.connect(("127.0.0.1", port))
        sock.sendall(PARTIAL_HEADER)
        sockets.append(sock)
    return sockets


def _closed_by_server(sock: socket.socket) -> bool:
    sock.settimeout(0.5)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def test_health_stays_up_through_a_slow_header_flood_from_one_address(flooded_cdn: NginxCdn) -> None:
    _enough_descriptors(FLOOD_SOCKETS + 1_000)
    flood = _open_slow_connections(flooded_cdn.port, FLOOD_SOCKETS)
    try:
        held = _active_connections(flooded_cdn)
        health = request(flooded_cdn.port, "/health", timeout=5)
        page = request(flooded_cdn.port, "/index.html", headers={"Host": "shop.example"}, timeout=5)
        # client_header_timeout: NGINX drops the slow ones by itself.
        time.sleep(HEADER_SECONDS + 1)
        dropped = sum(_closed_by_server(sock) for sock in flood[:: FLOOD_SOCKETS // 20])
    finally:
        for sock in flood:
            sock.close()

    assert held > OLD_CAPACITY
    assert health.status == 200
    assert page.status == 200
    assert dropped == len(flood[:: FLOOD_SOCKETS // 20])
