"""A path or Host the CDN and the origin could read differently never gets a shared answer."""

from __future__ import annotations

import pytest

from tests.integration.cdn.client import closed_without_answer, raw_request, request
from tests.support.nginx_server import NginxCdn, OriginServer

SHOP = {"Host": "shop.example"}


@pytest.mark.parametrize("spelling", ["/API/orders/7", "/Api/orders/7", "/aPi/orders/7", "/%61pi/orders/7"])
def test_the_api_prefix_is_case_insensitive_so_api_answers_stay_uncached(
    shared_cdn: NginxCdn, shared_origin: OriginServer, spelling: str
) -> None:
    replies = [request(shared_cdn.port, spelling, headers=SHOP)]
    shared_cdn.logged(spelling)
    replies.append(request(shared_cdn.port, spelling, headers=SHOP))

    assert [r.status for r in replies] == [200, 200]
    assert [r.cache_status for r in replies] == ["MISS", "MISS"]
    assert shared_origin.hits[spelling] == 2


AMBIGUOUS = [
    "/api;x/orders",
    "/api/orders;jsessionid=1",
    "/api/a/..%2f..%2fother.html",
    "/api/a/..%2F..%2Fother.html",
    "/static/%2e%2e/api/orders",
    "/static/..%5capi/orders",
    "/static\\..\\api/orders",
    "/api%3bx/orders",
    "/api%252forders",
    "/static//api/orders",
    "/static/./app.js",
    "/static/x/../app.js",
    "/static/x/..?y=1",
    "/a%00.html",
    "/static/%c0%ae%c0%ae/api/orders",
    "/static/%e0%80%ae/x.html",
    "/static/%u002e%u002e/api/orders",
]


@pytest.mark.parametrize("path", AMBIGUOUS)
def test_ambiguous_paths_are_refused_before_any_location(
    shared_cdn: NginxCdn, shared_origin: OriginServer, path: str
) -> None:
    status, _ = raw_request(shared_cdn.port, f"GET {path} HTTP/1.1\r\nHost: shop.example\r\n\r\n".encode())

    assert status == 400
    assert path not in shared_origin.hits


def test_encoded_characters_that_need_encoding_still_work(shared_cdn: NginxCdn) -> None:
    assert request(shared_cdn.port, "/products/caf%C3%A9%20cr%C3%A8me.html", headers=SHOP).status == 200
    assert request(shared_cdn.port, "/search.html?q=a;b&c=..%2f", headers=SHOP).status == 200


@pytest.mark.parametrize("path", ["/.env", "/.git/config", "/static/.htaccess", "/.ENV", "/api/.env"])
def test_hidden_files_are_denied_and_never_proxied(
    shared_cdn: NginxCdn, shared_origin: OriginServer, path: str
) -> None:
    reply = request(shared_cdn.port, path, headers=SHOP)

    assert reply.status == 403
    assert path not in shared_origin.hits


def test_well_known_is_served(shared_cdn: NginxCdn, shared_origin: OriginServer) -> None:
    reply = request(shared_cdn.port, "/.well-known/security.txt", headers=SHOP)

    assert reply.status == 200
    assert shared_origin.hits["/.well-known/security.txt"] == 1


@pytest.mark.parametrize(
    "path, location", [("/api", "/api/"), ("/API", "/api/"), ("/api?page=2", "/api/?page=2")]
)
def test_the_bare_api_prefix_redirects_relative(shared_cdn: NginxCdn, path: str, location: str) -> None:
    reply = request(shared_cdn.port, path, headers={"Host": "shop.example:8080"})

    # Relative: the visitor keeps its scheme and host; no internal port leaks.
    assert (reply.status, reply.headers["location"]) == (301, location)


@pytest.mark.parametrize(
    "payload",
    [
        b"GET /index.html HTTP/1.1\r\nHost: evil.example\r\n\r\n",
        b"GET /index.html HTTP/1.1\r\nHost: shop.example.evil.example\r\n\r\n",
        b"GET http://evil.example/index.html HTTP/1.1\r\nHost: shop.example\r\n\r\n",
        b"GET /index.html HTTP/1.0\r\n\r\n",
    ],
    ids=["unknown", "suffixed", "absolute-form", "no-host"],
)
def test_unknown_hosts_get_no_answer_and_never_reach_the_origin(
    shared_cdn: NginxCdn, shared_origin: OriginServer, payload: bytes
) -> None:
    before = shared_origin.hits["/index.html"]

    assert closed_without_answer(shared_cdn.port, payload)
    assert shared_origin.hits["/index.html"] == before
    assert request(shared_cdn.port, "/health", headers={"Host": "evil.example"}).status == 200


def test_known_hosts_are_matched_case_insensitively_and_with_a_port(shared_cdn: NginxCdn) -> None:
    for host in ("SHOP.example", "shop.example:8080", "shop.example."):
        assert request(shared_cdn.port, "/known-host.html", headers={"Host": host}).status == 200


def test_an_unknown_host_is_never_cached(shared_cdn: NginxCdn) -> None:
    stranger = b"GET /cached-for-strangers.html HTTP/1.1\r\nHost: evil.example\r\n\r\n"

    assert closed_without_answer(shared_cdn.port, stranger)
    assert request(shared_cdn.port, "/cached-for-strangers.html", headers=SHOP).cache_status == "MISS"
