"""Who the CDN trusts, what it serves and what it treats as private: the settings' side."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from components.settings import SettingsError, load_settings
from components.settings.cdn import DEFAULT_SESSION_COOKIES, CdnSettings
from components.settings.cloudflare_ips import DATA_FILE, cloudflare_ranges, main
from tests.support.stacks import stack_config


def _load(stack: str, cdn: dict[str, Any] | None = None, **other: Any) -> Any:
    config = stack_config("staging" if stack.startswith("pr-") else stack)
    if cdn is not None:
        # On top of the stack file's own cdn settings (its exposure, for one).
        stack_cdn = json.loads(config.get("technovastore-scaling:cdn", "{}"))
        config["technovastore-scaling:cdn"] = json.dumps({**stack_cdn, **cdn})
    config.update({f"technovastore-scaling:{k}": json.dumps(v) for k, v in other.items()})
    return load_settings(config, stack)


def _problems(cdn: dict[str, Any], stack: str = "staging", **other: Any) -> list[str]:
    with pytest.raises(SettingsError) as raised:
        _load(stack, cdn, **other)
    return [str(problem) for problem in raised.value.problems]


@pytest.mark.parametrize(
    "cidr, why",
    [
        ("0.0.0.0/0", "trusts every address"),
        ("::/0", "trusts every address"),
        ("0.0.0.0/1", "broader than /8"),
        ("2000::/3", "broader than /16"),
        ("172.16.0.0/12", "outside cdn.clusterNetworks"),
        ("192.168.1.0/24", "outside cdn.clusterNetworks"),
        ("fd00::/16", "outside cdn.clusterNetworks"),
        ("169.254.0.0/16", "outside cdn.clusterNetworks"),
    ],
)
def test_trusted_proxies_that_let_clients_name_themselves_are_refused(cidr: str, why: str) -> None:
    found = _problems({"trustedProxies": ["173.245.48.0/20", cidr]})

    assert any(p.startswith("technovastore-scaling:cdn.trustedProxies.1 ") and why in p for p in found), found


def test_private_proxies_inside_the_cluster_are_trusted() -> None:
    cdn = _load("staging", {"trustedProxies": ["10.244.0.0/16"], "clusterNetworks": ["10.0.0.0/8"]}).cdn_tier

    assert cdn.real_ip_sources == ["10.244.0.0/16"]
    assert _problems({"clusterNetworks": ["0.0.0.0/0"]})


@pytest.mark.parametrize("stack", ["production", "staging"])
def test_behind_cloudflare_the_cdn_trusts_its_published_ranges(stack: str) -> None:
    settings = _load(stack)
    cdn = settings.cdn_tier

    # Cloudflare's edges, and the Ingress controller's hop where the stack names its network.
    assert cdn.real_ip_sources == [*cloudflare_ranges(), *settings.cdn.cluster_networks]
    assert "173.245.48.0/20" in cdn.real_ip_sources and "2606:4700::/32" in cdn.real_ip_sources
    assert cdn.client_address_header == "CF-Connecting-IP"
    assert set(settings.cloudflare.hostnames) <= set(cdn.hostnames)


def test_an_ingress_behind_cloudflare_needs_the_pod_network_it_sends_from() -> None:
    # Otherwise the controller's pod is NGINX's peer, untrusted: every visitor one address.
    found = _problems({"clusterNetworks": []}, stack="production")

    assert any(p.startswith("technovastore-scaling:cdn.clusterNetworks = []: must name") for p in found), (
        found
    )
    assert _load("production", {"clusterNetworks": [], "trustedProxies": ["173.245.48.0/20"]})


def test_review_stacks_are_not_behind_cloudflare() -> None:
    cdn = _load("pr-7").cdn_tier

    assert cdn.real_ip_sources == []
    assert cdn.client_address_header == "X-Forwarded-For"


def test_explicit_proxies_replace_cloudflares() -> None:
    cdn = _load("production", {"trustedProxies": [], "realIpHeader": "X-Forwarded-For"}).cdn_tier

    assert (cdn.real_ip_sources, cdn.client_address_header) == ([], "X-Forwarded-For")


def test_origin_lockdown_needs_someone_to_let_in() -> None:
    found = _problems({"originLockdown": True}, cloudflare={"enabled": False})

    assert any("cdn.originLockdown" in p for p in found), found
    assert _load("production", {"originLockdown": True}).cdn_tier.origin_lockdown


def test_the_default_session_cookies_cover_the_common_frameworks() -> None:
    defaults = CdnSettings().session_cookies

    assert defaults == DEFAULT_SESSION_COOKIES
    for name in ("tns_session", "connect.sid", "sessionid", "PHPSESSID", "JSESSIONID", "laravel_session"):
        assert name in defaults


@pytest.mark.parametrize(
    "cdn, key",
    [
        ({"forwardedHeaders": ["X-Forwarded-Host"]}, "cdn.forwardedHeaders.0"),
        ({"forwardedHeaders": ["Accept", "X-Original-URL"]}, "cdn.forwardedHeaders.1"),
        ({"forwardedHeaders": ["Cookie"]}, "cdn.forwardedHeaders.0"),
        ({"forwardedHeaders": ["Bad Header"]}, "cdn.forwardedHeaders.0"),
        ({"harmlessCookies": ["_ga", "a*b"]}, "cdn.harmlessCookies.1"),
        ({"fingerprint": {"minHashLength": 4}}, "cdn.fingerprint.minHashLength"),
        ({"fingerprint": {"pattern": "([unclosed"}}, "cdn.fingerprint.pattern"),
        ({"fingerprint": {"pattern": '"quoted"'}}, "cdn.fingerprint.pattern"),
        ({"hostnames": ["Shop.Example.com"]}, "cdn.hostnames.0"),
        (
            {"securityHeaders": {"crossOriginOpenerPolicy": "open"}},
            "cdn.securityHeaders.crossOriginOpenerPolicy",
        ),
    ],
)
def test_bad_trust_settings_name_their_key(cdn: dict[str, Any], key: str) -> None:
    found = _problems(cdn)

    assert any(p.startswith(f"technovastore-scaling:{key} ") for p in found), found


class _FakeIpsApi(BaseHTTPRequestHandler):
    answer: dict[str, Any] = {}

    def do_GET(self) -> None:
        body = json.dumps(self.answer).encode()
        self.send_response(200 if self.path.startswith("/ips") else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def ips_api() -> Iterator[tuple[str, type[_FakeIpsApi]]]:
    handler = type("Handler", (_FakeIpsApi,), {"answer": {}})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


def test_the_refresh_command_writes_what_the_api_publishes(ips_api: tuple[str, Any], tmp_path: Path) -> None:
    url, handler = ips_api
    handler.answer = {
        "success": True,
        "errors": [],
        "messages": [],
        "result": {"ipv4_cidrs": ["173.245.48.0/20"], "ipv6_cidrs": ["2400:cb00::/32"], "etag": "e1"},
    }
    target = tmp_path / "ranges.json"

    assert main([str(target), url]) == 0
    assert cloudflare_ranges(target) == ["173.245.48.0/20", "2400:cb00::/32"]


def test_the_refresh_command_keeps_the_file_when_the_answer_is_wrong(
    ips_api: tuple[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, handler = ips_api
    handler.answer = {"success": True, "result": {"ipv4_cidrs": ["10.0.0.0/8"], "ipv6_cidrs": []}}
    target = tmp_path / "ranges.json"
    target.write_text(DATA_FILE.read_text())

    assert main([str(target), url]) == 2
    assert "not a public IPv4 network" in capsys.readouterr().err
    assert target.read_text() == DATA_FILE.read_text()
