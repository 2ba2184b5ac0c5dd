"""The cache rules each stack declares, evaluated the way Cloudflare evaluates them.

Every matching rule applies in order and the last one to set a setting wins, after Cloudflare's
URL normalization (tests/support/cloudflare_rules.py reads both from Cloudflare's docs). The
question for each request: does a visitor's private answer become cacheable for everyone?
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.edge.rules import OriginFacts, phase_rules
from components.settings import Settings, load_settings
from tests.support.cloudflare_rules import (
    CacheDecision,
    EdgeRequest,
    Expression,
    decide_cache,
    normalize_path,
)
from tests.support.cloudflare_storage import edge_ttl
from tests.support.stacks import STACKS, stack_config

SESSION_COOKIES = ["tns_session", "connect.sid"]


def stack_settings(stack: str) -> Settings:
    config = stack_config(stack)
    cdn = json.loads(config.get("technovastore-scaling:cdn", "{}"))
    config["technovastore-scaling:cdn"] = json.dumps({**cdn, "sessionCookies": SESSION_COOKIES})
    return load_settings(config, stack)


def declared_cache_rules(settings: Settings) -> list[dict[str, Any]]:
    """The cache rules exactly as the edge component declares them for ``settings``."""
    origin = OriginFacts(settings.cdn.session_cookies, settings.cdn.api_prefix)
    return phase_rules(settings.cloudflare, origin)["cache"]


def decide(stack: str, request: EdgeRequest) -> CacheDecision:
    return decide_cache(declared_cache_rules(stack_settings(stack)), request)


def zone(stack: str) -> str:
    return str(stack_settings(stack).cloudflare.zone_name)


def get(url: str, *headers: tuple[str, str], method: str = "GET") -> EdgeRequest:
    return EdgeRequest(url=url, method=method, headers=headers)


SIGNED_IN = ("Cookie", "theme=dark; tns_session=8f14e45fceea167a")

# (description, request builder taking the zone name) -> never eligible for cache.
PRIVATE: list[tuple[str, Any]] = [
    ("signed-in /account/orders.css", lambda z: get(f"https://www.{z}/account/orders.css", SIGNED_IN)),
    ("signed-in /api/orders/x.js", lambda z: get(f"https://www.{z}/api/orders/x.js", SIGNED_IN)),
    ("anonymous /api/orders/x.js", lambda z: get(f"https://www.{z}/api/orders/x.js")),
    ("static host, session cookie", lambda z: get(f"https://static.{z}/logo.png", SIGNED_IN)),
    ("static host, private path", lambda z: get(f"https://static.{z}/account/orders")),
    ("signed-in static asset", lambda z: get(f"https://www.{z}/static/app.3f9a2c1b.js", SIGNED_IN)),
    ("signed-in product page", lambda z: get(f"https://www.{z}/products/42", SIGNED_IN)),
    ("Authorization header", lambda z: get(f"https://www.{z}/products/42", ("Authorization", "Bearer t0k"))),
    ("HTTP/2 lowercase authorization", lambda z: get(f"https://{z}/a.css", ("authorization", "Basic e"))),
    ("empty Authorization", lambda z: get(f"https://www.{z}/api/products/1", ("Authorization", ""))),
    ("cookie name then a space", lambda z: get(f"https://www.{z}/a.css", ("Cookie", "tns_session =V"))),
    ("second session cookie", lambda z: get(f"https://www.{z}/a.js", ("Cookie", "connect.sid=s%3Aabc"))),
    ("session cookie in upper case", lambda z: get(f"https://www.{z}/a.js", ("Cookie", "TNS_SESSION=v"))),
    ("/API/ spelled in capitals", lambda z: get(f"https://www.{z}/API/orders/x.js")),
    ("/Account/ with a capital", lambda z: get(f"https://www.{z}/Account/orders.css")),
    ("double slash", lambda z: get(f"https://www.{z}//account/orders.css")),
    ("backslash", lambda z: get(f"https://www.{z}/account\\orders.css")),
    ("dot segments out of /static/", lambda z: get(f"https://www.{z}/static/../account/orders.css")),
    ("encoded letter", lambda z: get(f"https://www.{z}/%61ccount/orders.css")),
    ("dot segments out of product API", lambda z: get(f"https://www.{z}/api/products/../orders/x.js")),
    ("API write", lambda z: get(f"https://www.{z}/api/products/42", method="POST")),
    ("API write, lower-case path trick", lambda z: get(f"https://www.{z}/Api/products/42", method="PUT")),
    ("other API read", lambda z: get(f"https://www.{z}/api/recommendations/x.js")),
    ("cart script", lambda z: get(f"https://www.{z}/cart/summary.js")),
    ("checkout", lambda z: get(f"https://www.{z}/checkout")),
]

# (description, request builder, expected edge TTL setting name) -> cached for everyone.
PUBLIC: list[tuple[str, Any, str]] = [
    ("fingerprinted script", lambda z: get(f"https://www.{z}/static/app.3f9a2c1b.js"), "static"),
    ("image under /images/", lambda z: get(f"https://www.{z}/images/banner.webp"), "static"),
    ("static host", lambda z: get(f"https://static.{z}/logo.png"), "static"),
    ("harmless cookie", lambda z: get(f"https://www.{z}/static/app.css", ("Cookie", "theme=dark")), "static"),
    ("product page", lambda z: get(f"https://www.{z}/products/42"), "product"),
    ("product API read", lambda z: get(f"https://{z}/api/products/42"), "product"),
    ("product API HEAD", lambda z: get(f"https://{z}/api/products/42", method="HEAD"), "product"),
]


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize(("case", "request_for"), PRIVATE, ids=[case for case, _ in PRIVATE])
def test_private_requests_are_never_cacheable(stack: str, case: str, request_for: Any) -> None:
    decision = decide(stack, request_for(zone(stack)))
    assert decision.eligible is False, f"{case}: cached after rules {decision.matched}"
    assert decision.matched[-1] == "bypass_private"


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize(("case", "request_for", "ttl"), PUBLIC, ids=[case for case, _, _ in PUBLIC])
def test_public_requests_are_cached_with_deception_armor(
    stack: str, case: str, request_for: Any, ttl: str
) -> None:
    settings = stack_settings(stack)
    decision = decide(stack, request_for(zone(stack)))
    # What the CDN tier states for an answer its origin said nothing about.
    stated = settings.cdn_tier.edge_ttls
    assert stated is not None
    expected = {"static": settings.cloudflare.cache.static_edge_ttl, "product": stated.page}
    tier_ttl = {"static": stated.asset, "product": stated.page}[ttl]

    assert decision.eligible is True, f"{case}: not cached (rules {decision.matched})"
    assert edge_ttl(decision, 200, {"Cloudflare-CDN-Cache-Control": f"max-age={tier_ttl}"}) == expected[ttl]
    assert stated.page == settings.cloudflare.product_edge_ttl(settings.cache_ttl.product)
    assert decision.deception_armor, f"{case}: cached without Cache Deception Armor"


PAST = "Thu, 01 Jan 1970 00:00:00 GMT"
# An origin's answer that is one visitor's, or that must not be reused without asking it.
NOT_FOR_EVERYONE = [
    {"Set-Cookie": "tns_session=new; Path=/; HttpOnly"},
    {"Set-Cookie": "csrf=9f2; Path=/", "Cache-Control": "public, max-age=600"},
    {"Cache-Control": "private, max-age=600"},
    {"Cache-Control": "no-store"},
    {"Cache-Control": "no-cache"},
    {"Cache-Control": "max-age=0"},
    {"Expires": PAST},
]


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize(("case", "request_for", "ttl"), PUBLIC, ids=[case for case, _, _ in PUBLIC])
@pytest.mark.parametrize("answer", NOT_FOR_EVERYONE, ids=[next(iter(a.values())) for a in NOT_FOR_EVERYONE])
def test_the_edge_never_stores_what_the_origin_keeps_private(
    stack: str, case: str, request_for: Any, ttl: str, answer: dict[str, str]
) -> None:
    # An overriding edge TTL would store all of these (stripping the Set-Cookie): the page
    # that set one visitor's cookie, or carries their CSRF token, served to everyone.
    decision = decide(stack, request_for(zone(stack)))

    assert edge_ttl(decision, 200, answer) is None, f"{case}: {answer} stored by rules {decision.matched}"


def test_every_rule_that_makes_a_response_cacheable_turns_on_deception_armor() -> None:
    rules = declared_cache_rules(stack_settings("production"))
    cacheable = [rule for rule in rules if rule["action_parameters"].get("cache") is True]
    assert cacheable
    assert all(rule["action_parameters"]["cache_key"]["cache_deception_armor"] for rule in cacheable)


@pytest.mark.parametrize(
    ("path", "normalized"),
    [
        # Cloudflare's documented example: /%68ello//pa\th -> /hello/pa/th
        ("/%68ello//pa\\th", "/hello/pa/th"),
        ("/a/./b/../c", "/a/c"),
        ("/a/%2e%2e/b", "/b"),
        ("/a%2fb", "/a%2Fb"),  # reserved characters stay encoded
    ],
)
def test_url_normalization_follows_cloudflares_examples(path: str, normalized: str) -> None:
    assert normalize_path(path) == normalized


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('not http.request.method in {"GET" "HEAD"} and true', True),
        ('http.request.method eq "GET" or http.request.method eq "POST" and false', False),
        ('not (http.request.method eq "POST" or false)', False),
        ('any(lower(http.request.headers.names[*])[*] eq "x-test")', True),
        ('len(http.request.headers["x-test"]) > 0', True),
        ('len(http.request.headers["absent"]) > 0', False),
        ('http.cookie contains "a\\"b"', False),
    ],
)
def test_the_expression_reader_follows_the_documented_precedence(expression: str, expected: bool) -> None:
    fields = get("https://example.com/", ("X-Test", "1"), method="POST").fields()
    assert Expression(expression).matches(fields) is expected
