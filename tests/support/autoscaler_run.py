"""Driving the autoscaler against the real Swarm: a CPU-burning service, the CLI as a process,
and a cuttable connection to the Engine.

The burning service runs in the app image with a tiny CPU reservation; it burns a fixed share
of a core while a file exists in a host folder bind-mounted into its tasks, so a test switches
the load on and off without touching the service (which would roll it).
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
from docker.types import EndpointSpec, Mount, Resources, ServiceMode, TaskTemplate

from autoscaler.labels import STACK_LABEL, ServiceRules, encode
from tests.support.docker_images import PROJECT_ROOT

TEST_NAMESPACE = "autoscaler-test"
CONTROL_DIR = "/control"
# Busy for DUTY of every 100 ms while /control/load exists: ~30 millicores on any machine,
# 300 % of a 10m reservation, gentle on a shared machine.
DUTY = 0.03
BURNER = f"""
import os, time
while True:
    if os.path.exists("{CONTROL_DIR}/load"):
        end = time.monotonic() + {DUTY}
        while time.monotonic() < end:
            pass
        time.sleep(0.1 - {DUTY})
    else:
        time.sleep(0.2)
"""


def create_burner(
    client: docker.DockerClient,
    image: str,
    name: str,
    control: Path,
    rules: ServiceRules,
    reservation_m: int = 10,
) -> str:
    """A replicated service at its minimum, labelled with ``rules``, in the test namespace."""
    labels = {**encode(rules), STACK_LABEL: TEST_NAMESPACE}
    template = TaskTemplate(
        container_spec=docker.types.ContainerSpec(
            image,
            command=["python3", "-c", BURNER],
            mounts=[Mount(CONTROL_DIR, str(control), type="bind", read_only=True)],
            stop_grace_period=1_000_000_000,
        ),
        resources=Resources(cpu_reservation=reservation_m * 1_000_000, mem_reservation=32 * 2**20),
        restart_policy=docker.types.RestartPolicy(condition="on-failure"),
    )
    created = client.api.create_service(
        template,
        name=name,
        labels=labels,
        mode=ServiceMode("replicated", replicas=rules.spec.min_replicas),
        endpoint_spec=EndpointSpec(mode="dnsrr"),
    )
    return str(created["ID"])


def replicas(client: docker.DockerClient, service_id: str) -> int:
    return int(client.api.inspect_service(service_id)["Spec"]["Mode"]["Replicated"]["Replicas"])


def running_tasks(client: docker.DockerClient, service_id: str) -> int:
    tasks = client.api.tasks(filters={"service": service_id, "desired-state": "running"})
    return sum(1 for t in tasks if t["Status"]["State"] == "running")


def wait_for(predicate: Any, timeout: float, what: str, step: float = 0.5) -> float:
    """Poll until ``predicate()`` holds; returns the seconds it took, fails the test past ``timeout``."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{what}: not within {timeout:.0f} s")
        time.sleep(step)
    return time.monotonic() - started


@dataclass
class AutoscalerProcess:
    """``python -m autoscaler`` as a child process; its JSON log lines are collected as they come."""

    process: subprocess.Popen[bytes]
    lines: list[dict[str, Any]] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)

    def _collect(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            text = line.decode(errors="replace").strip()
            self.raw.append(text)
            with contextlib.suppress(ValueError):
                self.lines.append(json.loads(text))

    def events(self, event: str, service: str | None = None) -> list[dict[str, Any]]:
        return [
            line
            for line in list(self.lines)
            if line.get("event") == event and (service is None or line.get("service") == service)
        ]

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        return self.process.returncode


@contextlib.contextmanager
def autoscaler(docker_host: str, *args: str) -> Iterator[AutoscalerProcess]:
    command = [sys.executable, "-m", "autoscaler", "--docker-host", docker_host, *args]
    process = subprocess.Popen(
        command, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ}
    )
    running = AutoscalerProcess(process)
    reader = threading.Thread(target=running._collect, daemon=True)
    reader.start()
    try:
        yield running
    except BaseException:
        # pytest shows captured output of a failed test: the autoscaler's last words.
        print("autoscaler log (last 40 lines):", *running.raw[-40:], sep="\n")
        raise
    finally:
        running.stop()
        reader.join(10)


def run_once(docker_host: str, *args: str) -> tuple[int, list[dict[str, Any]]]:
    done = subprocess.run(
        [sys.executable, "-m", "autoscaler", "--docker-host", docker_host, "--once", *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        timeout=120,
        check=False,
    )
    lines = []
    for text in done.stderr.decode(errors="replace").splitlines():
        with contextlib.suppress(ValueError):
            lines.append(json.loads(text))
    return done.returncode, lines


class SocketProxy:
    """A unix socket that forwards to the Engine's; ``cut()`` drops every connection and stops
    listening (the Engine API is gone for its clients), ``restore()`` listens again."""

    def __init__(self, path: Path, upstream: str) -> None:
        self.path, self.upstream = path, upstream
        self._listener: socket.socket | None = None
        self._connections: list[socket.socket] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.path}"

    def restore(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(self.path))
        listener.listen(64)
        self._listener = listener
        self._thread = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._thread.start()

    def cut(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        with self._lock:
            for connection in self._connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
                connection.close()
            self._connections.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                upstream.connect(self.upstream)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._connections += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    @staticmethod
    def _pump(a: socket.socket, b: socket.socket) -> None:
        selector = selectors.DefaultSelector()
        selector.register(a, selectors.EVENT_READ, b)
        selector.register(b, selectors.EVENT_READ, a)
        try:
            while True:
                for key, _ in selector.select():
                    data = key.fileobj.recv(65536)  # type: ignore[union-attr]
                    if not data:
                        return
                    key.data.sendall(data)
        except OSError:
            return
        finally:
            selector.close()
            for end in (a, b):
                end.close()
