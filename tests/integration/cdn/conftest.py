"""Fixtures for the real-NGINX CDN tests: an origin and the CDN in front of it, per test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from components.settings.cdn import CdnSettings
from tests.support.nginx_server import NginxCdn, OriginServer, nginx_cdn, origin_server

pytestmark = pytest.mark.integration


def cdn_settings(**overrides: Any) -> CdnSettings:
    """The default CDN settings, with camelCase overrides as a stack file would give them."""
    return CdnSettings.model_validate(overrides)


@pytest.fixture
def origin() -> Iterator[OriginServer]:
    with origin_server() as server:
        yield server


@pytest.fixture
def cdn(origin: OriginServer) -> Iterator[NginxCdn]:
    with nginx_cdn(cdn_settings(), origin.port) as instance:
        yield instance
