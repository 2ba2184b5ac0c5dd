"""Real Redis Clusters on loopback, for tests and benchmarks (Sentinel groups: sentinel_servers.py).

The context manager starts ``redis-server`` / ``redis-sentinel`` from the very text the
program puts into its ConfigMaps and Secrets (components/render): only ports, paths and
the announced address differ. Cluster nodes and the Sentinel group start through their
rendered start scripts, the cluster is formed by the rendered bootstrap script. Every process
runs in its own process group in a temporary directory and is killed when the block exits.

With ``own_addresses`` every cluster node gets its own loopback address and a pod name in a
private hosts file (tests/support/private_hosts.py), as in Kubernetes; ``move`` gives a
stopped node a new address, as a rescheduled pod gets a new IP.

    with redis_cluster(masters=3, replicas_per_master=1) as cluster:
        client = cluster.cluster_client()          # redis.RedisCluster as the app user
        cluster.kill(cluster.masters()[0])         # SIGKILL one node
        cluster.restart(port)                      # start it again from its data directory

"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

import redis
from redis.cluster import ClusterNode, RedisCluster

from components.render.redis import (
    render_cluster_node_conf,
    render_redis_auth_conf,
)
from components.render.redis_cluster_drain import render_cluster_drain_script
from components.render.redis_cluster_scripts import (
    render_cluster_bootstrap_script,
    render_cluster_node_start_script,
    render_cluster_prestop_script,
    render_cluster_readiness_script,
)
from components.render.redis_layout import (
    APP_USER,
    REDIS_AUTH_FILE,
    NodeLayout,
    RedisPasswords,
)
from components.render.redis_scripts import (
    render_liveness_script,
)
from components.settings.redis import RedisClusterSettings, RedisSettings
from tests.support.ports import free_ports
from tests.support.private_hosts import PrivateHosts
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
from tests.support.sentinel_servers import SentinelGroupHandle, sentinel_group

# Both kinds of store are imported from here by the cache manager's and the checks' tests.
__all__ = [
    "HOST",
    "Address",
    "RedisClusterHandle",
    "SentinelGroupHandle",
    "redis_cluster",
    "replicas_linked",
    "sentinel_group",
]

# How long a starting node waits for its peers' names (all are in the hosts file at once).
RESOLVE_SECONDS = 10
PRESTOP_WAIT_SECONDS = 30


@dataclass
class RedisClusterHandle(Servers):
    settings: RedisClusterSettings = field(default_factory=RedisClusterSettings)
    persistence: bool = True
    # Port -> the name the node announces (its pod name, or HOST without own addresses).
    names: dict[int, str] = field(default_factory=dict)
    bus_ports: dict[int, int] = field(default_factory=dict)

    @property
    def nodes(self) -> list[Address]:
        """(address, port) of every node, for clients of the test process."""
        return [(process.host, port) for port, process in self.processes.items()]

    @property
    def bootstrap_script(self) -> str:
        """The rendered bootstrap script for the current settings and nodes, as the Job runs it."""
        return render_cluster_bootstrap_script(
            [(self.names[port], port) for port in self.processes],
            masters=self.settings.masters,
            replicas_per_master=self.settings.replicas_per_master,
            wait_seconds=30,
        )

    def prestop(self, port: int) -> subprocess.CompletedProcess[str]:
        """Run the rendered preStop script of the node on ``port``."""
        return self.run_script(
            render_cluster_prestop_script(port=port, wait_seconds=PRESTOP_WAIT_SECONDS).replace(
                "127.0.0.1:", f"{self.processes[port].host}:"
            )
        )

    def move(self, port: int) -> str:
        """Give the stopped node on ``port`` a new address (a rescheduled pod's new IP)."""
        if self.hosts is None:
            raise ValueError("only a cluster started with own_addresses can move its nodes")
        process = self.processes[port]
        process.host = self.hosts.new_address()
        self.hosts.assign(self.names[port], process.host)
        _write_node_conf(self, port)
        return process.host

    def write_secret(self, passwords: RedisPasswords) -> None:
        """Change the Secret: nodes read it when they (re)start, scripts and clients use it now."""
        write_file(self.secrets_dir / REDIS_AUTH_FILE, render_redis_auth_conf(passwords))
        self.passwords = passwords

    def drain_script(self, staying: list[int]) -> str:
        """The rendered drain script for the nodes on ``staying`` ports, as the drain Job runs it."""
        return render_cluster_drain_script([(self.names[port], port) for port in staying], wait_seconds=60)

    def remove(self, port: int) -> None:
        """Stop the node on ``port`` and forget it (the StatefulSet shrank: its pod is gone)."""
        self.processes.pop(port).kill()
        del self.names[port], self.bus_ports[port]

    def grow(self, masters: int) -> list[int]:
        """Start the nodes ``masters`` more shards need (new pods, empty); their ports."""
        self.settings = self.settings.model_copy(update={"masters": masters})
        added = []
        for index in range(len(self.processes), self.settings.node_count):
            port = _add_cluster_node(self, index)
            self.processes[port].start()
            added.append(port)
        return added

    @property
    def node_timeout_ms(self) -> int:
        return self.settings.node_timeout_ms

    def bootstrap(self, *, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        """Run the rendered bootstrap script (what the Kubernetes Job runs)."""
        return self.run_script(self.bootstrap_script, timeout=timeout)

    def probe(self, port: int) -> dict[str, int]:
        """Exit codes of the rendered liveness and readiness scripts for the node on ``port``."""
        return {
            "liveness": self.run_script(self._local(render_liveness_script(port=port), port)).returncode,
            "readiness": self.run_script(
                self._local(render_cluster_readiness_script(port=port), port)
            ).returncode,
        }

    def _local(self, script: str, port: int) -> str:
        """A pod's script talks to 127.0.0.1 inside the pod; here that is the node's own address."""
        return script.replace("127.0.0.1:", f"{self.processes[port].host}:")

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
        if self.hosts is not None:
            kwargs.setdefault("address_remap", self.hosts.remap)
        return RedisCluster(
            startup_nodes=[ClusterNode(host, port) for host, port in self.nodes],
            username=user,
            password=self._password_of(user),
            decode_responses=True,
            socket_timeout=5,
            **kwargs,
        )


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
    own_addresses: bool = False,
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
    with ExitStack() as stack:
        root = stack.enter_context(temporary_root("redis-cluster-"))
        passwords = new_passwords(password)
        secrets_dir = directory(root, "secrets")
        write_file(secrets_dir / REDIS_AUTH_FILE, render_redis_auth_conf(passwords))
        handle = RedisClusterHandle(
            root=root,
            passwords=passwords,
            settings=settings,
            persistence=persistence,
            secrets_dir=secrets_dir,
            hosts=PrivateHosts(root / "hosts") if own_addresses else None,
        )
        stack.callback(handle.stop)
        for index in range(settings.node_count):
            _add_cluster_node(handle, index)
        for process in handle.processes.values():
            process.start()
        if bootstrap:
            result = handle.bootstrap()
            if result.returncode != 0:
                raise RuntimeError(
                    f"bootstrap failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
                )
            handle.wait_formed()
        yield handle


def _add_cluster_node(handle: RedisClusterHandle, index: int) -> int:
    """Pod ``index`` of the cluster's StatefulSet: its directory, config, start script; its port."""
    port, bus_port = _unused_ports(handle)
    workdir = directory(handle.root, f"node-{index}")
    name, host = HOST, HOST
    if handle.hosts is not None:
        name = f"redis-cluster-{index}.redis-cluster-headless.technovastore.svc.cluster.local"
        host = handle.hosts.new_address()
        handle.hosts.assign(name, host)
    handle.names[port], handle.bus_ports[port] = name, bus_port
    start = render_cluster_node_start_script(
        config_file=str(workdir / "redis.conf"), data_dir=str(workdir), resolve_seconds=RESOLVE_SECONDS
    )
    handle.processes[port] = ServerProcess(
        port,
        ["sh", str(write_file(workdir / "start.sh", start, 0o700))],
        workdir,
        script_env(handle.passwords, ANNOUNCE_HOST=name),
        host=host,
        hosts=handle.hosts,
    )
    _write_node_conf(handle, port)
    return port


def _unused_ports(handle: RedisClusterHandle) -> tuple[int, int]:
    """A client and a bus port free now and handed to no other node (the kernel may repeat
    a port once the probe socket closed, and nodes are keyed by port)."""
    taken = set(handle.processes) | set(handle.bus_ports.values())
    while True:
        port, bus_port = free_ports(2)
        if not {port, bus_port} & taken:
            return port, bus_port


def _write_node_conf(handle: RedisClusterHandle, port: int) -> None:
    process = handle.processes[port]
    layout = NodeLayout(
        port=port,
        bus_port=handle.bus_ports[port],
        bind=process.host,
        source_address=process.host if handle.hosts else None,
        data_dir=str(process.workdir),
        secrets_dir=str(handle.secrets_dir),
    )
    conf = render_cluster_node_conf(
        handle.settings,
        memory=RedisSettings().memory(handle.settings),
        persistence=handle.persistence,
        layout=layout,
    )
    write_file(process.workdir / "redis.conf", conf)
