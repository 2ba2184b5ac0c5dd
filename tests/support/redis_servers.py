"""Real Redis Clusters and Sentinel groups on loopback, for tests and benchmarks.

Both context managers start ``redis-server`` / ``redis-sentinel`` from the very text the
program puts into its ConfigMaps and Secrets (components/render): only ports, paths and
the announced address differ. The cluster is formed by the rendered bootstrap script, the
Sentinel group is started by the rendered start scripts. Every process runs in its own
process group in a temporary directory and is killed when the block exits, whatever happens.

    with redis_cluster(masters=3, replicas_per_master=1) as cluster:
        client = cluster.cluster_client()          # redis.RedisCluster as the app user
        cluster.kill(cluster.masters()[0])         # SIGKILL one node
        cluster.restart(port)                      # start it again from its data directory

    with sentinel_group() as group:
        group.primary()                            # (host, port) the Sentinels name
        group.sentinel_client().master_for(group.master_name, ...)
"""

from __future__ import annotations

import ctypes
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis
from redis.cluster import ClusterNode, RedisCluster
from redis.sentinel import Sentinel

from components.render.redis import (
    render_cluster_node_conf,
    render_redis_auth_conf,
    render_sentinel_data_conf,
)
from components.render.redis_layout import (
    ADMIN_USER,
    APP_USER,
    METRICS_USER,
    REDIS_AUTH_FILE,
    SENTINEL_AUTH_FILE,
    NodeLayout,
    RedisPasswords,
)
from components.render.redis_scripts import (
    render_cluster_bootstrap_script,
    render_cluster_readiness_script,
    render_data_node_prestop_script,
    render_data_node_readiness_script,
    render_data_node_start_script,
    render_liveness_script,
    render_sentinel_readiness_script,
    render_sentinel_start_script,
)
from components.render.sentinel import render_sentinel_auth_conf, render_sentinel_conf
from components.settings.redis import RedisClusterSettings, RedisSentinelSettings
from tests.support.ports import free_ports, wait_for_port

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
    process: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        return self.workdir / "server.log"

    def start(self, *, timeout: float = 10.0) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self.command,
                cwd=self.workdir,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_own_group_dying_with_parent,
            )
        try:
            wait_for_port(self.port, timeout=timeout)
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
        return self.process is not None and self.process.poll() is None

    def tail(self, lines: int = 20) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def _own_group_dying_with_parent() -> None:
    """In the child before exec: its own process group (killed as one), and SIGKILL when the
    test process dies, so even a killed pytest leaves no server behind."""
    os.setsid()
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _script_env(passwords: RedisPasswords, **extra: str) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "REDISCLI_AUTH": passwords.admin, **extra}


@dataclass
class _Servers:
    """What both handles share: processes by port, passwords, clients."""

    root: Path
    passwords: RedisPasswords
    processes: dict[int, ServerProcess] = field(default_factory=dict)

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

    def run_script(self, script: str, *, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        """Run a rendered script as a pod would: sh, the admin password in REDISCLI_AUTH."""
        return subprocess.run(
            ["sh", "-c", script],
            env=_script_env(self.passwords),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def kill(self, port: int) -> None:
        """SIGKILL the server on ``port``: a crash, no chance to save or hand over."""
        self.processes[port].kill()

    def terminate(self, port: int) -> None:
        """SIGTERM: a clean shutdown."""
        self.processes[port].kill(signal.SIGTERM)

    def restart(self, port: int) -> None:
        """Start the server on ``port`` again, with its data directory as it was left."""
        process = self.processes[port]
        process.kill()
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
            host=HOST,
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


@dataclass
class RedisClusterHandle(_Servers):
    settings: RedisClusterSettings = field(default_factory=RedisClusterSettings)
    bootstrap_script: str = ""

    @property
    def nodes(self) -> list[Address]:
        return [(HOST, port) for port in self.processes]

    @property
    def node_timeout_ms(self) -> int:
        return self.settings.node_timeout_ms

    def bootstrap(self, *, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        """Run the rendered bootstrap script (what the Kubernetes Job runs)."""
        return self.run_script(self.bootstrap_script, timeout=timeout)

    def probe(self, port: int) -> dict[str, int]:
        """Exit codes of the rendered liveness and readiness scripts for the node on ``port``."""
        return {
            "liveness": self.run_script(render_liveness_script(port=port)).returncode,
            "readiness": self.run_script(render_cluster_readiness_script(port=port)).returncode,
        }

    def cluster_info(self, port: int) -> dict[str, str]:
        with self.client(port) as client:
            return {str(k): str(v) for k, v in client.execute_command("CLUSTER INFO").items()}

    def masters(self) -> list[int]:
        """Ports of the live nodes that are masters serving slots, each as it sees itself."""
        return [
            port for port, process in self.processes.items() if process.running and self._serves_slots(port)
        ]

    def _serves_slots(self, port: int) -> bool:
        with self.client(port) as client:
            nodes = client.execute_command("CLUSTER NODES")
        myself = next(node for node in nodes.values() if "myself" in node["flags"])
        return "master" in myself["flags"] and bool(myself["slots"])

    def topology(self, port: int) -> tuple[int, int]:
        """(masters serving slots, replicas) as the node on ``port`` sees the cluster."""
        with self.client(port) as client:
            nodes = client.execute_command("CLUSTER NODES").values()
        masters = sum(1 for node in nodes if "master" in node["flags"] and node["slots"])
        replicas = sum(1 for node in nodes if "slave" in node["flags"])
        return masters, replicas

    def wait_formed(self, *, timeout: float = 30.0) -> None:
        """Block until every live node reports cluster_state:ok and sees the full topology."""
        self.wait_state_ok(timeout=timeout)
        expected = (self.settings.masters, self.settings.masters * self.settings.replicas_per_master)
        deadline = time.monotonic() + timeout
        live = [port for port, process in self.processes.items() if process.running]
        while (views := {port: self.topology(port) for port in live}) and any(
            v != expected for v in views.values()
        ):
            if time.monotonic() > deadline:
                raise TimeoutError(f"nodes disagree on the topology after {timeout} s: {views}")
            time.sleep(0.1)
        while not replicas_linked(self, live):
            if time.monotonic() > deadline:
                raise TimeoutError(f"replicas not in sync with their masters after {timeout} s")
            time.sleep(0.1)

    def wait_state_ok(self, *, timeout: float = 30.0, ports: list[int] | None = None) -> None:
        """Block until every (given) live node reports cluster_state:ok."""
        wanted = ports or [p for p, proc in self.processes.items() if proc.running]
        deadline = time.monotonic() + timeout
        while True:
            states = {}
            for port in wanted:
                try:
                    states[port] = self.cluster_info(port)["cluster_state"]
                except redis.RedisError as error:
                    states[port] = str(error)
            if all(state == "ok" for state in states.values()):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"cluster_state not ok after {timeout} s: {states}")
            time.sleep(0.1)

    def cluster_client(self, *, user: str = APP_USER, **kwargs: Any) -> RedisCluster:
        """redis-py's cluster client, as the application user by default; close it when done."""
        return RedisCluster(
            startup_nodes=[ClusterNode(host, port) for host, port in self.nodes],
            username=user,
            password=self._password_of(user),
            decode_responses=True,
            socket_timeout=5,
            **kwargs,
        )


@dataclass
class SentinelGroupHandle(_Servers):
    settings: RedisSentinelSettings = field(default_factory=RedisSentinelSettings)
    data_ports: list[int] = field(default_factory=list)
    sentinel_ports: list[int] = field(default_factory=list)
    prestop_scripts: dict[int, str] = field(default_factory=dict)

    @property
    def master_name(self) -> str:
        return self.settings.master_name

    @property
    def data_nodes(self) -> list[Address]:
        return [(HOST, port) for port in self.data_ports]

    @property
    def sentinels(self) -> list[Address]:
        return [(HOST, port) for port in self.sentinel_ports]

    def primary(self, sentinel_port: int | None = None) -> Address | None:
        """The primary a live Sentinel names, or None."""
        ports = (
            [sentinel_port]
            if sentinel_port
            else [p for p in self.sentinel_ports if self.processes[p].running]
        )
        for port in ports:
            with self.client(port) as client:
                answer = client.execute_command("SENTINEL GET-MASTER-ADDR-BY-NAME", self.master_name)
                if answer:
                    return (str(answer[0]), int(answer[1]))
        return None

    def ckquorum(self, sentinel_port: int) -> str:
        """SENTINEL CKQUORUM's reply ("OK 3 usable Sentinels. ..."); raises ResponseError when not ok.

        Sent as two words: redis-py maps "SENTINEL CKQUORUM" to a callback that compares the
        whole reply with "OK" and so always returns False.
        """
        with self.client(sentinel_port) as client:
            return str(client.execute_command("SENTINEL", "CKQUORUM", self.master_name))

    def sentinel_client(self, *, user: str = APP_USER, **kwargs: Any) -> Sentinel:
        """redis-py's Sentinel, authenticating to Sentinels and data nodes as ``user``."""
        secret = self._password_of(user)
        return Sentinel(
            self.sentinels,
            sentinel_kwargs={"username": user, "password": secret, "socket_timeout": 2},
            username=user,
            password=secret,
            socket_timeout=2,
            decode_responses=True,
            **kwargs,
        )

    def run_prestop(self, port: int, *, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        """Run the rendered preStop script of the data node on ``port``."""
        return self.run_script(self.prestop_scripts[port], timeout=timeout)

    def probe(self, port: int) -> dict[str, int]:
        """Exit codes of the rendered liveness and readiness scripts for the process on ``port``."""
        if port in self.sentinel_ports:
            readiness = render_sentinel_readiness_script(master_name=self.master_name, port=port)
        else:
            readiness = render_data_node_readiness_script(port=port)
        return {
            "liveness": self.run_script(render_liveness_script(port=port)).returncode,
            "readiness": self.run_script(readiness).returncode,
        }

    def wait_ready(self, *, timeout: float = 30.0) -> None:
        """Block until every Sentinel has quorum and knows the others, and replicas are linked."""
        deadline = time.monotonic() + timeout
        while not self._ready():
            if time.monotonic() > deadline:
                raise TimeoutError(f"Sentinel group not ready after {timeout} s")
            time.sleep(0.1)

    def _ready(self) -> bool:
        try:
            for port in self.sentinel_ports:
                with self.client(port) as client:
                    fields = client.sentinel_master(self.master_name)
                    if int(fields["num-other-sentinels"]) != len(self.sentinel_ports) - 1:
                        return False
                    if int(fields["num-slaves"]) != len(self.data_ports) - 1:
                        return False
                    if not self.ckquorum(port).startswith("OK"):
                        return False
            return replicas_linked(self, self.data_ports)
        except redis.RedisError:
            return False


def replicas_linked(servers: _Servers, ports: list[int]) -> bool:
    """Whether every replica among ``ports`` has finished syncing with its master."""
    for port in ports:
        with servers.client(port) as client:
            info = client.info("replication")
        if info["role"] == "slave" and info["master_link_status"] != "up":
            return False
    return True


def _directory(root: Path, name: str) -> Path:
    path = root / name
    path.mkdir(parents=True)
    return path


@contextmanager
def _temporary_root(prefix: str) -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text)
    path.chmod(mode)
    return path


@contextmanager
def redis_cluster(
    masters: int = 3,
    replicas_per_master: int = 1,
    *,
    password: str | None = None,
    node_timeout_ms: int = 2000,
    maxmemory_mb: int = 64,
    persistence: bool = True,
    bootstrap: bool = True,
) -> Iterator[RedisClusterHandle]:
    """A real Redis Cluster of ``masters * (1 + replicas_per_master)`` nodes on loopback.

    Formed by the rendered bootstrap script unless ``bootstrap`` is False; every node is
    stopped and its directory removed on exit.
    """
    settings = RedisClusterSettings(
        masters=masters,
        replicas_per_master=replicas_per_master,
        node_timeout_ms=node_timeout_ms,
        maxmemory_mb=maxmemory_mb,
    )
    count = masters * (1 + replicas_per_master)
    with ExitStack() as stack:
        root = stack.enter_context(_temporary_root("redis-cluster-"))
        passwords = new_passwords(password)
        secrets_dir = _directory(root, "secrets")
        _write(secrets_dir / REDIS_AUTH_FILE, render_redis_auth_conf(passwords))
        ports = free_ports(2 * count)
        handle = RedisClusterHandle(root=root, passwords=passwords, settings=settings)
        stack.callback(handle.stop)
        for port, bus_port in zip(ports[:count], ports[count:], strict=True):
            workdir = _directory(root, f"node-{port}")
            layout = NodeLayout(
                port=port,
                bus_port=bus_port,
                bind=HOST,
                data_dir=str(workdir),
                secrets_dir=str(secrets_dir),
                announce_host=HOST,
            )
            conf = _write(
                workdir / "redis.conf",
                render_cluster_node_conf(settings, persistence=persistence, layout=layout),
            )
            handle.processes[port] = ServerProcess(
                port, ["redis-server", str(conf)], workdir, _script_env(passwords)
            )
        for process in handle.processes.values():
            process.start()
        handle.bootstrap_script = render_cluster_bootstrap_script(
            handle.nodes, replicas_per_master=replicas_per_master, wait_seconds=30
        )
        if bootstrap:
            result = handle.bootstrap()
            if result.returncode != 0:
                raise RuntimeError(
                    f"bootstrap failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
                )
            handle.wait_formed()
        yield handle


@contextmanager
def sentinel_group(
    data_nodes: int = 3,
    sentinels: int = 3,
    *,
    master_name: str = "sessions",
    quorum: int = 2,
    password: str | None = None,
    down_after_ms: int = 1000,
    failover_timeout_ms: int = 5000,
    maxmemory_mb: int = 64,
    persistence: bool = True,
    wait: bool = True,
) -> Iterator[SentinelGroupHandle]:
    """A real Sentinel group on loopback: data nodes and Sentinels started by the rendered scripts.

    The first data node becomes the primary (no Sentinel knows one yet). With ``wait`` the
    block starts once every Sentinel has quorum and every replica is linked.
    """
    settings = RedisSentinelSettings(
        master_name=master_name,
        data_nodes=data_nodes,
        sentinels=sentinels,
        quorum=quorum,
        down_after_ms=down_after_ms,
        failover_timeout_ms=failover_timeout_ms,
        maxmemory_mb=maxmemory_mb,
    )
    with ExitStack() as stack:
        root = stack.enter_context(_temporary_root("redis-sentinel-"))
        passwords = new_passwords(password)
        secrets_dir = _directory(root, "secrets")
        _write(secrets_dir / REDIS_AUTH_FILE, render_redis_auth_conf(passwords))
        _write(
            secrets_dir / SENTINEL_AUTH_FILE, render_sentinel_auth_conf(passwords, master_name=master_name)
        )
        ports = free_ports(data_nodes + sentinels)
        handle = SentinelGroupHandle(
            root=root,
            passwords=passwords,
            settings=settings,
            data_ports=ports[:data_nodes],
            sentinel_ports=ports[data_nodes:],
        )
        stack.callback(handle.stop)
        env = _script_env(passwords, ANNOUNCE_HOST=HOST)
        for port in handle.data_ports:
            _add_data_node(handle, port, secrets_dir, env, persistence)
        for port in handle.sentinel_ports:
            _add_sentinel(handle, port, secrets_dir, env)
        for port in handle.data_ports + handle.sentinel_ports:
            handle.processes[port].start()
        if wait:
            handle.wait_ready()
        yield handle


def _add_data_node(
    handle: SentinelGroupHandle, port: int, secrets_dir: Path, env: dict[str, str], persistence: bool
) -> None:
    workdir = _directory(handle.root, f"data-{port}")
    layout = NodeLayout(port=port, bind=HOST, data_dir=str(workdir), secrets_dir=str(secrets_dir))
    conf = _write(
        workdir / "redis.conf",
        render_sentinel_data_conf(handle.settings, persistence=persistence, layout=layout),
    )
    script = render_data_node_start_script(
        master_name=handle.master_name,
        sentinels=handle.sentinels,
        first_node=handle.data_nodes[0],
        port=port,
        config_file=str(conf),
    )
    start = _write(workdir / "start.sh", script, 0o700)
    handle.processes[port] = ServerProcess(port, ["sh", str(start)], workdir, env)
    handle.prestop_scripts[port] = render_data_node_prestop_script(
        master_name=handle.master_name, sentinels=handle.sentinels, port=port, wait_seconds=30
    )


def _add_sentinel(handle: SentinelGroupHandle, port: int, secrets_dir: Path, env: dict[str, str]) -> None:
    workdir = _directory(handle.root, f"sentinel-{port}")
    first_host, first_port = handle.data_nodes[0]
    template = render_sentinel_conf(
        handle.settings,
        primary_host=first_host,
        primary_port=first_port,
        port=port,
        bind=HOST,
        work_dir=str(workdir),
        secrets_dir=str(secrets_dir),
    )
    template_file = _write(workdir / "sentinel.conf", template)
    others = [address for address in handle.sentinels if address[1] != port]
    script = render_sentinel_start_script(
        master_name=handle.master_name,
        quorum=handle.settings.quorum,
        sentinels=others,
        template_file=str(template_file),
        runtime_file=str(workdir / "sentinel.runtime.conf"),
    )
    start = _write(workdir / "start.sh", script, 0o700)
    handle.processes[port] = ServerProcess(port, ["sh", str(start)], workdir, env)
