"""Security headers on every response, errors included; no NGINX version anywhere."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from components.render.nginx_site import security_header_values
from tests.integration.cdn.client import Reply, raw_request, request
from tests.integration.cdn.conftest import cdn_settings
from tests.support.nginx_server import NginxCdn, OriginServer, nginx_cdn

SETTINGS = cdn_settings(rateLimit={"requestsPerSecond": 1, "burst": 2})
EXPECTED = {name.lower(): value for name, value in security_header_values(SETTINGS.security_headers).items()}
VERSION = re.compile(rb"nginx/\d|1\.2\d\.\d")


@pytest.fixture
def strict_cdn(origin: OriginServer) -> Iterator[NginxCdn]:
    with nginx_cdn(SETTINGS, origin.port) as instance:
        yield instance


def assert_protected(reply: Reply) -> None:
    for name, value in EXPECTED.items():
        assert reply.headers.get(name) == value, f"{name} on a {reply.status}"
    assert not VERSION.search(reply.headers.get("server", "").encode())
    assert not VERSION.search(reply.body)


def test_headers_on_200_and_404(strict_cdn: NginxCdn) -> None:
    ok = request(strict_cdn.port, "/index.html")
    missing = request(strict_cdn.port, "/missing/page.html")

    assert (ok.status, missing.status) == (200, 404)
    assert_protected(ok)
    assert_protected(missing)


def test_headers_on_429(strict_cdn: NginxCdn) -> None:
    replies = [request(strict_cdn.port, "/static/app.js", source="127.0.0.9") for _ in range(6)]
    limited = [r for r in replies if r.status == 429]

    assert limited, [r.status for r in replies]
    for reply in limited:
        assert_protected(reply)


def test_headers_on_502_when_the_origin_is_down(strict_cdn: NginxCdn, origin: OriginServer) -> None:
    origin.stop()
    reply = request(strict_cdn.port, "/never-cached.html")

    assert reply.status == 502
    assert_protected(reply)


def test_headers_on_405_and_on_immutable_assets(strict_cdn: NginxCdn) -> None:
    rejected = request(strict_cdn.port, "/index.html", method="TRACE")
    immutable = request(strict_cdn.port, "/static/app.0123abcd.css")

    assert (rejected.status, immutable.status) == (405, 200)
    assert_protected(rejected)
    assert_protected(immutable)


def test_no_version_in_nginx_generated_errors(strict_cdn: NginxCdn) -> None:
    status, reply = raw_request(strict_cdn.port, b"GET /x HTTP/1.1\r\n\r\n")  # no Host: 400

    assert status == 400
    assert not VERSION.search(reply)


def test_headers_on_refusals(strict_cdn: NginxCdn) -> None:
    ambiguous = request(strict_cdn.port, "/api;x/orders", source="127.0.0.10")
    hidden = request(strict_cdn.port, "/.env", source="127.0.0.11")
    redirect = request(strict_cdn.port, "/api", source="127.0.0.12")

    assert (ambiguous.status, hidden.status, redirect.status) == (400, 403, 301)
    for reply in (ambiguous, hidden, redirect):
        assert_protected(reply)
