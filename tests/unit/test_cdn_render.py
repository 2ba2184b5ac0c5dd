"""The nginx.conf text: properties that hold for any settings, checked on the text itself."""

from __future__ import annotations

import re

from components.render.nginx import NginxLayout, render_nginx_conf
from components.render.nginx_requests import only_harmless_cookies_pattern, session_cookie_pattern
from components.render.nginx_site import security_header_values
from components.settings.cdn import CdnSettings, keys_zone_mb

LAYOUT = NginxLayout(origin="frontend.shop.svc.cluster.local:3000", local_names=("cdn.shop.svc",))


def render(**settings: object) -> str:
    return render_nginx_conf(CdnSettings.model_validate(settings), LAYOUT)


def location_blocks(config: str) -> dict[str, str]:
    """Each location's head and body (bodies hold no nested blocks; heads may hold regex braces)."""
    blocks: dict[str, str] = {}
    lines = config.splitlines()
    for index, line in enumerate(lines):
        if line.strip().startswith("location "):
            indent = line[: len(line) - len(line.lstrip())]
            end = lines.index(f"{indent}}}", index)
            blocks[line.strip()] = "\n".join(lines[index + 1 : end])
    return blocks


def blocks_with_add_header(config: str) -> list[str]:
    return [body for body in location_blocks(config).values() if "add_header" in body]


def test_braces_balance_and_every_statement_ends() -> None:
    config = render()

    assert config.count("{") == config.count("}")
    for line in config.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            assert stripped.endswith((";", "{", "}")), line


def test_locations_with_their_own_headers_repeat_every_security_header() -> None:
    # NGINX drops inherited add_header in a block that declares any: each must repeat all.
    config = render()
    names = [*security_header_values(CdnSettings().security_headers), "X-Cache-Status"]
    blocks = blocks_with_add_header(config)

    assert blocks, "the fingerprinted-asset location adds Cache-Control"
    for body in blocks:
        for name in names:
            assert f"add_header {name} " in body
            assert re.search(rf"add_header {name} .* always;", body)


def test_keys_zone_is_sized_from_the_expected_key_count() -> None:
    assert keys_zone_mb(8000) == 2  # 8,000 keys plus a quarter of headroom
    assert keys_zone_mb(1) == 1
    assert "keys_zone=cdn_cache:32m " in render(expectedKeys=200_000)
    assert "max_size=2048m " in render(cacheSizeMb=2048)


def test_ttls_and_rate_limits_come_from_settings() -> None:
    config = render(ttl={"imagesSeconds": 1234}, rateLimit={"requestsPerSecond": 9, "burst": 3})

    assert "proxy_cache_valid 200 203 301 308 1234s;" in config
    assert "rate=9r/s;" in config
    assert config.count("limit_req zone=cdn_requests burst=3 nodelay;") == 5


def test_health_location_is_neither_limited_nor_proxied() -> None:
    body = location_blocks(render())["location = /health {"]

    assert "limit_req" not in body and "proxy_pass" not in body
    assert "return 200" in body


def test_brotli_only_when_enabled() -> None:
    assert "brotli" not in render()
    enabled = render(brotli=True)
    assert "load_module modules/ngx_http_brotli_filter_module.so;" in enabled
    assert "brotli on;" in enabled
    assert "brotli_types" in enabled


def test_trusted_proxies_enable_real_ip() -> None:
    assert "real_ip_header" not in render()
    config = render(
        trustedProxies=["10.0.0.0/16", "192.168.1.1", "35.191.0.0/16"],
        clusterNetworks=["10.0.0.0/8", "192.168.0.0/16"],
        realIpHeader="CF-Connecting-IP",
    )

    assert "set_real_ip_from 10.0.0.0/16;" in config
    assert "set_real_ip_from 192.168.1.1;" in config
    assert "real_ip_header CF-Connecting-IP;" in config
    assert "real_ip_recursive on;" in config


def test_session_cookie_pattern_parses_cookie_names() -> None:
    pattern = re.compile(session_cookie_pattern(["connect.sid", "tns_session"]), re.IGNORECASE)

    assert pattern.search("connect.sid=abc")
    assert pattern.search("theme=dark; connect.sid=abc")
    assert pattern.search("theme=dark;tns_session =abc")
    assert pattern.search("theme=dark,\tTNS_SESSION=abc")
    assert not pattern.search("xconnect.sid=abc")
    assert not pattern.search("connectXsid=abc")
    assert not pattern.search("my_tns_session=abc")
    assert not pattern.search("theme=tns_session")


def test_harmless_cookie_pattern_needs_every_cookie_harmless() -> None:
    pattern = re.compile(only_harmless_cookies_pattern(["_ga", "_ga_*", "theme"]))

    assert pattern.search("_ga=GA1.2.3; _ga_X1Y2=GS1; theme=dark")
    assert pattern.search("theme=dark;")
    assert not pattern.search("_ga=1; cart=2")
    assert not pattern.search("_gax=1")
    assert not pattern.search("theme=dark,tns_session=1")


def test_layout_paths_and_origin_are_used() -> None:
    config = render_nginx_conf(
        CdnSettings(),
        NginxLayout(
            origin="10.1.2.3:81", listen="127.0.0.1:9999", cache_dir="/c", temp_dir="/t", local_names=("c",)
        ),
    )

    assert "server 10.1.2.3:81;" in config
    assert "listen 127.0.0.1:9999 default_server;" in config
    assert "proxy_cache_path /c " in config
    assert "client_body_temp_path /t/client_body;" in config
    assert "user " not in config


def test_methods_outside_the_allow_list_are_refused() -> None:
    assert "if ($request_method !~ ^(?:GET|HEAD)$)" in render(allowedMethods=["GET", "HEAD"])


def test_access_log_is_buffered_in_pods_and_immediate_when_asked() -> None:
    assert "cdn_json buffer=64k flush=1s;" in render()
    immediate = render_nginx_conf(
        CdnSettings(), NginxLayout(origin="o:1", access_log="/l", access_log_buffer=None, local_names=("c",))
    )
    assert "access_log /l cdn_json;" in immediate
