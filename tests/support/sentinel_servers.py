"""A real Sentinel group on loopback: data nodes and Sentinels started by the rendered scripts.

with sentinel_group() as group:
    group.primary()                            # (host, port) the Sentinels name
    group.sentinel_client().master_for(group.master_name, ...)
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis
from redis.sentinel import Sentinel

from components.render.redis import render_redis_auth_conf, render_sentinel_data_conf
from components.render.redis_layout import (
    APP_USER,
    REDIS_AUTH_FILE,
    SENTINEL_AUTH_FILE,
    NodeLayout,
    RedisPasswords,
)
from components.render.redis_scripts import (
    render_data_node_prestop_script,
    render_data_node_readiness_script,
    render_data_node_start_script,
    render_liveness_script,
    render_sentinel_readiness_script,
    render_sentinel_start_script,
)
from components.render.sentinel import render_sentinel_auth_conf, render_sentinel_conf
from components.settings.redis import RedisSentinelSettings, RedisSettings
from tests.support.ports import free_ports
from tests.support.redis_processes import (
    HOST,
    Address,
    ServerProcess,
    Servers,
    directory,
    new_passwords,
    replicas_linked,
    script_env,
    temporary_root,
    write_file,
)


@dataclass
class SentinelGroupHandle(Servers):
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

    def add_data_node(
        self,
        port: int,
        *,
        sentinels: Sequence[Address] | None = None,
        data_nodes: Sequence[Address] | None = None,
        persistence: bool = True,
    ) -> ServerProcess:
        """A data node on ``port`` run by its rendered start script (not started yet).

        Its script asks ``sentinels`` and ``data_nodes`` (default: the group's) for the
        primary, so a test can start a node that sees Sentinels of its choosing.
        """
        workdir = directory(self.root, f"data-{port}")
        layout = NodeLayout(port=port, bind=HOST, data_dir=str(workdir), secrets_dir=str(self.secrets_dir))
        conf = workdir / "redis.conf"
        text = render_sentinel_data_conf(
            self.settings,
            memory=RedisSettings().memory(self.settings),
            persistence=persistence,
            layout=layout,
        )
        script = render_data_node_start_script(
            master_name=self.master_name,
            sentinels=self.sentinels if sentinels is None else sentinels,
            data_nodes=self.data_nodes if data_nodes is None else data_nodes,
            port=port,
            config_file=str(conf),
        )
        start = write_file(workdir / "start.sh", script, 0o700)
        env = script_env(self.passwords, ANNOUNCE_HOST=HOST)
        self.processes[port] = ServerProcess(
            port, ["sh", str(start)], workdir, env, config_files={conf: text}
        )
        self.prestop_scripts[port] = render_data_node_prestop_script(
            master_name=self.master_name, sentinels=self.sentinels, port=port, wait_seconds=30
        )
        return self.processes[port]

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

    def write_secret(self, passwords: RedisPasswords) -> None:
        """Change the Secret: servers read it when they (re)start, scripts and clients use it now."""
        write_file(self.secrets_dir / REDIS_AUTH_FILE, render_redis_auth_conf(passwords))
        auth = render_sentinel_auth_conf(passwords, master_name=self.master_name)
        write_file(self.secrets_dir / SENTINEL_AUTH_FILE, auth)
        self.passwords = passwords

    def run_prestop(self, port: int, *, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        """Run the rendered preStop script of the data node on ``port`` (its pod's name is HOST)."""
        return self.run_script(self.prestop_scripts[port], timeout=timeout, ANNOUNCE_HOST=HOST)

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
        root = stack.enter_context(temporary_root("redis-sentinel-"))
        passwords = new_passwords(password)
        secrets_dir = directory(root, "secrets")
        write_file(secrets_dir / REDIS_AUTH_FILE, render_redis_auth_conf(passwords))
        write_file(
            secrets_dir / SENTINEL_AUTH_FILE, render_sentinel_auth_conf(passwords, master_name=master_name)
        )
        ports = free_ports(data_nodes + sentinels)
        handle = SentinelGroupHandle(
            root=root,
            passwords=passwords,
            secrets_dir=secrets_dir,
            settings=settings,
            data_ports=ports[:data_nodes],
            sentinel_ports=ports[data_nodes:],
        )
        stack.callback(handle.stop)
        env = script_env(passwords, ANNOUNCE_HOST=HOST)
        for port in handle.data_ports:
            handle.add_data_node(port, persistence=persistence)
        for port in handle.sentinel_ports:
            _add_sentinel(handle, port, secrets_dir, env)
        for port in handle.data_ports + handle.sentinel_ports:
            handle.processes[port].start()
        if wait:
            handle.wait_ready()
        yield handle


def _add_sentinel(handle: SentinelGroupHandle, port: int, secrets_dir: Path, env: dict[str, str]) -> None:
    workdir = directory(handle.root, f"sentinel-{port}")
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
    template_file = write_file(workdir / "sentinel.conf", template)
    others = [address for address in handle.sentinels if address[1] != port]
    script = render_sentinel_start_script(
        master_name=handle.master_name,
        quorum=handle.settings.quorum,
        sentinels=others,
        data_nodes=handle.data_nodes,
        template_file=str(template_file),
        runtime_file=str(workdir / "sentinel.runtime.conf"),
        state_file=str(directory(workdir, "volume") / "sentinel-state.conf"),
    )
    start = write_file(workdir / "start.sh", script, 0o700)
    handle.processes[port] = ServerProcess(port, ["sh", str(start)], workdir, dict(env))
