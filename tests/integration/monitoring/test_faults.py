"""Injected faults make the matching alert go pending on a real Prometheus."""

from __future__ import annotations

import time

import pytest
import redis

from components.settings import Settings
from tests.integration.monitoring.observed import TEST_RATE_LIMIT, cdn_traffic, observed_platform

pytestmark = pytest.mark.integration


def _alerts_named(alerts: list[dict[str, object]], name: str) -> list[dict[str, object]]:
    return [alert for alert in alerts if alert["labels"]["alertname"] == name]  # type: ignore[index]


def test_a_killed_cluster_master_makes_its_instance_down_alert_pending(production: Settings) -> None:
    with observed_platform(production, sessions=False, cdn=False) as platform:
        assert platform.cluster
        assert not _alerts_named(platform.prometheus.alerts(), "RedisInstanceDown")
        master = platform.cluster.masters()[0]

        platform.cluster.kill(master)
        alert = platform.prometheus.wait_for_alert("RedisInstanceDown", timeout=30)

        assert alert["state"] in {"pending", "firing"}
        assert alert["labels"]["job"] == "redis-cluster"


def test_an_unreachable_origin_makes_the_origin_errors_alert_pending(production: Settings) -> None:
    with observed_platform(production, cluster=False, sessions=False) as platform:
        assert platform.cdn and platform.origin
        cdn_traffic(platform.cdn, rounds=1)

        platform.origin.stop()
        # Fresh paths, nothing cached to fall back on, spread over several scrapes as real
        # traffic is: every request reaches for the origin and fails.
        # Enough of them (monitoring.cdnMinRequests) for a verdict, paced under the rate limit.
        for index in range(production.monitoring.cdn_min_requests + 10):
            _fetch(f"{platform.cdn.base_url}/assets/after-outage-{index}.css")
            time.sleep(1.2 / TEST_RATE_LIMIT)
        alert = platform.prometheus.wait_for_alert("CdnOriginErrors", timeout=30)

        assert alert["state"] in {"pending", "firing"}


def test_a_full_session_store_makes_the_refused_writes_alert_pending(production: Settings) -> None:
    with observed_platform(production, cluster=False, cdn=False) as platform:
        assert platform.sessions
        sentinel = platform.sessions.sentinel_client()
        primary = sentinel.master_for(platform.sessions.master_name)
        value = b"x" * 1_048_576
        with pytest.raises(redis.exceptions.OutOfMemoryError):
            # The test store holds 64 MB and never evicts (noeviction): writes are refused.
            for index in range(200):
                primary.set(f"session:{index}", value)

        alert = platform.prometheus.wait_for_alert("RedisSessionWritesRefused", timeout=30)

        assert alert["state"] in {"pending", "firing"}


def _fetch(url: str) -> None:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            response.read()
    except urllib.error.HTTPError:
        pass
