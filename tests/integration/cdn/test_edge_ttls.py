"""What Cloudflare keeps: production's CDN tier on a real NGINX, its answers judged by the edge.

Production's cache rules respect the origin, and the origin Cloudflare sees is this tier: each
answer it sends is judged by the rules production declares (tests/support/cloudflare_rules) and
Cloudflare's documented storage rules (tests/support/cloudflare_storage).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from components.edge.rules import OriginFacts, phase_rules
from components.settings import Settings, load_settings
from tests.integration.cdn.client import Reply, request
from tests.integration.cdn.conftest import cdn_settings
from tests.support.cloudflare_rules import EdgeRequest, decide_cache
from tests.support.cloudflare_storage import edge_ttl
from tests.support.nginx_server import NginxCdn, OriginServer, nginx_cdn
from tests.support.stacks import stack_config

HOST = "www.technovastore.com"
EDGE_HEADER = "cloudflare-cdn-cache-control"
YEAR = 365 * 86400


@pytest.fixture(scope="module")
def production() -> Settings:
    return load_settings(stack_config("production"), "production")


@pytest.fixture(scope="module")
def production_tier(shared_origin: OriginServer, production: Settings) -> Iterator[NginxCdn]:
    with nginx_cdn(production.cdn_tier, shared_origin.port) as instance:
        yield instance


def _visit(cdn: NginxCdn, path: str) -> Reply:
    return request(cdn.port, path, headers={"Host": HOST})


def _kept_for(production: Settings, path: str, reply: Reply) -> int | None:
    """How long Cloudflare keeps this answer to an anonymous GET of ``path``."""
    origin = OriginFacts(production.cdn.session_cookies, production.cdn.api_prefix)
    rules = phase_rules(production.cloudflare, origin)["cache"]
    decision = decide_cache(rules, EdgeRequest(url=f"https://{HOST}{path}", method="GET", headers=()))
    return edge_ttl(decision, reply.status, reply.headers)


@pytest.mark.parametrize("path", ["/products/1001", "/api/products/1001"])
def test_a_product_the_origin_said_nothing_about_is_kept_for_the_product_edge_ttl(
    production_tier: NginxCdn, production: Settings, path: str
) -> None:
    product_edge_ttl = production.cloudflare.product_edge_ttl(production.cache_ttl.product)

    first, again = _visit(production_tier, path), _visit(production_tier, path)

    assert first.headers[EDGE_HEADER] == f"max-age={product_edge_ttl}"
    assert _kept_for(production, path, first) == product_edge_ttl == 3600
    # A hit answers as its miss did (the API is not stored here: it only says so again).
    assert again.headers[EDGE_HEADER] == first.headers[EDGE_HEADER]


@pytest.mark.parametrize(
    "path",
    [
        "/products/setcookie/1002",
        "/products/private/1003",
        "/products/nostore/1004",
        "/products/nocache/1005",
        "/api/products/setcookie/1006",
        "/static/nostore/app-3f9a2c1bde.js",
        "/static/setcookie/logo.png",
    ],
)
def test_an_answer_the_origin_keeps_private_is_never_kept_at_the_edge(
    production_tier: NginxCdn, production: Settings, path: str
) -> None:
    reply = _visit(production_tier, path)

    assert reply.status == 200
    assert EDGE_HEADER not in reply.headers
    assert _kept_for(production, path, reply) is None, reply.headers


def test_static_assets_are_kept_for_the_static_edge_ttl_or_as_long_as_their_name_lasts(
    production_tier: NginxCdn, production: Settings
) -> None:
    plain = "/static/site.css"
    fingerprinted = "/static/app-3f9a2c1bde.js"

    assert _kept_for(production, plain, _visit(production_tier, plain)) == 30 * 86400
    assert production.cloudflare.cache.static_edge_ttl == 30 * 86400
    for reply in (_visit(production_tier, fingerprinted), _visit(production_tier, fingerprinted)):
        assert EDGE_HEADER not in reply.headers  # its own Cache-Control says a year
        assert _kept_for(production, fingerprinted, reply) == YEAR


def test_redirects_errors_and_health_state_no_edge_ttl(production_tier: NginxCdn) -> None:
    for path in ("/products/redirect-302/1007", "/status/404", "/status/503", "/health"):
        reply = _visit(production_tier, path)
        assert EDGE_HEADER not in reply.headers, (path, reply.status)


def test_without_cloudflare_in_front_no_edge_ttl_is_stated(shared_origin: OriginServer) -> None:
    with nginx_cdn(cdn_settings(), shared_origin.port) as review_tier:
        reply = request(review_tier.port, "/products/1009", headers={"Host": "shop.example"})

    assert reply.status == 200
    assert EDGE_HEADER not in reply.headers
