"""What the CDN stores and what it must never store."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

from tests.integration.cdn.client import request
from tests.integration.cdn.conftest import cdn_settings
from tests.support.nginx_server import NginxCdn, OriginServer, nginx_cdn, origin_server


def test_first_request_misses_then_hits(cdn: NginxCdn, origin: OriginServer) -> None:
    first = request(cdn.port, "/static/app.js")
    cdn.logged("/static/app.js")
    second = request(cdn.port, "/static/app.js")

    assert (first.status, first.cache_status) == (200, "MISS")
    assert (second.status, second.cache_status) == (200, "HIT")
    assert second.body == first.body
    assert origin.hits["/static/app.js"] == 1


def test_responses_that_set_a_cookie_are_not_stored(cdn: NginxCdn, origin: OriginServer) -> None:
    replies = [request(cdn.port, "/cookie/profile.html") for _ in range(3)]

    assert [r.status for r in replies] == [200, 200, 200]
    assert all(r.cache_status == "MISS" for r in replies)
    assert all("tns_session=abc123" in r.headers["set-cookie"] for r in replies)
    assert origin.hits["/cookie/profile.html"] == 3


def test_authorized_requests_bypass_the_cache_and_are_not_stored(cdn: NginxCdn, origin: OriginServer) -> None:
    private = {"Authorization": "Bearer token-of-one-user"}
    first = request(cdn.port, "/account.html", headers=private)
    public = request(cdn.port, "/account.html")
    again = request(cdn.port, "/account.html", headers=private)

    assert (first.status, first.cache_status) == (200, "BYPASS")
    # Nothing was stored by the authorized request: the anonymous one goes to the origin.
    assert public.cache_status == "MISS"
    # ...and an authorized request is never answered from what anonymous requests stored.
    assert again.cache_status == "BYPASS"
    assert origin.hits["/account.html"] == 3


def test_session_cookie_bypasses_but_other_cookies_do_not_on_assets(
    cdn: NginxCdn, origin: OriginServer
) -> None:
    cookie = cdn_settings().session_cookies[0]
    request(cdn.port, "/static/home.js")
    cdn.logged("/static/home.js")
    with_session = request(cdn.port, "/static/home.js", headers={"Cookie": f"theme=dark; {cookie}=s3cr3t"})
    lookalike = request(cdn.port, "/static/home.js", headers={"Cookie": f"not{cookie}=1; theme=dark"})

    assert with_session.cache_status == "BYPASS"
    assert lookalike.cache_status == "HIT"
    assert origin.hits["/static/home.js"] == 2


def test_api_responses_are_cached_only_when_the_origin_says_so(cdn: NginxCdn, origin: OriginServer) -> None:
    plain = [request(cdn.port, "/api/products/42").cache_status for _ in range(2)]
    marked = [request(cdn.port, "/api/cacheable/catalog").cache_status]
    cdn.logged("/api/cacheable/catalog")
    marked.append(request(cdn.port, "/api/cacheable/catalog").cache_status)

    assert plain == ["MISS", "MISS"]
    assert origin.hits["/api/products/42"] == 2
    assert marked == ["MISS", "HIT"]
    assert origin.hits["/api/cacheable/catalog"] == 1


def test_fingerprinted_assets_are_immutable_for_clients(cdn: NginxCdn) -> None:
    fingerprinted = request(cdn.port, "/static/js/main.3f9a2c1b.js")
    plain = request(cdn.port, "/static/js/main.js")

    assert fingerprinted.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "cache-control" not in plain.headers
    # The location with its own Cache-Control still carries the security headers.
    assert fingerprinted.headers["x-frame-options"] == "DENY"
    assert fingerprinted.cache_status == "MISS"


def test_cache_key_includes_host_and_query(cdn: NginxCdn, origin: OriginServer) -> None:
    request(cdn.port, "/page.html?v=1", headers={"Host": "shop.example"})
    cdn.logged("/page.html?v=1")
    other_query = request(cdn.port, "/page.html?v=2", headers={"Host": "shop.example"})
    other_host = request(cdn.port, "/page.html?v=1", headers={"Host": "other.example"})
    same = request(cdn.port, "/page.html?v=1", headers={"Host": "shop.example"})

    assert (other_query.cache_status, other_host.cache_status, same.cache_status) == ("MISS", "MISS", "HIT")


def test_origin_gets_identity_requests_over_reused_connections(cdn: NginxCdn, origin: OriginServer) -> None:
    echoed = request(cdn.port, "/echo", headers={"Accept-Encoding": "gzip, br", "Host": "shop.example"})
    seen = json.loads(echoed.body)["headers"]

    # One stored copy per URL: NGINX compresses, so the origin is asked for identity.
    assert "accept-encoding" not in seen or seen["accept-encoding"] == ""
    assert seen["host"] == "shop.example"
    assert seen["x-forwarded-for"] == "127.0.0.1"
    assert seen.get("connection", "") != "close"


def test_origin_connections_are_kept_alive(cdn: NginxCdn, origin: OriginServer) -> None:
    for index in range(10):
        assert request(cdn.port, f"/api/items/{index}").status == 200

    # Ten clients' connections, but the uncached requests share pooled upstream connections.
    assert sum(origin.hits.values()) == 10
    assert origin.connections <= 2


def test_concurrent_misses_reach_the_origin_once() -> None:
    with origin_server(latency=0.3) as slow, nginx_cdn(cdn_settings(), slow.port) as cdn:
        with ThreadPoolExecutor(max_workers=6) as pool:
            replies = list(pool.map(lambda _: request(cdn.port, "/static/popular.css"), range(6)))

        assert [r.status for r in replies] == [200] * 6
        # proxy_cache_lock: one request fills the cache entry, the others wait for it.
        assert slow.hits["/static/popular.css"] == 1
