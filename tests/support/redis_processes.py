"""Redis server processes for the test fixtures: start, signal, restart, connect.

Every process runs in its own process group (killed as one, and with the test process)
in a temporary directory. A process may listen on its own loopback address and resolve
pod names through a private hosts file (tests/support/private_hosts.py).
"""

from __future__ import annotations

import ctypes
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis

from components.render.redis_layout import ADMIN_USER, APP_USER, METRICS_USER, RedisPasswords
from tests.support.ports import wait_for_port
from tests.support.private_hosts import PrivateHosts

HOST = "127.0.0.1"
_PR_SET_PDEATHSIG = 1  # linux/prctl.h
Address = tuple[str, int]


def new_passwords(admin: str | None = None) -> RedisPasswords:
    return RedisPasswords(
        admin=admin or secrets.token_urlsafe(24),
        app=secrets.token_urlsafe(24),
        metrics=secrets.token_urlsafe(24),
    )


@dataclass
class ServerProcess:
    """One redis-server / redis-sentinel (or the script that execs it) in its own process group."""

    port: int
    command: list[str]
    workdir: Path
    env: dict[str, str]
    host: str = HOST
    # Run in a mount namespace that sees this hosts file as /etc/hosts.
    hosts: PrivateHosts | None = None
    # Files written afresh before every start: in a pod they come from a read-only ConfigMap,
    # so what a server rewrites at run time (Sentinel's CONFIG REWRITE) never outlives it.
    config_files: dict[Path, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    # Started and watched by another process (tests/support/shared_servers.py): taken as running.
    detached: bool = False

    @property
    def log(self) -> Path:
        return self.workdir / "server.log"

    def start(self, *, timeout: float = 10.0) -> None:
        for path, text in self.config_files.items():
            write_file(path, text)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self.hosts.wrap(self.command) if self.hosts else self.command,
                cwd=self.workdir,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_own_group_dying_with_parent,
            )
        try:
            wait_for_port(self.port, host=self.host, timeout=timeout)
        except TimeoutError as error:
            self.kill()
            raise RuntimeError(
                f"{self.command[0]} on port {self.port} did not start:\n{self.tail()}"
            ) from error

    def kill(self, sig: signal.Signals = signal.SIGKILL) -> None:
        """Signal the whole process group and reap it (idempotent)."""
        if self.process is None:
            return
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    @property
    def running(self) -> bool:
        return self.detached or (self.process is not None and self.process.poll() is None)

    def tail(self, lines: int = 20) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def _own_group_dying_with_parent() -> None:
    """In the child before exec: its own process group (killed as one), and SIGKILL when the
    test process dies, so even a killed pytest leaves no server behind."""
    os.setsid()
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def script_env(passwords: RedisPasswords, **extra: str) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "REDISCLI_AUTH": passwords.admin, **extra}


@dataclass
class Servers:
    """What both handles share: processes by port, passwords, clients."""

    root: Path
    passwords: RedisPasswords
    processes: dict[int, ServerProcess] = field(default_factory=dict)
    # Pod names and a private /etc/hosts, when every server has its own address.
    hosts: PrivateHosts | None = None
    # The mounted Secret's files (auth files included by redis.conf and sentinel.conf).
    secrets_dir: Path = Path()

    @property
    def password(self) -> str:
        """The admin user's password (replication, bootstrap, checks)."""
        return self.passwords.admin

    admin_user = ADMIN_USER
    app_user = APP_USER
    metrics_user = METRICS_USER

    @property
    def app_password(self) -> str:
        return self.passwords.app

    @property
    def metrics_password(self) -> str:
        return self.passwords.metrics

    def run_script(
        self, script: str, *, timeout: float = 60.0, **env: str
    ) -> subprocess.CompletedProcess[str]:
        """Run a rendered script as a pod would: sh, the admin password in REDISCLI_AUTH."""
        command = ["sh", "-c", script]
        return subprocess.run(
            self.hosts.wrap(command) if self.hosts else command,
            env=script_env(self.passwords, **env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def spawn_script(self, script: str) -> subprocess.Popen[str]:
        """Start a rendered script in its own process group (to be killed midway), output piped.

        Line-buffered (stdbuf, inherited by redis-cli): each line is read as it is printed, so
        a kill after a line stops the script right there rather than a buffer later.
        """
        command = ["stdbuf", "-oL", "sh", "-c", script]
        return subprocess.Popen(
            self.hosts.wrap(command) if self.hosts else command,
            env=script_env(self.passwords),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            preexec_fn=_own_group_dying_with_parent,
        )

    def kill(self, port: int) -> None:
        """SIGKILL the server on ``port``: a crash, no chance to save or hand over."""
        self.processes[port].kill()

    def terminate(self, port: int) -> None:
        """SIGTERM: a clean shutdown."""
        self.processes[port].kill(signal.SIGTERM)

    def restart(self, port: int) -> None:
        """Start the server on ``port`` again, with its data directory as it was left.

        Like a pod, it reads the Secret as it is now: the current admin password.
        """
        process = self.processes[port]
        process.kill()
        process.env["REDISCLI_AUTH"] = self.passwords.admin
        process.start()

    def stop(self) -> None:
        for process in self.processes.values():
            process.kill()

    def client(
        self, port: int, *, user: str = ADMIN_USER, password: str | None = None, **kwargs: Any
    ) -> redis.Redis:
        """A plain client of one server (admin by default); close it when done."""
        secret = password if password is not None else self._password_of(user)
        return redis.Redis(
            host=self.processes[port].host if port in self.processes else HOST,
            port=port,
            username=user,
            password=secret,
            decode_responses=True,
            socket_timeout=5,
            **kwargs,
        )

    def _password_of(self, user: str) -> str:
        return {
            ADMIN_USER: self.passwords.admin,
            APP_USER: self.passwords.app,
            METRICS_USER: self.passwords.metrics,
        }[user]


def replicas_linked(servers: Servers, ports: list[int]) -> bool:
    """Whether every replica among ``ports`` has finished syncing with its master."""
    for port in ports:
        with servers.client(port) as client:
            info = client.info("replication")
        if info["role"] == "slave" and info["master_link_status"] != "up":
            return False
    return True


def directory(root: Path, name: str) -> Path:
    path = root / name
    path.mkdir(parents=True)
    return path


@contextmanager
def temporary_root(prefix: str) -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def write_file(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text)
    path.chmod(mode)
    return path
