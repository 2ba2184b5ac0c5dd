"""A whole deployment on loopback (6-node cluster, Sentinel group, NGINX CDN) and a CLI runner."""

from __future__ import annotations

import json
import secrets
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from checks.cli import main
from components.kubernetes.cdn import service_names
from components.render.redis_layout import ADMIN_USER
from components.settings.cdn import CdnSettings
from tests.support.nginx_server import NginxCdn, OriginServer, nginx_cdn, origin_server
from tests.support.redis_servers import RedisClusterHandle, SentinelGroupHandle, redis_cluster, sentinel_group

# Both fixtures take the admin password, so one REDIS_PASSWORD opens the cluster and the Sentinels.
PASSWORD = secrets.token_urlsafe(24)

LOCAL_NAMES = ("127.0.0.1", "localhost", *service_names("cdn", "technovastore-staging"))


def joined(addresses: list[tuple[str, int]]) -> str:
    return ",".join(f"{host}:{port}" for host, port in addresses)


@dataclass
class Deployment:
    cluster: RedisClusterHandle
    group: SentinelGroupHandle
    cdn: NginxCdn

    def flags(self) -> list[str]:
        """Endpoint flags for every family (the cluster through one seed: the rest is discovered)."""
        return [
            "--redis-cluster",
            joined(self.cluster.nodes[:1]),
            "--sentinel",
            joined(self.group.sentinels),
            "--sentinel-master",
            self.group.master_name,
            "--cdn",
            self.cdn.base_url,
            "--namespace",
            "technovastore",
        ]


@dataclass
class Run:
    code: int
    document: dict[str, Any]

    def result(self, family: str, name: str) -> dict[str, Any]:
        matches = [r for r in self.document["results"] if (r["family"], r["name"]) == (family, name)]
        assert len(matches) == 1, f"{family}/{name} not in {self.document['results']}"
        return matches[0]

    def statuses(self, family: str) -> dict[str, str]:
        return {r["name"]: r["status"] for r in self.document["results"] if r["family"] == family}

    def not_ok(self, family: str | None = None) -> set[tuple[str, str]]:
        """(family, check) of every result neither ok nor skipped (of ``family`` only, if given)."""
        results = [r for r in self.document["results"] if family in (None, r["family"])]
        return {(r["family"], r["name"]) for r in results if r["status"] not in ("ok", "skip")}


def run_checks(capsys: pytest.CaptureFixture[str], *args: str) -> Run:
    """``python -m checks --format json ARGS`` in-process."""
    capsys.readouterr()
    # Generous bounds: the machine may be busy; a verdict must not depend on its speed.
    code = main(["--format", "json", "--timeout", "30", "--call-timeout", "10", *args])
    captured = capsys.readouterr()
    assert PASSWORD not in captured.out + captured.err
    return Run(code, json.loads(captured.out))


def redis_cli_check(port: int) -> subprocess.CompletedProcess[str]:
    """``redis-cli --cluster check`` as the admin user; the password through the environment only."""
    return subprocess.run(
        ["redis-cli", "--user", ADMIN_USER, "--cluster", "check", f"127.0.0.1:{port}"],
        env={"REDISCLI_AUTH": PASSWORD, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


SLOT_CHECKS = ("slot_coverage", "open_slots", "slot_map_agreement")


def assert_agrees_with_redis_cli(run: Run, port: int) -> None:
    """Our slot verdicts pass exactly when redis-cli's cluster check does (it does not count replicas)."""
    tool = redis_cli_check(port)
    ours = all(run.result("redis-cluster", name)["status"] == "ok" for name in SLOT_CHECKS)
    assert ours == (tool.returncode == 0), tool.stdout + tool.stderr


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_PASSWORD", PASSWORD)
    # No kubeconfig here: the Kubernetes family must skip, visibly.
    monkeypatch.setenv("KUBECONFIG", "/nonexistent/kubeconfig")
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)


@pytest.fixture(scope="module")
def origin() -> Iterator[OriginServer]:
    with origin_server() as server:
        yield server


@pytest.fixture(scope="module")
def deployment(origin: OriginServer) -> Iterator[Deployment]:
    with (
        redis_cluster(masters=3, replicas_per_master=1, password=PASSWORD) as cluster,
        sentinel_group(password=PASSWORD) as group,
        # Served by its Service's names too, like in a pod (the port-forward test uses them).
        nginx_cdn(CdnSettings(), origin.port, local_names=LOCAL_NAMES) as cdn,
    ):
        yield Deployment(cluster, group, cdn)


def reset_stats(cluster: RedisClusterHandle) -> None:
    for _, port in cluster.nodes:
        with cluster.client(port) as client:
            client.config_resetstat()


def wait_until(predicate: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    """Poll ``predicate`` until true; the servers' own clocks (node timeouts) set the pace."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"not reached within {timeout} s: {what}")
        time.sleep(0.1)


def cluster_nodes(cluster: RedisClusterHandle, port: int) -> dict[str, dict[str, Any]]:
    """redis-py's parsed CLUSTER NODES of one node, keyed by address."""
    with cluster.client(port) as client:
        return dict(client.execute_command("CLUSTER NODES"))


def primary_and_replica(group: SentinelGroupHandle) -> tuple[int, int]:
    """Ports of the primary the Sentinels name and of one of its replicas."""
    primary = group.primary()
    assert primary is not None
    return primary[1], next(port for _, port in group.data_nodes if port != primary[1])


@pytest.fixture
def fresh_cluster() -> Iterator[RedisClusterHandle]:
    """A cluster of its own, for faults that cannot be undone."""
    with redis_cluster(masters=3, replicas_per_master=1, password=PASSWORD, node_timeout_ms=1000) as cluster:
        yield cluster


@pytest.fixture
def fresh_group() -> Iterator[SentinelGroupHandle]:
    """A Sentinel group of its own, for faults that cannot be undone."""
    with sentinel_group(password=PASSWORD) as group:
        yield group
