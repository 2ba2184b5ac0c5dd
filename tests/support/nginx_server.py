"""The real Debian NGINX running the rendered CDN config on loopback, and its origin.

``nginx_cdn`` writes the text ``render_nginx_conf`` produces (or a given config text) into
a temporary directory, checks it with ``nginx -t``, runs NGINX in the foreground in its own
process group, and always stops it.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components.render.nginx import HEALTH_PATH, STATUS_PATH, NginxLayout, render_nginx_conf
from components.settings.cdn import CdnSettings
from tests.support.origin import OriginServer, origin_server
from tests.support.ports import free_ports, wait_for_port

__all__ = ["NginxCdn", "OriginServer", "local_layout", "nginx_cdn", "nginx_config_test", "origin_server"]

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def local_layout(
    workdir: Path, *, origin_port: int, port: int, status_port: int, **overrides: Any
) -> NginxLayout:
    """Where a local NGINX keeps its files: all under ``workdir``."""
    values: dict[str, Any] = {
        "origin": f"127.0.0.1:{origin_port}",
        "listen": f"127.0.0.1:{port}",
        "status_listen": f"127.0.0.1:{status_port}",
        "cache_dir": str(workdir / "cache"),
        "temp_dir": str(workdir / "temp"),
        "pid_path": str(workdir / "nginx.pid"),
        "access_log": str(workdir / "access.log"),
        "access_log_buffer": None,
        "error_log": str(workdir / "error.log"),
        # Run as root (CI), NGINX would switch workers to "nobody", who cannot write here.
        "user": "root" if os.geteuid() == 0 else None,
        "worker_processes": "2",
        # What a test client sends as Host when it names none (http.client: address:port).
        "local_names": ("127.0.0.1", "localhost"),
        **overrides,
    }
    return NginxLayout(**values)


def nginx_config_test(config: str) -> subprocess.CompletedProcess[str]:
    """``nginx -t`` on ``config`` (its paths must exist); returncode 0 means accepted."""
    with tempfile.TemporaryDirectory(prefix="nginx-t-") as tmp:
        path = Path(tmp) / "nginx.conf"
        path.write_text(config)
        return subprocess.run(
            [NGINX, "-t", "-p", tmp, "-c", str(path), "-e", str(Path(tmp) / "error.log")],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )


@dataclass
class NginxCdn:
    """A running CDN instance."""

    port: int
    status_port: int
    workdir: Path
    config: str
    process: subprocess.Popen[bytes]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def status_url(self) -> str:
        return f"http://127.0.0.1:{self.status_port}{STATUS_PATH}"

    @property
    def access_log(self) -> Path:
        return self.workdir / "access.log"

    @property
    def error_log(self) -> Path:
        return self.workdir / "error.log"

    def access_entries(self) -> list[dict[str, Any]]:
        """The JSON access log, one dict per request (NGINX writes it unbuffered)."""
        if not self.access_log.exists():
            return []
        return [json.loads(line) for line in self.access_log.read_text().splitlines() if line.strip()]

    def logged(self, uri: str, count: int = 1, timeout: float = 5.0) -> list[dict[str, Any]]:
        """The log entries for ``uri`` once there are ``count``: NGINX logs a request only
        after finishing it (a miss is in the cache by then), which can be just after the
        client read the last byte."""
        deadline = time.monotonic() + timeout
        while True:
            entries = [entry for entry in self.access_entries() if entry["uri"] == uri]
            if len(entries) >= count or time.monotonic() > deadline:
                return entries
            time.sleep(0.01)

    def alive(self) -> bool:
        return self.process.poll() is None

    def cpu_seconds(self) -> float:
        """User + system CPU time of the master and its workers so far (Linux /proc)."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                # Fields after the parenthesised command name; 5th is the process group.
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == self.process.pid:
                total += (int(fields[11]) + int(fields[12])) / ticks
        return total


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (fast shutdown, no waiting for slow requests) to the group, then SIGKILL."""
    for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        if process.poll() is not None:
            break
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
    # Workers can outlive a killed master for a moment; the group goes with it.
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


@contextmanager
def nginx_cdn(
    settings: CdnSettings | None = None,
    origin_port: int | None = None,
    *,
    config: str | None = None,
    **layout_overrides: Any,
) -> Iterator[NginxCdn]:
    """NGINX with the rendered CDN config (or ``config``, rendered with the same layout).

    ``config`` may use the placeholders ``{port}``, ``{status_port}`` and ``{workdir}``.
    """
    workdir = Path(tempfile.mkdtemp(prefix="nginx-cdn-"))
    process: subprocess.Popen[bytes] | None = None
    try:
        (workdir / "temp").mkdir()
        port, status_port = free_ports(2)
        if config is None:
            if settings is None or origin_port is None:
                raise ValueError("nginx_cdn needs settings and origin_port, or a config text")
            layout = local_layout(
                workdir, origin_port=origin_port, port=port, status_port=status_port, **layout_overrides
            )
            text = render_nginx_conf(settings, layout)
        else:
            text = _fill(config, port=port, status_port=status_port, workdir=workdir)
        conf = workdir / "nginx.conf"
        conf.write_text(text)
        command = [NGINX, "-p", str(workdir), "-c", str(conf), "-e", str(workdir / "error.log")]
        checked = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=30, check=False)
        if checked.returncode != 0:
            raise RuntimeError(f"nginx -t rejected the config:\n{checked.stderr}")
        process = subprocess.Popen(
            command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        wait_for_port(port, timeout=10)
        _wait_healthy(port)
        yield NginxCdn(port=port, status_port=status_port, workdir=workdir, config=text, process=process)
    finally:
        if process is not None:
            _stop(process)
            if process.stderr:
                process.stderr.close()
        shutil.rmtree(workdir, ignore_errors=True)


def _fill(config: str, **values: object) -> str:
    # Not str.format: NGINX configs are full of braces.
    for name, value in values.items():
        config = config.replace("{" + name + "}", str(value))
    return config


def _wait_healthy(port: int, timeout: float = 10.0) -> None:
    """Until /health answers (the listener can accept before workers are ready)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", HEALTH_PATH)
            if connection.getresponse().status == 200:
                connection.close()
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"NGINX on port {port} did not answer {HEALTH_PATH}")
        time.sleep(0.05)
