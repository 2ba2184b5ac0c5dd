"""The local Cloudflare API the purge client talks to, started and stopped per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.cloudflare_api import FakeCloudflareApi

TOKEN = "cf-test-token-7c1e0f9a2b"
ZONE_ID = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
ZONE_NAME = "technovastore.com"


@pytest.fixture
def cloudflare_api() -> Iterator[FakeCloudflareApi]:
    api = FakeCloudflareApi(token=TOKEN, zones={ZONE_ID: ZONE_NAME}).start()
    try:
        yield api
    finally:
        api.stop()
