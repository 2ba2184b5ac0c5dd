"""A real Prometheus (Debian's package) on loopback, scraping given targets with given rules.

Scrape and rule evaluation run every second so a test sees rates after a few seconds; the
rules are exactly the rendered ones. The server's data lives in a temporary folder and the
process is always stopped.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from components.render.prometheus_config import ScrapeJob, render_prometheus_config
from tests.support.ports import free_port, wait_for_port

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"


class PrometheusError(Exception):
    pass


@dataclass
class PrometheusApi:
    """Prometheus' HTTP API on a loopback port (a local process's, or a published service's)."""

    port: int

    def _get(self, path: str, **params: str) -> Any:
        url = f"http://127.0.0.1:{self.port}{path}?{urllib.parse.urlencode(params)}"
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                body = json.load(response)
        except urllib.error.HTTPError as error:
            body = json.load(error)
        if body.get("status") != "success":
            raise PrometheusError(f"{path} {params}: {body.get('errorType')}: {body.get('error')}")
        return body["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        """An instant query; raises PrometheusError if Prometheus refuses the expression."""
        data = self._get("/api/v1/query", query=expr)
        result: list[dict[str, Any]] = data["result"]
        return result

    def value(self, expr: str) -> float | None:
        """The single value of ``expr`` now, or None when it returns no series."""
        result = self.query(expr)
        if not result:
            return None
        if len(result) > 1:
            raise PrometheusError(f"{expr} returned {len(result)} series, expected one")
        return float(result[0]["value"][1])

    def alerts(self) -> list[dict[str, Any]]:
        alerts: list[dict[str, Any]] = self._get("/api/v1/alerts")["alerts"]
        return alerts

    def targets_up(self) -> dict[str, int]:
        """Scrape jobs and how many of their targets are up."""
        up: dict[str, int] = {}
        for target in self._get("/api/v1/targets")["activeTargets"]:
            job = target["labels"]["job"]
            up[job] = up.get(job, 0) + (target["health"] == "up")
        return up

    def wait_for(self, expr: str, *, timeout: float = 30.0) -> list[dict[str, Any]]:
        """Poll until ``expr`` returns at least one series; TimeoutError with the last answer."""
        deadline = time.monotonic() + timeout
        while True:
            result = self.query(expr)
            if result or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        if not result:
            raise TimeoutError(f"{expr} returned nothing within {timeout} s")
        return result

    def wait_for_alert(self, name: str, *, timeout: float = 60.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for alert in self.alerts():
                if alert["labels"]["alertname"] == name:
                    return alert
            time.sleep(0.5)
        raise TimeoutError(f"alert {name} neither pending nor firing within {timeout} s")

    def rule_groups(self) -> list[dict[str, Any]]:
        """The rule groups Prometheus loaded (``/api/v1/rules``)."""
        groups: list[dict[str, Any]] = self._get("/api/v1/rules")["groups"]
        return groups


@dataclass
class PrometheusHandle(PrometheusApi):
    process: subprocess.Popen[bytes]
    workdir: Path


def _wait_ready(port: int, timeout: float = 30.0) -> None:
    """The port opens before the TSDB and rules are loaded; /-/ready says when they are."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/-/ready", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"Prometheus on port {port} not ready after {timeout} s")
        time.sleep(0.2)


@contextmanager
def prometheus_server(
    jobs: list[ScrapeJob],
    rules: dict[str, Any] | None = None,
    *,
    labels: dict[str, str] | None = None,
    interval_seconds: int = 1,
) -> Iterator[PrometheusHandle]:
    """Prometheus with the rendered configuration (``labels`` on every job) and ``rules``."""
    with tempfile.TemporaryDirectory(prefix="prometheus-") as tmp:
        workdir = Path(tmp)
        rule_files = []
        if rules is not None:
            (workdir / "rules.yml").write_text(yaml.safe_dump(rules, sort_keys=False))
            rule_files.append(str(workdir / "rules.yml"))
        config = render_prometheus_config(
            jobs, labels=labels or {}, interval_seconds=interval_seconds, rule_files=rule_files
        )
        (workdir / "prometheus.yml").write_text(config)
        port = free_port()
        log = (workdir / "prometheus.log").open("wb")
        process = subprocess.Popen(
            [
                PROMETHEUS,
                f"--config.file={workdir / 'prometheus.yml'}",
                f"--storage.tsdb.path={workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--web.enable-lifecycle",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_for_port(port, timeout=20)
            _wait_ready(port)
            yield PrometheusHandle(port, process, workdir)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()
