"""One visitor's answer never reaches another: what the CDN must never store or re-serve."""

from __future__ import annotations

import pytest

from tests.integration.cdn.client import Reply, raw_request, request
from tests.integration.cdn.conftest import received
from tests.support.nginx_server import NginxCdn, OriginServer

SHOP = {"Host": "shop.example"}
IMMUTABLE = "public, max-age=31536000, immutable"


def _twice(cdn: NginxCdn, path: str, first_headers: dict[str, str] | None = None) -> tuple[Reply, Reply]:
    first = request(cdn.port, path, headers={**SHOP, **(first_headers or {})}, source="127.0.0.2")
    cdn.logged(path)
    second = request(cdn.port, path, headers=SHOP)
    return first, second


@pytest.mark.parametrize(
    "path, origin_cache_control",
    [
        ("/nostore/avatar-0123456789.png", "no-store"),
        ("/nostore/app.3f9a2c1b.js", "no-store"),
        ("/private/logo.0a1b2c3d4e.png", "private, max-age=600"),
        ("/nocache/main.3f9a2c1bd.css", "no-cache"),
        ("/private/page.html", "private, max-age=600"),
        ("/nostore/styles.css", "no-store"),
        ("/api/nostore/orders", "no-store"),
    ],
)
def test_the_origins_private_or_no_store_wins_over_every_ttl(
    shared_cdn: NginxCdn, shared_origin: OriginServer, path: str, origin_cache_control: str
) -> None:
    first, second = _twice(shared_cdn, path)

    assert [first.cache_status, second.cache_status] == ["MISS", "MISS"]
    assert second.headers["cache-control"] == origin_cache_control
    assert shared_origin.hits[path] == 2


def test_a_plain_number_is_not_a_fingerprint(shared_cdn: NginxCdn) -> None:
    number = request(shared_cdn.port, "/static/avatar-0123456789.png", headers=SHOP)
    short = request(shared_cdn.port, "/static/app.3f9a2c1.js", headers=SHOP)
    upper = request(shared_cdn.port, "/static/app.3F9A2C1B.js", headers=SHOP)
    hashed = request(shared_cdn.port, "/static/app.3f9a2c1b.js", headers=SHOP)

    assert "cache-control" not in number.headers
    assert "cache-control" not in short.headers
    assert "cache-control" not in upper.headers
    assert hashed.headers["cache-control"] == IMMUTABLE


@pytest.mark.parametrize("code", [301, 302, 307, 308])
def test_redirects_never_get_immutable_nor_a_years_ttl(
    shared_cdn: NginxCdn, shared_origin: OriginServer, code: int
) -> None:
    path = f"/static/redirect-{code}/app.3f9a2c1b.js"
    first, second = _twice(shared_cdn, path)

    assert first.status == second.status == code
    assert "immutable" not in first.headers.get("cache-control", "")
    assert second.cache_status == "MISS"
    assert shared_origin.hits[path] == 2


def test_an_answer_that_sets_a_cookie_is_never_stored_even_fingerprinted(
    shared_cdn: NginxCdn, shared_origin: OriginServer
) -> None:
    path = "/setcookie/app.3f9a2c1b.js"
    _, second = _twice(shared_cdn, path)

    assert second.cache_status == "MISS"
    assert "immutable" not in second.headers.get("cache-control", "")
    assert shared_origin.hits[path] == 2


# How a session cookie may be spelled: frameworks trim names and split on ';' (some on ',').
SIGNED_IN_COOKIES = {
    "exact": "tns_session=VICTIM-SECRET",
    "space before =": "tns_session =VICTIM-SECRET",
    "tab and spaces": "theme=dark;\ttns_session = VICTIM-SECRET",
    "upper case": "TNS_SESSION=VICTIM-SECRET",
    "comma separated": "theme=dark,tns_session=VICTIM-SECRET",
    "express": "connect.sid=s%3AVICTIM-SECRET",
    "django": "csrftoken=x; sessionid=VICTIM-SECRET",
    "php": "PHPSESSID=VICTIM-SECRET",
    "java": "JSESSIONID=VICTIM-SECRET",
    "laravel": "laravel_session=VICTIM-SECRET",
    "rails": "_session_id=VICTIM-SECRET",
    "asp.net": "ASP.NET_SessionId=VICTIM-SECRET",
}
CONTENT = {
    "page": "/echo/{n}/account.html",
    "asset": "/static/echo/{n}/profile.js",
    "fingerprinted": "/static/echo/{n}/profile.3f9a2c1b.js",
    "api": "/api/public/echo/{n}/me",
}


def _assert_kept_private(cdn: NginxCdn, path: str, sent: dict[str, str], secret: str) -> None:
    """``sent`` makes the request private: it bypasses the cache and nothing of it is stored."""
    private, anonymous = _twice(cdn, path, sent)

    assert private.cache_status == "BYPASS"
    # The private request reached the origin with what it carried (the app needs it)...
    seen = received(private.body)["headers"]
    assert all(secret in seen[name.lower()] for name in sent)
    # ...and nothing of it was stored for the anonymous visitor.
    assert anonymous.cache_status == "MISS"
    assert secret.encode() not in anonymous.body


@pytest.mark.parametrize("content", CONTENT)
@pytest.mark.parametrize("spelling", SIGNED_IN_COOKIES)
def test_a_signed_in_answer_never_reaches_an_anonymous_visitor(
    shared_cdn: NginxCdn, spelling: str, content: str
) -> None:
    path = CONTENT[content].format(n=f"{content}-{spelling.replace(' ', '-')}")

    _assert_kept_private(shared_cdn, path, {"Cookie": SIGNED_IN_COOKIES[spelling]}, "VICTIM-SECRET")


@pytest.mark.parametrize("content", ["page", "api"])
def test_pages_and_api_answers_are_never_cached_for_a_request_with_any_other_cookie(
    shared_cdn: NginxCdn, content: str
) -> None:
    path = CONTENT[content].format(n=f"{content}-other-cookie")

    _assert_kept_private(shared_cdn, path, {"Cookie": "cart_id=VICTIM-CART"}, "VICTIM-CART")


@pytest.mark.parametrize("content", ["page", "asset"])
def test_harmless_cookies_are_stripped_and_the_answer_shared(shared_cdn: NginxCdn, content: str) -> None:
    path = CONTENT[content].format(n=f"{content}-harmless")
    with_cookie, anonymous = _twice(
        shared_cdn, path, {"Cookie": "_ga=GA1.2.VISITOR; _ga_ABC123=GS1.1.VISITOR"}
    )

    assert with_cookie.cache_status == "MISS"
    assert "cookie" not in received(with_cookie.body)["headers"]
    assert anonymous.cache_status == "HIT"
    assert b"VISITOR" not in anonymous.body


def test_assets_are_shared_but_other_cookies_never_reach_the_origin(shared_cdn: NginxCdn) -> None:
    path = "/static/echo/asset-cookie/app.js"
    with_cookie, anonymous = _twice(shared_cdn, path, {"Cookie": "cart_id=VICTIM-CART"})

    assert "cookie" not in received(with_cookie.body)["headers"]
    assert anonymous.cache_status == "HIT"
    assert b"VICTIM-CART" not in anonymous.body


@pytest.mark.parametrize("content", CONTENT)
def test_authorization_is_private_everywhere(shared_cdn: NginxCdn, content: str) -> None:
    path = CONTENT[content].format(n=f"{content}-authorization")

    _assert_kept_private(shared_cdn, path, {"Authorization": "Bearer VICTIM-TOKEN"}, "VICTIM-TOKEN")


def test_a_session_cookie_in_a_second_cookie_header_is_found(shared_cdn: NginxCdn) -> None:
    path = "/static/echo/two-cookie-headers/profile.js"
    payload = (
        f"GET {path} HTTP/1.1\r\nHost: shop.example\r\nCookie: theme=dark\r\n"
        "Cookie: tns_session=VICTIM-SECRET\r\nConnection: close\r\n\r\n"
    ).encode()

    _, reply = raw_request(shared_cdn.port, payload)
    shared_cdn.logged(path)
    anonymous = request(shared_cdn.port, path, headers=SHOP)

    assert b"X-Cache-Status: BYPASS" in reply
    assert anonymous.cache_status == "MISS"
    assert b"VICTIM-SECRET" not in anonymous.body
