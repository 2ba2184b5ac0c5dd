"""Fixtures for the real-NGINX CDN tests: an origin and the CDN in front of it, per test."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from components.settings.cdn import CdnSettings
from tests.support.nginx_server import NginxCdn, OriginServer, nginx_cdn, origin_server

pytestmark = pytest.mark.integration


# The public hostnames the test CDN serves (besides 127.0.0.1 and localhost).
HOSTNAMES = ["shop.example", "other.example"]


def cdn_settings(**overrides: Any) -> CdnSettings:
    """The default CDN settings serving HOSTNAMES, with camelCase overrides as a stack file gives them."""
    return CdnSettings.model_validate({"hostnames": HOSTNAMES, **overrides})


@pytest.fixture
def origin() -> Iterator[OriginServer]:
    with origin_server() as server:
        yield server


@pytest.fixture
def cdn(origin: OriginServer) -> Iterator[NginxCdn]:
    with nginx_cdn(cdn_settings(), origin.port) as instance:
        yield instance


@pytest.fixture(scope="module")
def shared_origin() -> Iterator[OriginServer]:
    """One origin for a whole module whose tests each use their own paths (faster)."""
    with origin_server() as server:
        yield server


# Many requests from one test client: the per-visitor limits have their own tests.
UNLIMITED = {"rateLimit": {"requestsPerSecond": 100_000, "burst": 100_000, "connectionsPerClient": 10_000}}


@pytest.fixture(scope="module")
def shared_cdn(shared_origin: OriginServer) -> Iterator[NginxCdn]:
    with nginx_cdn(cdn_settings(**UNLIMITED), shared_origin.port) as instance:
        yield instance


def received(body: bytes) -> dict[str, Any]:
    """What the origin received, from an ``/echo`` answer: method, target, headers, body."""
    return dict(json.loads(body))
