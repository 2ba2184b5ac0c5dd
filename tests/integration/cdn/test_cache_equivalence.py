"""Property: whatever anyone sent before, a clean visitor gets what the origin gives a clean visitor.

Two NGINX instances with the same config share one origin. Each generated request (method,
path spelling, headers, cookies, credentials, body) goes to the first; then a clean visitor
asks both for the same URL. The second instance has never seen that URL, so its answer is
the origin's answer to a clean visitor; the first may answer from its cache, and must give
the same. All clients share one address: the visitor's address is forwarded on purpose
(X-Forwarded-For), the rest of the request is what is generated.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.cdn.client import Reply, request
from tests.integration.cdn.conftest import UNLIMITED, cdn_settings
from tests.support.nginx_server import NginxCdn, OriginServer, nginx_cdn

BASES = [
    "/echo/{n}/page.html",
    "/echo/{n}/",
    "/static/echo/{n}/app.js",
    "/img/echo/{n}/logo.png",
    "/static/echo/{n}/app.3f9a2c1b.js",
    "/static/echo/{n}/avatar-0123456789.png",
    "/api/echo/{n}/orders",
    "/api/public/echo/{n}/catalog",
]
MARKERS = ["", "/setcookie", "/private", "/nostore", "/nocache", "/public", "/redirect-302", "/redirect-301"]
SPELLINGS = [
    lambda p: p,
    lambda p: p.replace("/api/", "/API/"),
    lambda p: p.replace("/api/", "/Api/").replace("/echo/", "/ECHO/"),
    lambda p: p.replace("/echo/", "/echo;x=1/"),
    lambda p: p.replace("/echo/", "//echo/"),
    lambda p: p.replace("/echo/", "/./echo/"),
    lambda p: p.replace("/echo/", "/x/../echo/"),
    lambda p: p.replace("/echo/", "/%65cho/"),
    lambda p: p.replace("/echo/", "/echo%2f"),
    lambda p: p + "?q=1",
    lambda p: p + "?q=..%2f&r=;",
]
HEADER_NAMES = [
    "X-Forwarded-Host",
    "X-Original-URL",
    "X-Rewrite-URL",
    "X-HTTP-Method-Override",
    "X-Forwarded-Port",
    "X-Forwarded-Prefix",
    "X-Forwarded-Proto",
    "X-Forwarded-For",
    "Forwarded",
    "CF-Connecting-IP",
    "User-Agent",
    "Accept",
    "Accept-Language",
    "Origin",
    "Referer",
    "X-Requested-With",
    "X-CSRF-Token",
    "Content-Type",
    "Range",
    "If-None-Match",
    "Cache-Control",
    "Pragma",
]
COOKIE_NAMES = [
    "tns_session",
    "TNS_SESSION",
    "connect.sid",
    "sessionid",
    "_ga",
    "_ga_X1",
    "_gid",
    "cart",
    "theme",
]
VALUES = st.sampled_from(["evil.example", "/admin", "DELETE", "31337", "https", "bytes=0-1", "*", "poison"])
SEPARATORS = st.sampled_from(["; ", ";", ", ", " ; ", ";\t"])


@st.composite
def cookie_headers(draw: st.DrawFn) -> str:
    names = draw(st.lists(st.sampled_from(COOKIE_NAMES), min_size=1, max_size=3))
    spacing = draw(st.sampled_from(["", " "]))
    pairs = [f"{name}{spacing}={draw(VALUES)}" for name in names]
    return draw(SEPARATORS).join(pairs)


@dataclass(frozen=True)
class Attack:
    path: str
    spelling: int
    method: str
    headers: dict[str, str]
    body: bytes | None

    def target(self, serial: int) -> str:
        return SPELLINGS[self.spelling](self.path.format(n=serial))


@st.composite
def attacks(draw: st.DrawFn) -> Attack:
    base = draw(st.sampled_from(BASES))
    marker = draw(st.sampled_from(MARKERS))
    path = base.replace("/echo/", f"{marker}/echo/", 1) if marker else base
    headers = {name: draw(VALUES) for name in draw(st.lists(st.sampled_from(HEADER_NAMES), max_size=4))}
    if draw(st.booleans()):
        headers["Cookie"] = draw(cookie_headers())
    if draw(st.integers(0, 4)) == 0:
        headers["Authorization"] = "Bearer poison"
    headers["Host"] = draw(st.sampled_from(["shop.example", "SHOP.example", "shop.example:8080"]))
    return Attack(
        path=path,
        spelling=draw(st.sampled_from(range(len(SPELLINGS)))),
        method=draw(st.sampled_from(["GET", "GET", "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"])),
        headers=headers,
        body=draw(st.sampled_from([None, None, b"poison-body"])),
    )


@pytest.fixture(scope="module")
def twins(shared_origin: OriginServer) -> Iterator[tuple[NginxCdn, NginxCdn]]:
    config = cdn_settings(**UNLIMITED)
    with nginx_cdn(config, shared_origin.port) as attacked, nginx_cdn(config, shared_origin.port) as fresh:
        yield attacked, fresh


SERIAL = itertools.count()
COMPARED_HEADERS = ("content-type", "cache-control", "set-cookie", "location", "content-length")


def _visible(reply: Reply) -> tuple[object, ...]:
    return (reply.status, reply.body, *(reply.headers.get(name) for name in COMPARED_HEADERS))


@settings(
    max_examples=300,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(attack=attacks())
def test_a_clean_visitor_gets_what_the_origin_gives_a_clean_visitor(
    twins: tuple[NginxCdn, NginxCdn], attack: Attack
) -> None:
    attacked, fresh = twins
    path = attack.target(next(SERIAL))
    request(attacked.port, path, method=attack.method, headers=attack.headers, body=attack.body)
    attacked.logged(path)

    cached = request(attacked.port, path, headers={"Host": "shop.example"})
    origin_answer = request(fresh.port, path, headers={"Host": "shop.example"})

    assert _visible(cached) == _visible(origin_answer), (attack, path, cached.cache_status)
    assert b"poison" not in cached.body and b"evil.example" not in cached.body
