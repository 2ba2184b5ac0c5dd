"""A healthy deployment passes, every report format is well formed, and both hit ratios are judged."""

from __future__ import annotations

import json
import random
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from prometheus_client import start_http_server

from cache_manager import DistributedCacheManager
from checks.cli import main
from components.settings import load_settings
from components.settings.cache import CacheClientSettings
from tests.integration.checks.conftest import (
    PASSWORD,
    Deployment,
    assert_agrees_with_redis_cli,
    joined,
    reset_stats,
    run_checks,
)
from tests.support.ports import free_port

pytestmark = pytest.mark.integration


def lookups(deployment: Deployment, *, hits: int, misses: int) -> None:
    with deployment.cluster.cluster_client() as client:
        client.set("product:1", "keyboard")
        for _ in range(hits):
            client.get("product:1")
        for index in range(misses):
            client.get(f"product:missing:{index}")


def healthy_traffic(deployment: Deployment) -> None:
    """Counters as a healthy stack has them (0.952), whatever earlier tests did to them."""
    reset_stats(deployment.cluster)
    lookups(deployment, hits=200, misses=10)


def test_a_healthy_deployment_passes(deployment: Deployment, capsys: pytest.CaptureFixture[str]) -> None:
    healthy_traffic(deployment)
    run = run_checks(capsys, *deployment.flags())
    assert run.code == 0, run.document
    assert run.not_ok() == set()
    assert set(run.statuses("redis-cluster")) >= {"cluster_state", "topology", "open_slots"}
    assert set(run.statuses("sentinel").values()) == {"ok"}
    assert set(run.statuses("cdn").values()) == {"ok"}
    assert run.result("redis-cluster", "reachable")["message"] == "all 6 cluster nodes answered"
    ratio = run.result("hit-ratio", "keyspace_hit_ratio")["message"]
    assert ratio == "keyspace hit ratio 0.952 (200 hits / 210 lookups) meets 0.85"
    kubernetes = run.result("kubernetes", "api")
    assert kubernetes["status"] == "skip"
    assert "Kubernetes checks skipped" in kubernetes["message"]
    assert_agrees_with_redis_cli(run, deployment.cluster.nodes[0][1])


def test_junit_report_is_well_formed(deployment: Deployment, tmp_path: Path) -> None:
    healthy_traffic(deployment)
    report = tmp_path / "checks.xml"
    code = main(["--format", "junit", "--output", str(report), *deployment.flags()])
    root = ET.parse(report).getroot()
    assert root.tag == "testsuites"
    suites = {suite.get("name"): suite for suite in root}
    assert set(suites) == {"redis-cluster", "hit-ratio", "sentinel", "cdn", "kubernetes"}
    cases = root.findall("./testsuite/testcase")
    assert int(root.get("tests", "0")) == len(cases) > 15
    assert root.get("failures") == "0" and root.get("errors") == "0"
    # The Kubernetes family without a kubeconfig, the application ratio without metrics endpoints.
    assert len(root.findall(".//skipped")) == 2
    assert code == 0
    assert PASSWORD not in report.read_text()


def test_table_is_the_default_and_never_shows_the_password(
    deployment: Deployment, capsys: pytest.CaptureFixture[str]
) -> None:
    healthy_traffic(deployment)
    code = main(deployment.flags())
    out = capsys.readouterr().out
    assert code == 0
    assert "Post-deploy checks" in out and "slot_map_agreement" in out
    assert PASSWORD not in out


def test_no_traffic_is_a_warning_that_does_not_fail(
    deployment: Deployment, capsys: pytest.CaptureFixture[str]
) -> None:
    reset_stats(deployment.cluster)
    run = run_checks(capsys, *deployment.flags())
    result = run.result("hit-ratio", "keyspace_hit_ratio")
    assert result["status"] == "warn"
    assert result["message"] == (
        "keyspace hit ratio: insufficient traffic: 0 lookups (0 hits, 0 misses), fewer than 100"
    )
    assert run.code == 0, run.document


def test_a_low_hit_ratio_fails(deployment: Deployment, capsys: pytest.CaptureFixture[str]) -> None:
    reset_stats(deployment.cluster)
    lookups(deployment, hits=60, misses=140)
    run = run_checks(capsys, *deployment.flags())
    result = run.result("hit-ratio", "keyspace_hit_ratio")
    assert result["status"] == "fail"
    assert result["message"] == "keyspace hit ratio 0.300 (60 hits / 200 lookups) is below 0.85"
    assert run.code == 1, run.document
    # The threshold comes from the settings unless a flag overrides it.
    lenient = run_checks(capsys, *deployment.flags(), "--min-hit-ratio", "0.25")
    assert lenient.result("hit-ratio", "keyspace_hit_ratio")["status"] == "ok"


def test_window_counts_only_lookups_during_it(
    deployment: Deployment, capsys: pytest.CaptureFixture[str]
) -> None:
    reset_stats(deployment.cluster)
    lookups(deployment, hits=300, misses=0)
    with cache_manager(deployment) as manager, metrics_endpoint(manager) as url:
        read_path_traffic(manager)  # before the window: the manager's counters say 500 reads
        run = run_checks(capsys, *deployment.flags(), "--window", "0.3", "--cache-metrics", url)
    for check in ("keyspace_hit_ratio", "application_hit_ratio"):
        result = run.result("hit-ratio", check)
        assert result["status"] == "warn"
        assert "insufficient traffic: 0 lookups" in result["message"]
        assert "over 0.3 s" in result["target"]


def test_an_open_slot_fails_and_redis_cli_agrees(
    deployment: Deployment, capsys: pytest.CaptureFixture[str]
) -> None:
    healthy_traffic(deployment)  # so the open slot is the only finding
    cluster = deployment.cluster
    source, destination = cluster.masters()[:2]
    with cluster.client(source) as src, cluster.client(destination) as dst:
        slot = int(src.execute_command("CLUSTER NODES")[f"127.0.0.1:{source}"]["slots"][0][0])
        source_id, destination_id = src.execute_command("CLUSTER MYID"), dst.execute_command("CLUSTER MYID")
        src.execute_command("CLUSTER SETSLOT", slot, "MIGRATING", destination_id)
        try:
            run = run_checks(capsys, *deployment.flags())
            assert_agrees_with_redis_cli(run, source)
        finally:
            src.execute_command("CLUSTER SETSLOT", slot, "STABLE")
    assert run.code == 1, run.document
    assert run.not_ok() == {("redis-cluster", "open_slots")}
    message = run.result("redis-cluster", "open_slots")["message"]
    assert message == f"slot {slot} migrating from 127.0.0.1:{source} to 127.0.0.1:{destination}"
    assert source_id != destination_id


def test_json_report_shape(deployment: Deployment, capsys: pytest.CaptureFixture[str]) -> None:
    run = run_checks(capsys, *deployment.flags())
    document = run.document
    assert set(document) == {"stack", "exitCode", "summary", "results"}
    assert document["exitCode"] == run.code
    assert sum(document["summary"].values()) == len(document["results"])
    assert json.loads(json.dumps(document)) == document


# Redis's keyspace ratio and the application's, side by side, on the services' read path:
# get_or_load over a Zipf-like product mix from one cache manager serving its metrics over HTTP.
PRODUCTS = 60
READS = 500


@contextmanager
def cache_manager(deployment: Deployment) -> Iterator[DistributedCacheManager]:
    settings = load_settings({}, "staging")
    cache = CacheClientSettings(key_prefix=f"t{uuid.uuid4().hex[:12]}")
    cluster = deployment.cluster
    with DistributedCacheManager.from_settings(
        settings.model_copy(update={"cache": cache}),
        cluster_nodes=cluster.nodes,
        username=cluster.app_user,
        password=cluster.app_password,
    ) as manager:
        yield manager


@contextmanager
def metrics_endpoint(manager: DistributedCacheManager) -> Iterator[str]:
    """The manager's registry on /metrics, as a service exports it."""
    port = free_port()
    server, thread = start_http_server(port, addr="127.0.0.1", registry=manager.metrics.registry)
    try:
        yield f"http://127.0.0.1:{port}/metrics"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def read_path_traffic(manager: DistributedCacheManager) -> list[int]:
    """READS product reads, each a get_or_load; returns the products read, in order."""
    rng = random.Random(7)
    weights = [1 / rank for rank in range(1, PRODUCTS + 1)]
    numbers = rng.choices(range(PRODUCTS), weights=weights, k=READS)
    for number in numbers:
        manager.get_or_load("product", f"p-{number}", lambda n=number: {"id": f"p-{n}"})  # type: ignore[misc]
    return numbers


def test_the_checks_report_both_ratios_and_each_matches_the_managers_count(
    deployment: Deployment, capsys: pytest.CaptureFixture[str]
) -> None:
    reset_stats(deployment.cluster)
    with cache_manager(deployment) as manager, metrics_endpoint(manager) as url:
        products = read_path_traffic(manager)
        hits, misses = (manager.metrics.lookup_count("product", result) for result in ("hit", "miss"))
        run = run_checks(
            capsys, "--redis-cluster", joined(deployment.cluster.nodes[:1]), "--cache-metrics", url
        )
    assert (hits + misses, misses) == (READS, len(set(products)))  # each product loaded once
    counts = f"{hits / READS:.3f} ({hits} hits / {READS} lookups)"
    keyspace = run.result("hit-ratio", "keyspace_hit_ratio")
    application = run.result("hit-ratio", "application_hit_ratio")
    assert keyspace["message"].startswith(f"keyspace hit ratio {counts}")
    assert application["message"].startswith(f"application hit ratio {counts}")
    assert keyspace["target"].startswith("Redis keyspace lookups, since start")
    assert application["target"] == "cache manager reads, since each process started, 1 metrics endpoint(s)"


def test_a_metrics_endpoint_that_does_not_answer_means_the_ratio_could_not_be_read(
    deployment: Deployment, capsys: pytest.CaptureFixture[str]
) -> None:
    silent = f"http://127.0.0.1:{free_port()}/metrics"
    run = run_checks(
        capsys, "--redis-cluster", joined(deployment.cluster.nodes[:1]), "--cache-metrics", silent
    )
    result = run.result("hit-ratio", "application_hit_ratio")
    assert result["status"] == "error"
    assert result["message"].startswith(f"could not read the cache manager's metrics: {silent}: ")
    assert run.code == 2
