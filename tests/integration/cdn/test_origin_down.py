"""When the origin fails: stale content where there is some, fast errors where there is none."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from tests.integration.cdn.client import request
from tests.integration.cdn.conftest import cdn_settings
from tests.support.nginx_server import NginxCdn, OriginServer, nginx_cdn

TTL = 1
READ_TIMEOUT = 1
SETTINGS = cdn_settings(
    ttl={"htmlSeconds": TTL, "assetsSeconds": TTL},
    timeouts={"originConnectSeconds": 1, "originReadSeconds": READ_TIMEOUT},
)
# A request that outlives every configured origin timeout by this much counts as hanging.
GRACE = 3


@pytest.fixture
def short_ttl_cdn(origin: OriginServer) -> Iterator[NginxCdn]:
    with nginx_cdn(SETTINGS, origin.port) as instance:
        yield instance


def _cache(cdn: NginxCdn, path: str) -> None:
    assert request(cdn.port, path).cache_status == "MISS"
    cdn.logged(path)
    assert request(cdn.port, path).cache_status == "HIT"


def _let_expire() -> None:
    # NGINX counts validity in whole seconds: wait past the next second boundary too.
    time.sleep(TTL + 1.1)


def test_expired_content_is_served_stale_while_the_origin_is_down(
    short_ttl_cdn: NginxCdn, origin: OriginServer
) -> None:
    _cache(short_ttl_cdn, "/catalog.html")
    _let_expire()
    origin.stop()

    replies = [request(short_ttl_cdn.port, "/catalog.html") for _ in range(3)]

    assert [r.status for r in replies] == [200, 200, 200]
    assert {r.cache_status for r in replies} <= {"STALE", "UPDATING"}
    assert replies[0].body.startswith(b"/* /catalog.html")


def test_expired_content_is_served_stale_while_the_origin_errors(
    short_ttl_cdn: NginxCdn, origin: OriginServer
) -> None:
    statuses = (500, 502, 503, 504)
    for status in statuses:
        _cache(short_ttl_cdn, f"/static/app-{status}.css")
    _let_expire()

    for status in statuses:
        origin.fail_with = status
        reply = request(short_ttl_cdn.port, f"/static/app-{status}.css")

        assert reply.status == 200, status
        assert reply.cache_status in {"STALE", "UPDATING"}, status


def test_uncached_urls_fail_fast_when_the_origin_refuses(
    short_ttl_cdn: NginxCdn, origin: OriginServer
) -> None:
    origin.stop()

    # The client's timeout is the bound: a hanging CDN raises instead of answering.
    reply = request(short_ttl_cdn.port, "/never-seen.html", timeout=1 + GRACE)

    assert reply.status == 502
    assert reply.cache_status == "MISS"


def test_uncached_urls_time_out_when_the_origin_hangs(short_ttl_cdn: NginxCdn) -> None:
    reply = request(short_ttl_cdn.port, "/hang/forever.html", timeout=READ_TIMEOUT + GRACE)

    assert reply.status == 504


def test_health_answers_while_the_origin_is_down(short_ttl_cdn: NginxCdn, origin: OriginServer) -> None:
    origin.stop()

    reply = request(short_ttl_cdn.port, "/health")

    assert (reply.status, reply.body) == (200, b"ok\n")
    assert origin.hits["/health"] == 0


def test_health_never_reaches_the_origin(cdn: NginxCdn, origin: OriginServer) -> None:
    for _ in range(3):
        assert request(cdn.port, "/health").status == 200

    assert origin.hits["/health"] == 0
    assert "cache-control" not in request(cdn.port, "/health").headers


def test_service_resumes_when_the_origin_returns(short_ttl_cdn: NginxCdn, origin: OriginServer) -> None:
    origin.stop()
    assert request(short_ttl_cdn.port, "/back.html").status == 502

    origin.start()
    with socket.create_connection(("127.0.0.1", origin.port), timeout=2):
        pass

    assert request(short_ttl_cdn.port, "/back.html").status == 200
