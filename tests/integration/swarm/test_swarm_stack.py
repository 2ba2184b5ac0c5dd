"""The swarm stack on a real Swarm: every service converges, both Redis stores form, checks pass."""

from __future__ import annotations

import pytest

from tests.integration.swarm.conftest import Deployment
from tests.integration.swarm.probes import redis_cli

pytestmark = pytest.mark.integration
SERVICE = "docker:index/service:Service"


def test_every_service_runs_its_replicas_healthy(deployment: Deployment) -> None:
    declared = [r for r in deployment.synthesis.resources if r.type == SERVICE]
    long_running = [r for r in declared if r.inputs["taskSpec"]["restartPolicy"]["condition"] != "none"]
    for resource in long_running:
        service_id = deployment.service_id(resource.name)
        assert deployment.applier.converged(service_id), (
            resource.name,
            deployment.applier.task_states(service_id),
        )
    assert {s.name for s in deployment.client.services.list()} == {r.inputs["name"] for r in declared}
    # 4 app services, 6 cluster nodes, 3 session data nodes, 3 Sentinels, the CDN, the
    # autoscaler; the CDN's metrics reader, the Redis exporter and Prometheus (Grafana is not
    # deployed here: no image).
    assert len(long_running) == 21


def test_the_bootstrap_service_ran_once_and_succeeded(deployment: Deployment) -> None:
    bootstrap = deployment.service_id("redis-cluster-bootstrap")
    tasks = deployment.client.api.tasks(filters={"service": bootstrap})
    assert [t["Status"]["State"] for t in tasks] == ["complete"], tasks


def test_the_redis_cluster_formed_six_nodes_with_a_replica_per_master(deployment: Deployment) -> None:
    nodes = deployment.outputs["endpoints"]["redisCluster"]["nodes"]
    first = nodes[0].split(":")[0]
    info = dict(
        line.split(":", 1) for line in redis_cli(deployment, first, "cluster", "info").split() if ":" in line
    )
    assert info["cluster_state"] == "ok"
    assert info["cluster_slots_assigned"] == info["cluster_slots_ok"] == "16384"
    assert info["cluster_known_nodes"] == "6"
    table = [line.split() for line in redis_cli(deployment, first, "cluster", "nodes").splitlines()]
    masters = {row[0] for row in table if "master" in row[2]}
    replicas_of = [row[3] for row in table if "slave" in row[2]]
    assert len(masters) == 3
    assert sorted(replicas_of) == sorted(masters)  # each master exactly one replica


def test_the_sentinel_group_reaches_quorum(deployment: Deployment) -> None:
    sentinel = deployment.outputs["endpoints"]["sentinel"]
    host = sentinel["sentinels"][0].split(":")[0]
    answer = redis_cli(deployment, host, "-p", "26379", "sentinel", "ckquorum", sentinel["masterName"])
    assert answer.startswith("OK"), answer
    replicas = redis_cli(deployment, host, "-p", "26379", "sentinel", "replicas", sentinel["masterName"])
    assert replicas.count("flags") == sentinel["replicas"]


def test_the_post_deploy_checks_pass_from_inside_the_network(deployment: Deployment) -> None:
    code, report = deployment.run_checks()
    failed = [r for r in report["results"] if r["status"] in ("fail", "error")]
    assert code == 0 and not failed, failed
    passed = {r["family"] for r in report["results"] if r["status"] == "ok"}
    assert {"redis-cluster", "sentinel", "cdn"} <= passed, report["results"]
