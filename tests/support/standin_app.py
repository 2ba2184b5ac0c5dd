"""A stand-in for the four app services in the Docker tests: the real health paths, static files,
a product endpoint that reads through the project's cache library from the Redis Cluster
with a deliberately slow "database" behind it, and ``/status/<code>`` answering that status.

Runs inside the test image (python3 standin_app.py); configured only by the environment the
platform gives a service (PORT, REDIS_*), plus APP_VERSION (echoed, to watch rolling updates)
and DB_DELAY_MS (the simulated database's latency).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

STATIC_BODY = b"/* static asset served by the stand-in origin */\n" * 8
_cache: Any = None
_cache_lock = threading.Lock()


def cache() -> Any:
    """The cache manager, created on first use (Redis may still be forming when the app starts)."""
    global _cache
    with _cache_lock:
        if _cache is None and os.environ.get("REDIS_CLUSTER_NODES"):
            from cache_manager import DistributedCacheManager

            _cache = DistributedCacheManager.from_env()
        return _cache


def load_product(product_id: str) -> dict[str, Any]:
    time.sleep(int(os.environ.get("DB_DELAY_MS", "50")) / 1000)
    return {"id": product_id, "name": f"Product {product_id}", "price": 10 + len(product_id)}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the tests read responses
        return

    def _send(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Served-By", socket.gethostname())
        self.send_header("X-App-Version", os.environ.get("APP_VERSION", "1"))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path in ("/health/live", "/health/ready"):
            self._send(200, b"ok\n", "text/plain")
        elif path.startswith("/status/") and path[len("/status/") :].isdigit():
            # An origin error on demand (the monitoring tests' 5xx).
            self._send(int(path[len("/status/") :]), b"error on demand\n", "text/plain")
        elif path.startswith("/api/products/"):
            self._product(path.rsplit("/", 1)[-1])
        elif path.startswith(("/static/", "/favicon.ico", "/manifest.json", "/robots.txt")):
            self._send(200, STATIC_BODY, "text/css", {"Cache-Control": "public, max-age=3600"})
        else:
            body = json.dumps({"host": socket.gethostname(), "version": os.environ.get("APP_VERSION", "1")})
            self._send(200, body.encode(), "application/json", {"Cache-Control": "no-store"})

    def _product(self, product_id: str) -> None:
        manager = cache()
        started = time.monotonic()
        if manager is None:
            product, source = load_product(product_id), "database"
        else:
            loaded: list[bool] = []

            def loader() -> dict[str, Any]:
                loaded.append(True)
                return load_product(product_id)

            product = manager.get_or_load("product", product_id, loader)
            source = "database" if loaded else "cache"
        elapsed_ms = round((time.monotonic() - started) * 1000, 1)
        body = json.dumps({"product": product, "source": source, "ms": elapsed_ms}).encode()
        self._send(200, body, "application/json", {"Cache-Control": "no-store"})


def main() -> None:
    server = ThreadingHTTPServer(("0.0.0.0", int(os.environ.get("PORT", "3000"))), Handler)
    server.daemon_threads = True
    # PID 1 in its container: without a handler SIGTERM is ignored and every stop waits for
    # the grace period's SIGKILL. Swarm has already taken the task out of DNS by now.
    signal.signal(signal.SIGTERM, lambda signum, frame: threading.Thread(target=server.shutdown).start())
    server.serve_forever()


if __name__ == "__main__":
    main()
