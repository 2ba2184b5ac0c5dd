"""Faults in a real NGINX CDN: missing security headers, no caching, a version leak, down.

The CDN fixture renders the stack's config; each fault is that very text with the one
directive that matters changed, so everything else stays as deployed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from components.render.nginx import render_nginx_conf
from components.settings.cdn import CdnSettings
from tests.integration.checks.conftest import Run, run_checks
from tests.support.nginx_server import OriginServer, local_layout, nginx_cdn

pytestmark = pytest.mark.integration


def rendered_with_placeholders(origin: OriginServer) -> str:
    """The rendered config with the fixture's {port}/{status_port}/{workdir} placeholders."""
    layout = local_layout(
        Path("{workdir}"),
        origin_port=origin.port,
        port="{port}",  # type: ignore[arg-type]
        status_port="{status_port}",  # type: ignore[arg-type]
    )
    text = render_nginx_conf(CdnSettings(), layout)
    assert "listen 127.0.0.1:{port}" in text and "listen 127.0.0.1:{status_port}" in text
    return text


def run_against(origin: OriginServer, config: str, capsys: pytest.CaptureFixture[str]) -> Run:
    with nginx_cdn(config=config) as cdn:
        return run_checks(capsys, "--cdn", cdn.base_url)


def test_a_cdn_without_security_headers(origin: OriginServer, capsys: pytest.CaptureFixture[str]) -> None:
    config = rendered_with_placeholders(origin)
    stripped = re.sub(r"\n\s*add_header (X-Frame-Options|Content-Security-Policy) [^\n]*", "", config)
    assert stripped != config
    run = run_against(origin, stripped, capsys)
    assert run.code == 1, run.document
    assert run.not_ok("cdn") == {("cdn", "security_headers")}
    message = run.result("cdn", "security_headers")["message"]
    paths = "/health, /favicon.ico, /manifest.json, /robots.txt"
    assert message == f"Content-Security-Policy missing on {paths}; X-Frame-Options missing on {paths}"


def test_a_cdn_that_never_caches(origin: OriginServer, capsys: pytest.CaptureFixture[str]) -> None:
    config = rendered_with_placeholders(origin)
    never = re.sub(r"(proxy_cache \w+;)", r"\1 proxy_no_cache 1;", config)
    assert never != config
    run = run_against(origin, never, capsys)
    assert run.code == 1, run.document
    assert run.not_ok("cdn") == {("cdn", "caching"), ("cdn", "hit_ratio")}
    assert run.result("cdn", "caching")["message"] == (
        "/favicon.ico: X-Cache-Status MISS then MISS, expected MISS or HIT then HIT; "
        "/manifest.json: X-Cache-Status MISS then MISS, expected MISS or HIT then HIT; "
        "/robots.txt: X-Cache-Status MISS then MISS, expected MISS or HIT then HIT"
    )
    assert run.result("cdn", "hit_ratio")["message"] == "0 HIT of 6 sample responses (ratio 0.00), below 0.5"


def test_a_cdn_that_tells_its_version(origin: OriginServer, capsys: pytest.CaptureFixture[str]) -> None:
    config = rendered_with_placeholders(origin)
    run = run_against(origin, config.replace("server_tokens off;", "server_tokens on;"), capsys)
    assert run.not_ok("cdn") == {("cdn", "server_header")}
    assert re.fullmatch(
        r"Server header reveals a version: 'nginx/\d+\.\d+\.\d+'",
        run.result("cdn", "server_header")["message"],
    )


def test_the_cdn_down(origin: OriginServer, capsys: pytest.CaptureFixture[str]) -> None:
    with nginx_cdn(CdnSettings(), origin.port) as cdn:
        url = cdn.base_url
    run = run_checks(capsys, "--cdn", url)
    assert run.code == 2, run.document
    assert run.statuses("cdn") == {"health": "error"}
    assert (
        run.result("cdn", "health")["message"] == f"could not reach the CDN: {url}/health: connection refused"
    )
