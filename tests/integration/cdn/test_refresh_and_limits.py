"""The cache under pressure: locks, refreshes and large keys never make visitors wait in line."""

from __future__ import annotations

import http.client
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.integration.cdn.client import Reply, request
from tests.integration.cdn.conftest import UNLIMITED, cdn_settings
from tests.support.nginx_server import NginxCdn, nginx_cdn, origin_server

SHOP = {"Host": "shop.example"}
CONCURRENT = 8


def _concurrently(cdn: NginxCdn, path: str) -> list[Reply]:
    with ThreadPoolExecutor(max_workers=CONCURRENT) as pool:
        return list(pool.map(lambda _: request(cdn.port, path, headers=SHOP), range(CONCURRENT)))


@pytest.mark.parametrize("path", ["/api/orders/7", "/setcookie/home.html", "/nostore/cart.html"])
def test_uncacheable_requests_are_never_queued_behind_the_cache_lock(path: str) -> None:
    with origin_server(latency=0.5) as origin, nginx_cdn(cdn_settings(**UNLIMITED), origin.port) as cdn:
        replies = _concurrently(cdn, path)

    assert [r.status for r in replies] == [200] * CONCURRENT
    # All of them were at the origin at once: none waited for another's answer.
    assert origin.max_in_flight == CONCURRENT


def test_cacheable_misses_still_collapse_into_one_origin_request() -> None:
    with origin_server(latency=0.5) as origin, nginx_cdn(cdn_settings(**UNLIMITED), origin.port) as cdn:
        _concurrently(cdn, "/static/hot.3f9a2c1b.js")

    assert origin.hits["/static/hot.3f9a2c1b.js"] == 1


def _get(connection: http.client.HTTPConnection, path: str) -> tuple[str | None, float]:
    started = time.monotonic()
    connection.request("GET", path, headers=SHOP)
    response = connection.getresponse()
    response.read()
    return response.getheader("X-Cache-Status"), time.monotonic() - started


def test_a_refresh_never_holds_up_the_next_request_on_the_connection() -> None:
    refresh_seconds = 3.0
    settings = cdn_settings(**UNLIMITED, ttl={"htmlSeconds": 1})
    with origin_server() as origin, nginx_cdn(settings, origin.port) as cdn:
        request(cdn.port, "/expiring.html", headers=SHOP)
        request(cdn.port, "/static/fresh.js", headers=SHOP)
        # NGINX counts validity in whole seconds: 1 s may last up to 2.
        time.sleep(2.5)
        origin.latency = refresh_seconds
        connection = http.client.HTTPConnection("127.0.0.1", cdn.port, timeout=30)
        try:
            _get(connection, "/expiring.html")
            next_status, next_seconds = _get(connection, "/static/fresh.js")
        finally:
            connection.close()

    assert next_status == "HIT"
    # A cached answer comes at once; waiting for the refresh would take refresh_seconds.
    assert next_seconds < refresh_seconds / 2


@pytest.mark.parametrize("length", [3_900, 7_900])
def test_long_urls_are_cached_like_any_other(cdn: NginxCdn, length: int) -> None:
    path = "/search.html?q=" + "x" * (length - len("/search.html?q="))

    first = request(cdn.port, path, headers=SHOP)
    cdn.logged(path)
    second = request(cdn.port, path, headers=SHOP)

    assert [first.cache_status, second.cache_status] == ["MISS", "HIT"]
    assert "not enough for cache key" not in cdn.error_log.read_text()


def test_a_url_beyond_the_request_line_limit_is_refused_cleanly(cdn: NginxCdn) -> None:
    reply = request(cdn.port, "/search.html?q=" + "x" * 9_000, headers=SHOP)

    assert reply.status == 414
