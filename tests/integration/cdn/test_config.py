"""The rendered config is accepted by the real NGINX for every stack."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from components.render.nginx import render_nginx_conf
from components.settings import load_settings
from tests.support.nginx_server import local_layout, nginx_config_test
from tests.support.stacks import STACKS, stack_config

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("stack", STACKS)
def test_nginx_accepts_the_rendered_config(stack: str, tmp_path: Path) -> None:
    settings = load_settings(stack_config(stack), stack).cdn
    (tmp_path / "temp").mkdir()
    config = render_nginx_conf(settings, local_layout(tmp_path, origin_port=9, port=8080, status_port=8081))

    result = nginx_config_test(config)

    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr


def test_nginx_accepts_the_swarm_cdns_re_resolving_config(tmp_path: Path) -> None:
    # Swarm dnsrr: a resolver and a variable proxy_pass instead of the keepalive upstream.
    settings = load_settings(stack_config("swarm"), "swarm").cdn
    (tmp_path / "temp").mkdir()
    layout = local_layout(tmp_path, origin_port=9, port=8080, status_port=8081)
    config = render_nginx_conf(settings, dataclasses.replace(layout, resolver="127.0.0.11"))
    assert "upstream " not in config and config.count("proxy_pass http://$cdn_origin;") == 5

    result = nginx_config_test(config)

    assert result.returncode == 0, result.stderr


def test_nginx_rejects_a_broken_config() -> None:
    # The check above means something only if nginx -t can fail here.
    result = nginx_config_test("events {}\nhttp { server { listen 1; bogus_directive on; } }\n")

    assert result.returncode != 0
    assert "bogus_directive" in result.stderr
