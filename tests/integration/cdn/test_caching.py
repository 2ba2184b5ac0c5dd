"""What the CDN stores and what it must never store."""

from __future__ import annotations

from tests.integration.cdn.client import request
from tests.support.nginx_server import NginxCdn, OriginServer


def test_first_request_misses_then_hits(cdn: NginxCdn, origin: OriginServer) -> None:
    first = request(cdn.port, "/static/app.js")
    second = request(cdn.port, "/static/app.js")

    assert (first.status, first.cache_status) == (200, "MISS")
    assert (second.status, second.cache_status) == (200, "HIT")
    assert second.body == first.body
    assert origin.hits["/static/app.js"] == 1
