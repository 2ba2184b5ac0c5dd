"""Who the visitor is: only trusted proxies may say so, and limits count real visitors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.cdn.client import Reply, request
from tests.integration.cdn.conftest import cdn_settings, received
from tests.support.nginx_server import NginxCdn, OriginServer, nginx_cdn

# 127.0.0.1 stands for a Cloudflare edge; other loopback addresses are direct clients.
EDGE = "127.0.0.1"
BURST = 3
BEHIND_EDGE = {
    "trustedProxies": [f"{EDGE}/32"],
    "realIpHeader": "CF-Connecting-IP",
    "rateLimit": {"requestsPerSecond": 1, "burst": BURST},
}


@pytest.fixture
def edge_cdn(origin: OriginServer) -> Iterator[NginxCdn]:
    with nginx_cdn(cdn_settings(**BEHIND_EDGE), origin.port) as instance:
        yield instance


def _via_edge(cdn: NginxCdn, path: str, visitor: str, **headers: str) -> Reply:
    return request(
        cdn.port, path, headers={"Host": "shop.example", "CF-Connecting-IP": visitor, **headers}, source=EDGE
    )


def test_the_edge_names_the_visitor_to_the_origin_and_the_log(edge_cdn: NginxCdn) -> None:
    reply = _via_edge(edge_cdn, "/echo/visitor.html", "198.51.100.7", **{"X-Forwarded-For": "203.0.113.9"})
    seen = received(reply.body)["headers"]

    assert (seen["x-forwarded-for"], seen["x-real-ip"]) == ("198.51.100.7", "198.51.100.7")
    entry = edge_cdn.logged("/echo/visitor.html")[-1]
    assert (entry["remote_addr"], entry["peer"]) == ("198.51.100.7", EDGE)


def test_a_client_that_is_not_a_trusted_proxy_cannot_name_itself(edge_cdn: NginxCdn) -> None:
    reply = request(
        edge_cdn.port,
        "/echo/spoofed.html",
        headers={
            "Host": "shop.example",
            "CF-Connecting-IP": "198.51.100.7",
            "X-Forwarded-For": "198.51.100.7",
        },
        source="127.0.0.5",
    )
    seen = received(reply.body)["headers"]

    assert (seen["x-forwarded-for"], seen["x-real-ip"]) == ("127.0.0.5", "127.0.0.5")


def test_rate_limits_count_each_visitor_behind_the_same_edge(edge_cdn: NginxCdn) -> None:
    heavy = [_via_edge(edge_cdn, "/static/app.js", "198.51.100.1").status for _ in range(BURST + 4)]
    others = [_via_edge(edge_cdn, "/static/app.js", f"198.51.100.{n}").status for n in (2, 3, 4)]

    assert heavy[: BURST + 1] == [200] * (BURST + 1)
    assert heavy[-1] == 429
    # The heavy visitor does not starve everyone else who shares the edge.
    assert others == [200, 200, 200]


def test_a_direct_client_cannot_escape_its_limit_by_naming_other_addresses(edge_cdn: NginxCdn) -> None:
    statuses = [
        request(
            edge_cdn.port,
            "/static/app.js",
            headers={
                "Host": "shop.example",
                "CF-Connecting-IP": f"198.51.100.{n}",
                "X-Forwarded-For": f"10.0.0.{n}",
            },
            source="127.0.0.6",
        ).status
        for n in range(BURST + 4)
    ]

    assert statuses[-1] == 429


def test_the_scheme_comes_from_the_edge_only(edge_cdn: NginxCdn) -> None:
    from_edge = _via_edge(
        edge_cdn, "/echo/scheme.html?edge", "198.51.100.8", **{"X-Forwarded-Proto": "https"}
    )
    direct = request(
        edge_cdn.port,
        "/echo/scheme.html?direct",
        headers={"Host": "shop.example", "X-Forwarded-Proto": "https"},
        source="127.0.0.7",
    )

    assert received(from_edge.body)["headers"]["x-forwarded-proto"] == "https"
    assert received(direct.body)["headers"]["x-forwarded-proto"] == "http"


def test_http_and_https_answers_are_kept_apart(edge_cdn: NginxCdn) -> None:
    https = _via_edge(edge_cdn, "/echo/scheme-key.html", "198.51.100.9", **{"X-Forwarded-Proto": "https"})
    plain = _via_edge(edge_cdn, "/echo/scheme-key.html", "198.51.100.10", **{"X-Forwarded-Proto": "http"})

    assert (https.cache_status, plain.cache_status) == ("MISS", "MISS")
    assert received(plain.body)["headers"]["x-forwarded-proto"] == "http"


def test_origin_lockdown_answers_only_the_edge(origin: OriginServer) -> None:
    settings = cdn_settings(**BEHIND_EDGE, originLockdown=True)
    with nginx_cdn(settings, origin.port) as cdn:
        direct = request(cdn.port, "/index.html", headers={"Host": "shop.example"}, source="127.0.0.8")
        edge = _via_edge(cdn, "/index.html", "198.51.100.11")
        # A kubelet probe names the pod's address as Host.
        probe = request(cdn.port, "/health", headers={"Host": "10.244.0.7:8080"}, source="127.0.0.8")

    assert direct.status == 403
    assert edge.status == 200
    assert origin.hits["/index.html"] == 1
    # Probes reach the catch-all server: never locked out.
    assert probe.status == 200
