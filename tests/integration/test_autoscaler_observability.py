"""What the autoscaler tells people, read the way people read it: its /metrics scraped by a real
Prometheus (Debian's) and queried, /healthz as its Swarm health check asks, and the JSON line
each decision writes. The Engine is the in-memory double: the numbers are known in advance."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from autoscaler.observability import LOGGER, configure_logging
from autoscaler.status_server import Health, serve
from tests.support.engine_double import InMemoryEngine, controller, raw_service
from tests.support.ports import free_port
from tests.support.prometheus_server import ScrapeJob, prometheus_server

pytestmark = pytest.mark.integration
PREFIX = "technovastore_autoscaler"


def healthz(port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture
def json_logs(capsys: pytest.CaptureFixture[str]) -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """Reads the JSON lines captured on stderr (log configured in the test, where capsys captures)."""

    def lines() -> list[dict[str, Any]]:
        return [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]

    yield lines
    LOGGER.handlers.clear()


def test_prometheus_reads_replicas_events_cooldowns_and_metric_values(
    json_logs: Callable[[], list[dict[str, Any]]],
) -> None:
    configure_logging("INFO")
    engine = InMemoryEngine([raw_service("api"), raw_service("web")])
    loop = controller(engine)  # every task at 200m of a 100m reservation, target 50 %
    health = Health(stale_after=600)
    port = free_port()
    server = serve(port, loop.metrics, health, host="127.0.0.1")
    try:
        assert loop.cycle().outcome == "ok"
        health.cycle_ok()
        engine.services = engine.services[:1]  # web is removed: its series go
        assert loop.cycle().outcome == "ok"
        with prometheus_server([ScrapeJob("autoscaler", (f"127.0.0.1:{port}",))]) as prometheus:
            prometheus.wait_for(f"{PREFIX}_current_replicas")
            api = 'service="api"'
            # The second cycle found api at 6 (the first scaled it) and left it there.
            assert prometheus.value(f"{PREFIX}_current_replicas{{{api}}}") == 6
            assert prometheus.value(f"{PREFIX}_desired_replicas{{{api}}}") == 6
            assert prometheus.value(f'{PREFIX}_scaling_events_total{{{api},direction="up"}}') == 1
            assert prometheus.value(f'{PREFIX}_metric_value{{{api},metric="cpu"}}') == 200
            assert prometheus.value(f'{PREFIX}_metric_target{{{api},metric="cpu"}}') == 50
            assert prometheus.value(f'{PREFIX}_cooldown_seconds_remaining{{{api},direction="up"}}') == 0
            assert (
                prometheus.value(f'{PREFIX}_cooldown_seconds_remaining{{{api},direction="down"}}') is not None
            )
            assert prometheus.query(f'{PREFIX}_current_replicas{{service="web"}}') == []
            assert prometheus.value(f'{PREFIX}_cycles_total{{outcome="ok"}}') == 2
        assert healthz(port) == 200
    finally:
        server.shutdown()
        server.server_close()
    lines = json_logs()
    decision = next(line for line in lines if line["event"] == "decision" and line["service"] == "api")
    assert (decision["current"], decision["desired"], decision["action"]) == (2, 6, "scaled")
    assert decision["reason"] == "cpu above target" and decision["limited_by"] == "TooManyReplicas"
    assert decision["metrics"]["cpu"] == {"value": 200, "target": 50, "proposal": 8, "error": None}
    assert any(line["event"] == "service forgotten" and line["service"] == "web" for line in lines)


def test_healthz_fails_when_no_cycle_finished_recently() -> None:
    health = Health(stale_after=0.0)
    port = free_port()
    server = serve(port, controller(InMemoryEngine([])).metrics, health, host="127.0.0.1")
    try:
        assert healthz(port) == 503
    finally:
        server.shutdown()
        server.server_close()
