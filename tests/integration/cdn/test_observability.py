"""The JSON access log and the internal stub_status endpoint the exporter reads."""

from __future__ import annotations

import urllib.request

from tests.integration.cdn.client import request
from tests.support.nginx_server import NginxCdn


def test_access_log_records_cache_status_and_timings(cdn: NginxCdn) -> None:
    request(cdn.port, "/static/app.js", headers={"User-Agent": 'quote " and \\ backslash'})
    request(cdn.port, "/static/app.js")

    entries = cdn.logged("/static/app.js", count=2)

    assert [e["cache_status"] for e in entries] == ["MISS", "HIT"]
    assert all(isinstance(e["request_time"], float) for e in entries)
    # Only the miss went upstream.
    assert entries[0]["upstream_response_time"] not in ("", "-")
    assert entries[1]["upstream_response_time"] == ""
    assert entries[0]["user_agent"] == 'quote " and \\ backslash'
    assert entries[0]["status"] == 200


def test_health_checks_are_not_logged(cdn: NginxCdn) -> None:
    request(cdn.port, "/health")
    request(cdn.port, "/index.html")
    cdn.logged("/index.html")

    assert [e["uri"] for e in cdn.access_entries()] == ["/index.html"]


def test_stub_status_on_the_internal_port(cdn: NginxCdn) -> None:
    request(cdn.port, "/index.html")

    with urllib.request.urlopen(cdn.status_url, timeout=5) as response:
        text = response.read().decode()

    assert text.startswith("Active connections:")
    assert "server accepts handled requests" in text


def test_stub_status_is_not_served_on_the_public_port(cdn: NginxCdn) -> None:
    reply = request(cdn.port, "/stub_status")

    assert "Active connections" not in reply.body.decode(errors="replace")
