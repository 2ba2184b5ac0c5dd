"""The real exporters from Debian's packages, each on a free loopback port, always stopped.

- ``redis_exporter``: prometheus-redis-exporter for one Redis node or Sentinel, logged in as
  the given ACL user; the password goes in through the environment, never the command line.
- ``nginx_exporter``: prometheus-nginx-exporter reading NGINX's stub_status.
- ``mtail``: mtail running the rendered CDN program, reading NGINX's metrics lines over UDP.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from components.render.cdn_metrics import PROGRAM_FILE, mtail_args, render_mtail_program
from tests.support.ports import free_port, wait_for_port


@contextmanager
def _running(command: list[str], port: int, env: dict[str, str] | None = None) -> Iterator[int]:
    process = subprocess.Popen(
        command,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for_port(port, timeout=15)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def redis_exporter(address: str, *, user: str, password: str) -> Iterator[int]:
    """The exporter for ``address`` (host:port); yields its metrics port."""
    port = free_port()
    command = [
        shutil.which("prometheus-redis-exporter") or "/usr/bin/prometheus-redis-exporter",
        f"-redis.addr=redis://{address}",
        f"-redis.user={user}",
        f"-web.listen-address=127.0.0.1:{port}",
    ]
    with _running(command, port, {"REDIS_PASSWORD": password}) as metrics_port:
        yield metrics_port


@contextmanager
def nginx_exporter(status_url: str) -> Iterator[int]:
    port = free_port()
    command = [
        shutil.which("prometheus-nginx-exporter") or "/usr/bin/prometheus-nginx-exporter",
        f"-nginx.scrape-uri={status_url}",
        f"-web.listen-address=127.0.0.1:{port}",
    ]
    with _running(command, port) as metrics_port:
        yield metrics_port


@contextmanager
def mtail(syslog_port: int) -> Iterator[int]:
    """mtail with the rendered CDN program, listening for syslog lines on UDP ``syslog_port``."""
    with tempfile.TemporaryDirectory(prefix="mtail-") as tmp:
        Path(tmp, PROGRAM_FILE).write_text(render_mtail_program())
        port = free_port()
        command = [
            shutil.which("mtail") or "/usr/bin/mtail",
            *mtail_args(
                tmp, syslog_address=f"127.0.0.1:{syslog_port}", listen_address="127.0.0.1", port=port
            ),
        ]
        with _running(command, port) as metrics_port:
            yield metrics_port
