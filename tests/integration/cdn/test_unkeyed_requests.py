"""Cache poisoning through what the cache key leaves out: headers and request bodies.

Each attack is two clients: the attacker sends something the key does not cover on a
miss; then a clean visitor asks for the same URL. The visitor must never get the poisoned
value, and the origin must never have received it.
"""

from __future__ import annotations

import pytest

from tests.integration.cdn.client import raw_request, request
from tests.integration.cdn.conftest import received
from tests.support.nginx_server import NginxCdn, OriginServer

SHOP = {"Host": "shop.example"}
# Headers frameworks read to build URLs, pick a route or a method, or name the visitor.
UNKEYED_HEADERS = {
    "X-Forwarded-Host": "evil.example",
    "X-Forwarded-Server": "evil.example",
    "X-Host": "evil.example",
    "X-Original-Host": "evil.example",
    "Forwarded": "host=evil.example;proto=https",
    "X-Original-URL": "/admin/poisoned",
    "X-Rewrite-URL": "/admin/poisoned",
    "X-HTTP-Method-Override": "DELETE",
    "X-HTTP-Method": "DELETE",
    "X-Method-Override": "DELETE",
    "X-Forwarded-Port": "31337",
    "X-Forwarded-Prefix": "/poisoned-prefix",
    "X-Forwarded-Scheme": "nothttp",
    "X-Forwarded-Proto": "nothttp",
    "X-Forwarded-For": "203.0.113.66",
    "X-Real-IP": "203.0.113.66",
    "X-Client-IP": "203.0.113.66",
    "True-Client-IP": "203.0.113.66",
    "CF-Connecting-IP": "203.0.113.66",
    "User-Agent": "poisoned-agent",
    "Accept-Language": "xx-POISON",
    "Accept": "application/poisoned",
    "Origin": "https://evil.example",
    "Referer": "https://evil.example/ref",
    "X-Requested-With": "poisoned-xhr",
}
# One path per content class: page, asset, image, fingerprinted asset, marked-cacheable API.
CLASS_PATHS = {
    "page": "/echo/{n}/index.html",
    "asset": "/static/echo/{n}/app.js",
    "image": "/img/echo/{n}/logo.png",
    "fingerprinted": "/static/echo/{n}/app.3f9a2c1b.js",
    "api": "/api/public/echo/{n}",
}


def _poisoned_values(reply_body: bytes, values: list[str]) -> list[str]:
    text = reply_body.decode("latin-1")
    return [value for value in values if value in text]


@pytest.mark.parametrize("content", CLASS_PATHS)
@pytest.mark.parametrize("header", UNKEYED_HEADERS)
def test_unkeyed_header_never_reaches_the_origin_nor_the_next_visitor(
    shared_cdn: NginxCdn, header: str, content: str
) -> None:
    path = CLASS_PATHS[content].format(n=f"{content}-{header.lower()}")
    value = UNKEYED_HEADERS[header]

    attacker = request(shared_cdn.port, path, headers={**SHOP, header: value}, source="127.0.0.2")
    shared_cdn.logged(path)
    victim = request(shared_cdn.port, path, headers=SHOP)

    assert attacker.status == 200
    # The attacker's miss shows what the origin received: not the value.
    assert _poisoned_values(attacker.body, [value]) == []
    assert victim.cache_status == "HIT"
    assert _poisoned_values(victim.body, [value]) == []


def test_the_origin_gets_only_allow_listed_headers_on_a_cacheable_request(shared_cdn: NginxCdn) -> None:
    sent = {**SHOP, **UNKEYED_HEADERS, "X-Custom-Debug": "1", "Cookie": "_ga=GA1.2.3"}

    reply = request(shared_cdn.port, "/echo/allow-list/index.html", headers=sent, source="127.0.0.3")

    seen = received(reply.body)["headers"]
    assert sorted(seen) == ["host", "x-forwarded-for", "x-forwarded-proto", "x-real-ip"]
    assert seen["host"] == "shop.example"
    assert (seen["x-forwarded-for"], seen["x-real-ip"], seen["x-forwarded-proto"]) == (
        "127.0.0.3",
        "127.0.0.3",
        "http",
    )


def _with_body(method: str, path: str, *framing: str, body: bytes) -> bytes:
    head = "\r\n".join([f"{method} {path} HTTP/1.1", "Host: shop.example", *framing, "Connection: close"])
    return head.encode() + b"\r\n\r\n" + body


@pytest.mark.parametrize(
    "method, framing, body",
    [
        ("GET", ("Content-Length: 13",), b"poisoned-body"),
        ("HEAD", ("Content-Length: 13",), b"poisoned-body"),
        ("GET", ("Transfer-Encoding: chunked",), b"d\r\npoisoned-body\r\n0\r\n\r\n"),
    ],
    ids=["get-content-length", "head-content-length", "get-chunked"],
)
def test_a_get_or_head_with_a_body_is_refused_and_never_forwarded(
    shared_cdn: NginxCdn, shared_origin: OriginServer, method: str, framing: tuple[str, ...], body: bytes
) -> None:
    path = f"/echo/with-body-{method.lower()}-{len(framing[0])}/index.html"

    status, _ = raw_request(shared_cdn.port, _with_body(method, path, *framing, body=body))
    shared_cdn.logged(path)
    victim = request(shared_cdn.port, path, headers=SHOP)

    assert status == 400
    assert victim.status == 200
    assert received(victim.body)["body"] == ""
    assert b"poisoned-body" not in victim.body
    # Only the visitor's own request reached the origin.
    assert shared_origin.hits[path] == 1


def test_an_empty_get_body_is_fine(shared_cdn: NginxCdn) -> None:
    status, reply = raw_request(
        shared_cdn.port, _with_body("GET", "/echo/empty-body/index.html", "Content-Length: 0", body=b"")
    )

    assert status == 200
    assert received(reply.split(b"\r\n\r\n", 1)[1])["body"] == ""


def test_a_post_body_and_its_headers_do_reach_the_origin(shared_cdn: NginxCdn) -> None:
    reply = request(
        shared_cdn.port,
        "/api/echo/orders",
        method="POST",
        body=b'{"sku": 1}',
        headers={**SHOP, "Content-Type": "application/json", "X-CSRF-Token": "t0k3n", "X-Original-URL": "/x"},
    )
    seen = received(reply.body)

    assert reply.status == 200
    assert (seen["method"], seen["body"]) == ("POST", '{"sku": 1}')
    assert seen["headers"]["content-type"] == "application/json"
    assert seen["headers"]["x-csrf-token"] == "t0k3n"
    assert "x-original-url" not in seen["headers"]
