"""A private Docker Engine for the tests: its own socket, data root and exec root.

One engine serves a whole test run: the dev stack's plain containers use it as it starts, the
Swarm tests put it in Swarm mode (``init_swarm``) when they first need it; both kinds of
workload run side by side on one engine.

Debian's ``dockerd`` with the network plumbing this machine allows (no iptables, no default
bridge). Storage: overlay2 when the daemon starts with it here (copy-on-write: a task's
container is ready in about a second), else vfs (a full copy of the image per container, which
kept ~19 tasks "Preparing" for minutes on a loaded machine). Swarm puts its
``docker_gwbridge`` and ingress into the host's network namespace, so only one such engine
runs on a machine at a time: a file lock serializes test sessions (other engineers' runs wait
their turn). The engine's HTTP proxy is a closed
loopback port, so a pull never leaves the machine and fails at once (Swarm tries one before
every task even when the image is local).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docker

SKIP_ENV = "TNS_SKIP_DOCKER"
# The packages under tests/integration whose tests use the engine, in the order they run.
ENGINE_PACKAGES = ("dev", "swarm")
ENGINE_TEST_PATHS = tuple(f"tests/integration/{package}/" for package in ENGINE_PACKAGES)
ROOT_PREFIX = "tns-dockerd-"
CACHE_ROOT = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "technovastore"
LOCK_FILE = CACHE_ROOT / "docker-engine.lock"
LOCK_WAIT_SECONDS = 1800
START_SECONDS = 60
STOP_SECONDS = 30
GATEWAY_BRIDGE = "docker_gwbridge"
# Nothing listens here: the engine's registry traffic stops at the loopback interface.
CLOSED_PROXY = "http://127.0.0.1:9"
API_VERSION = "1.41"
# overlay2 first (fast); vfs works on any file system (the daemon refuses overlay2 where the
# kernel or the data root's file system cannot carry it, for example inside another overlay).
STORAGE_DRIVERS = ("overlay2", "vfs")


class EngineUnavailable(Exception):
    """The daemon could not start here; the message says why (with its log's last lines)."""


@dataclass
class Engine:
    root: Path
    process: subprocess.Popen[bytes]
    client: docker.DockerClient

    @property
    def socket(self) -> str:
        return f"unix://{self.root}/docker.sock"

    def log_tail(self, lines: int = 20) -> str:
        text = (self.root / "dockerd.log").read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])


@contextlib.contextmanager
def machine_lock() -> Iterator[None]:
    CACHE_ROOT.mkdir(parents=True, exist_ok=True)
    with LOCK_FILE.open("w") as handle:
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise EngineUnavailable(f"another test session held {LOCK_FILE} for 30 min") from None
                time.sleep(2)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _link_exists(name: str) -> bool:
    return subprocess.run(["ip", "link", "show", name], capture_output=True, check=False).returncode == 0


def _delete_gateway_bridge() -> None:
    # Left in the host's namespace by a stopped engine; a new engine must create its own.
    if _link_exists(GATEWAY_BRIDGE):
        subprocess.run(["ip", "link", "delete", GATEWAY_BRIDGE], capture_output=True, check=False)


def start_engine(root: Path) -> Engine:
    """Start dockerd under ``root``; EngineUnavailable with the reason.

    The first storage driver the daemon starts with wins (see STORAGE_DRIVERS).
    """
    dockerd = shutil.which("dockerd")
    if dockerd is None:
        raise EngineUnavailable(
            "dockerd is not installed (Debian package docker.io; `make test` installs it)"
        )
    failures = []
    for driver in STORAGE_DRIVERS:
        try:
            return _start_daemon(dockerd, root / driver, driver)
        except EngineUnavailable as error:
            failures.append(f"--storage-driver={driver}: {error}")
    raise EngineUnavailable("\n".join(failures))


def init_swarm(engine: Engine) -> None:
    """Put the engine in Swarm mode (a single manager on loopback); nothing when it already is."""
    if engine.client.info().get("Swarm", {}).get("LocalNodeState") == "active":
        return
    try:
        engine.client.swarm.init(advertise_addr="127.0.0.1", listen_addr="127.0.0.1:2377")
    except docker.errors.APIError as error:
        raise EngineUnavailable(f"docker swarm init failed: {error}") from None


def _start_daemon(dockerd: str, root: Path, driver: str) -> Engine:
    root.mkdir(parents=True)
    _delete_gateway_bridge()
    log = (root / "dockerd.log").open("wb")
    command = [
        dockerd,
        "--iptables=false",
        "--bridge=none",
        f"--storage-driver={driver}",
        f"--data-root={root}/data",
        f"--exec-root={root}/exec",
        f"--pidfile={root}/dockerd.pid",
        f"--host=unix://{root}/docker.sock",
    ]
    env = {**os.environ, "HTTP_PROXY": CLOSED_PROXY, "HTTPS_PROXY": CLOSED_PROXY, "NO_PROXY": ""}
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    # A fixed API version: the client must not ask the daemon before it listens (Engine 20.10).
    client = docker.DockerClient(base_url=f"unix://{root}/docker.sock", version=API_VERSION, timeout=120)
    engine = Engine(root, process, client)
    deadline = time.monotonic() + START_SECONDS
    while True:
        if process.poll() is not None:
            reason = f"dockerd exited with {process.returncode}:\n{engine.log_tail()}"
            stop_engine(engine)
            raise EngineUnavailable(reason)
        with contextlib.suppress(Exception):
            if client.ping():
                break
        if time.monotonic() > deadline:
            stop_engine(engine)
            raise EngineUnavailable(f"dockerd did not answer within {START_SECONDS} s:\n{engine.log_tail()}")
        time.sleep(0.3)
    return engine


def _shim_pids(root: Path) -> list[int]:
    """containerd and the shims this engine started (their command lines name its root)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if str(root).encode() in (entry / "cmdline").read_bytes():
                    pids.append(int(entry.name))
    return pids


def stop_engine(engine: Engine) -> None:
    """Remove what runs, stop the daemon, end its leftovers, unmount and delete its directories."""
    with contextlib.suppress(Exception):
        if engine.client.info().get("Swarm", {}).get("LocalNodeState") == "active":
            for service in engine.client.services.list():
                service.remove()
            engine.client.swarm.leave(force=True)
    with contextlib.suppress(Exception):
        for container in engine.client.containers.list(all=True):
            container.remove(force=True)
    # A user-defined bridge network is a `br-<id>` link in the host's namespace: the daemon
    # deletes it with the network, a stopped daemon leaves it (and its subnet) behind.
    with contextlib.suppress(Exception):
        engine.client.networks.prune()
    engine.client.close()
    if engine.process.poll() is None:
        engine.process.send_signal(signal.SIGTERM)
        try:
            engine.process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            engine.process.kill()
            engine.process.wait(10)
    _remove_leftovers(engine.root)


def _remove_leftovers(root: Path) -> None:
    """What a stopped (or killed) daemon under ``root`` leaves: shims, mounts, the bridge, files."""
    for pid in _shim_pids(root):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    mounts = [line.split()[1] for line in Path("/proc/self/mounts").read_text().splitlines()]
    for mount in sorted((m for m in mounts if m.startswith(str(root))), reverse=True):
        subprocess.run(["umount", "-l", mount], capture_output=True, check=False)
    _delete_gateway_bridge()
    shutil.rmtree(root, ignore_errors=True)


def _remove_stale_engines() -> None:
    """Engines of sessions that were killed before their clean-up ran (we hold the lock now)."""
    for root in Path(tempfile.gettempdir()).glob(f"{ROOT_PREFIX}*"):
        for pidfile in root.glob("*/dockerd.pid"):
            with contextlib.suppress(ValueError, OSError):
                pid = int(pidfile.read_text())
                if b"dockerd" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    os.kill(pid, signal.SIGKILL)
        _remove_leftovers(root)


@contextlib.contextmanager
def private_engine() -> Iterator[Engine]:
    """A private engine for the duration of the block (one per machine at a time)."""
    with machine_lock():
        _remove_stale_engines()
        root = Path(tempfile.mkdtemp(prefix=ROOT_PREFIX))
        try:
            engine = start_engine(root)
            try:
                yield engine
            finally:
                stop_engine(engine)
        finally:
            _remove_leftovers(root)


@contextlib.contextmanager
def swarm_engine() -> Iterator[Engine]:
    """A private engine in Swarm mode for the duration of the block (the benchmarks)."""
    with private_engine() as engine:
        init_swarm(engine)
        yield engine
