"""A cluster whose pods all come back with new IPs re-forms by itself (each node has its own address)."""

from __future__ import annotations

import pytest

from tests.support.redis_failover import time_full_restart_with_new_addresses
from tests.support.redis_servers import RedisClusterHandle, redis_cluster

pytestmark = pytest.mark.integration

KEYS = [f"product:{index}" for index in range(200)]
# Generous: re-forming takes a few cluster-bus round trips once every node resolved its peers.
REFORM_SECONDS = 60


def test_full_restart_with_every_address_changed_reforms_by_itself() -> None:
    with redis_cluster(masters=3, replicas_per_master=1, own_addresses=True) as cluster:
        with cluster.cluster_client() as client:
            for key in KEYS:
                client.set(key, key.upper())
        for port in cluster.masters():
            with cluster.client(port) as admin:
                assert admin.execute_command("WAIT", 1, 5000) == 1
        old = {port: process.host for port, process in cluster.processes.items()}
        ids = {port: _myid(cluster, port) for port in cluster.processes}

        time_full_restart_with_new_addresses(cluster, timeout=REFORM_SECONDS)

        assert all(cluster.processes[port].host != old[port] for port in old)
        assert {port: _myid(cluster, port) for port in cluster.processes} == ids
        with cluster.cluster_client() as client:
            assert {key: client.get(key) for key in KEYS} == {key: key.upper() for key in KEYS}
        result = cluster.bootstrap()
        assert result.returncode == 0, result.stderr
        assert "nothing to change" in result.stdout


def _myid(cluster: RedisClusterHandle, port: int) -> str:
    with cluster.client(port) as client:
        return str(client.execute_command("CLUSTER MYID"))
