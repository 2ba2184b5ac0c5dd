"""Hostile or malformed requests get a 4xx, never a 5xx, and NGINX keeps serving."""

from __future__ import annotations

import pytest

from tests.integration.cdn.client import raw_request, request
from tests.support.nginx_server import NginxCdn, OriginServer


def _get(target: str, *headers: str, method: str = "GET") -> bytes:
    lines = [f"{method} {target} HTTP/1.1", *headers, "Connection: close", "", ""]
    return "\r\n".join(lines).encode("latin-1")


BAD_REQUESTS = {
    "traversal": (_get("/../../etc/passwd", "Host: shop.example"), {400}),
    "encoded traversal": (_get("/%2e%2e/%2e%2e/etc/passwd", "Host: shop.example"), {400}),
    "encoded slash traversal": (_get("/static/..%2f..%2f..%2fetc/passwd", "Host: shop.example"), {400}),
    "null byte": (_get("/index.html%00.js", "Host: shop.example"), {400}),
    "oversized uri": (_get("/" + "a" * 9000, "Host: shop.example"), {414}),
    "oversized header": (_get("/", "Host: shop.example", "X-Big: " + "b" * 9000), {400}),
    "oversized cookie": (_get("/", "Host: shop.example", "Cookie: c=" + "c" * 9000), {400}),
    "unknown method": (_get("/", "Host: shop.example", method="FOO"), {405}),
    "trace": (_get("/", "Host: shop.example", method="TRACE"), {405}),
    "webdav method": (_get("/", "Host: shop.example", method="PROPFIND"), {405}),
    "lower-case method": (_get("/", "Host: shop.example", method="get"), {400}),
    "missing host": (_get("/"), {400}),
    "bad host": (_get("/", "Host: bad host/../x"), {400}),
    "two hosts": (_get("/", "Host: a", "Host: b"), {400}),
    "body too large": (
        _get("/upload", "Host: shop.example", "Content-Length: 104857600", method="POST"),
        {413},
    ),
    "garbage": (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", {400}),
}
# The one 5xx bad input can earn: NGINX's request-line parser answers an unknown HTTP major
# version with 505 before any configurable phase (error_page there turns it into a 500).
UNSUPPORTED_VERSION = b"GET / HTTP/9.9\r\nHost: shop\r\n\r\n"


@pytest.mark.parametrize("payload, expected", BAD_REQUESTS.values(), ids=BAD_REQUESTS.keys())
def test_bad_requests_get_a_client_error(cdn: NginxCdn, payload: bytes, expected: set[int]) -> None:
    status, _ = raw_request(cdn.port, payload)

    assert status in expected
    assert cdn.alive()
    assert request(cdn.port, "/health").status == 200


def test_unsupported_http_version_is_505_and_harmless(cdn: NginxCdn) -> None:
    status, _ = raw_request(cdn.port, UNSUPPORTED_VERSION)

    assert status == 505
    assert request(cdn.port, "/health").status == 200


def test_bad_requests_never_reach_the_origin(cdn: NginxCdn, origin: OriginServer) -> None:
    for payload, _ in BAD_REQUESTS.values():
        raw_request(cdn.port, payload)

    assert sum(origin.hits.values()) == 0
    assert request(cdn.port, "/index.html").status == 200
