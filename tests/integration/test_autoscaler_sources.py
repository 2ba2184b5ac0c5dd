"""The response-time sources against real servers: Prometheus (Debian's, scraping two "tasks"
that export their p95) and a bounded probe of real HTTP health endpoints on loopback."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from autoscaler.engine import ServiceView, TaskView
from autoscaler.labels import HealthEndpoint
from autoscaler.sources import MetricSourceError, ProbeSource, PrometheusSource
from tests.support.ports import free_port
from tests.support.prometheus_server import ScrapeJob, prometheus_server

pytestmark = pytest.mark.integration
SERVICE = ServiceView("svc", "technovastore-api-gateway", 1, {}, 2, None)
QUERY = 'http_request_duration_p95_milliseconds{{service="{service}"}}'


def task(task_id: str, address: str) -> TaskView:
    return TaskView(task_id, 1, "node", "running", "running", "c", None, (address,))


@contextlib.contextmanager
def http_server(address: str, port: int, body: bytes, delay: float = 0.0) -> Iterator[None]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_GET(self) -> None:
            time.sleep(delay)
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer((address, port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


def exposition(task_id: str, p95_ms: float) -> bytes:
    return (
        "# TYPE http_request_duration_p95_milliseconds gauge\n"
        f'http_request_duration_p95_milliseconds{{service="technovastore-api-gateway",task_id="{task_id}"}} '
        f"{p95_ms}\n"
    ).encode()


def test_prometheus_gives_each_task_its_own_response_time() -> None:
    ports = [free_port(), free_port()]
    with (
        http_server("127.0.0.1", ports[0], exposition("task-a", 1800)),
        http_server("127.0.0.1", ports[1], exposition("task-b", 2600.5)),
        prometheus_server([ScrapeJob("apps", tuple(f"127.0.0.1:{p}" for p in ports))]) as prometheus,
    ):
        prometheus.wait_for("count(http_request_duration_p95_milliseconds) == 2")
        source = PrometheusSource(f"http://127.0.0.1:{prometheus.port}", QUERY)
        tasks = [task("task-a", "10.0.0.2"), task("task-b", "10.0.0.3")]
        samples = source.read(SERVICE, tasks, None)["response_time"]
        # Milliseconds as integer microseconds (the decision's milli-units of the ms target).
        assert {name: s.value for name, s in samples.items()} == {"task-a": 1_800_000, "task-b": 2_600_500}
        # A query Prometheus refuses is a source failure, not zero.
        with pytest.raises(MetricSourceError, match="refused"):
            PrometheusSource(f"http://127.0.0.1:{prometheus.port}", "rate(").read(SERVICE, tasks, None)


def test_prometheus_infinite_or_nan_values_are_no_sample_not_a_crash() -> None:
    # histogram_quantile answers +Inf when the quantile lies in the +Inf bucket and NaN when
    # there were no requests: neither is a response time.
    ports = [free_port(), free_port(), free_port()]
    with (
        http_server("127.0.0.1", ports[0], exposition("task-a", float("inf"))),
        http_server("127.0.0.1", ports[1], exposition("task-b", float("nan"))),
        http_server("127.0.0.1", ports[2], exposition("task-c", 1800)),
        prometheus_server([ScrapeJob("apps", tuple(f"127.0.0.1:{p}" for p in ports))]) as prometheus,
    ):
        prometheus.wait_for("count(http_request_duration_p95_milliseconds) == 3")
        source = PrometheusSource(f"http://127.0.0.1:{prometheus.port}", QUERY)
        tasks = [task("task-a", "10.0.0.2"), task("task-b", "10.0.0.3"), task("task-c", "10.0.0.4")]
        samples = source.read(SERVICE, tasks, None)["response_time"]
    assert {name: s.value for name, s in samples.items()} == {"task-c": 1_800_000}


def test_prometheus_down_is_a_source_failure() -> None:
    source = PrometheusSource(f"http://127.0.0.1:{free_port()}", QUERY, timeout=2)
    with pytest.raises(MetricSourceError, match="Prometheus at"):
        source.read(SERVICE, [task("t", "10.0.0.2")], None)


def test_probe_times_each_task_and_bounds_the_slow_one() -> None:
    port = free_port()
    with (
        http_server("127.0.0.2", port, b"ok", delay=0.2),
        http_server("127.0.0.3", port, b"ok", delay=5.0),
    ):
        source = ProbeSource(timeout=1.0)
        tasks = [task("fast", "127.0.0.2"), task("slow", "127.0.0.3"), task("gone", "127.0.0.4")]
        started = time.monotonic()
        samples = source.read(SERVICE, tasks, HealthEndpoint(port, "/health/live"))["response_time"]
        elapsed = time.monotonic() - started
    assert 200_000 <= samples["fast"].value < 1_000_000
    assert samples["slow"].value == 1_000_000  # the timeout: at least that long
    assert "gone" not in samples  # refused: no sample (the HPA's missing pod)
    assert elapsed < 4.0  # probes run side by side, each bounded


def test_probe_needs_the_health_labels() -> None:
    with pytest.raises(MetricSourceError, match="no health endpoint"):
        ProbeSource().read(SERVICE, [task("t", "127.0.0.2")], None)
