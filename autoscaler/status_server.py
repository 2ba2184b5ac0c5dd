"""The autoscaler's HTTP endpoint: ``/metrics`` (Prometheus) and ``/healthz`` (its health check).

Healthy means a full cycle finished within the last ``stale_after`` seconds: a process that is
alive but cannot reach the Engine, or is stuck, is restarted by Swarm.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from autoscaler.observability import AutoscalerMetrics


class Health:
    def __init__(self, stale_after: float) -> None:
        self.stale_after = stale_after
        self.started = time.monotonic()
        self.last_ok: float | None = None

    def cycle_ok(self) -> None:
        self.last_ok = time.monotonic()

    def healthy(self) -> bool:
        reference = self.last_ok if self.last_ok is not None else self.started
        return time.monotonic() - reference <= self.stale_after


def serve(
    port: int, metrics: AutoscalerMetrics, health: Health, host: str = "0.0.0.0"
) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path == "/metrics":
                self._send(200, generate_latest(metrics.registry), CONTENT_TYPE_LATEST)
            elif self.path == "/healthz":
                ok = health.healthy()
                self._send(200 if ok else 503, b"ok\n" if ok else b"no recent cycle\n", "text/plain")
            else:
                self._send(404, b"not found\n", "text/plain")

    server = ThreadingHTTPServer((host, port), Handler)
    threading.Thread(target=server.serve_forever, name="status-server", daemon=True).start()
    return server
