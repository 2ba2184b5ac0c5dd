"""``python -m checks --port-forward`` against a whole deployment reached only through an API stand-in.

The stack outputs name in-cluster addresses (``*.svc.cluster.local``) that do not resolve
here, like on a CI runner: every connection has to go through the port-forward streams of
the stand-in (tests/support/kube_api.py), which relays them to the real servers (finding 2).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from components.kubernetes.conventions import selector_labels
from tests.integration.checks.conftest import PASSWORD, Deployment, Run, reset_stats, run_checks
from tests.support.kube_api import StandIn, kube_api_stand_in

pytestmark = pytest.mark.integration

NAMESPACE = "technovastore-staging"
SUFFIX = f"{NAMESPACE}.svc.cluster.local"
READY = {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}


def pod(name: str, workload: str, port_name: str, port: int, node: str) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": NAMESPACE, "labels": selector_labels(workload)},
        "spec": {
            "nodeName": node,
            "containers": [{"name": workload, "ports": [{"name": port_name, "containerPort": port}]}],
        },
        "status": {**READY, "podIP": "127.0.0.1"},
    }


def healthy_workloads() -> dict[str, list[dict[str, Any]]]:
    """What the Kubernetes family reads, all healthy (the stand-in is about the streams)."""
    meta = {"name": "cdn", "namespace": NAMESPACE}
    template = {"metadata": {"labels": selector_labels("cdn")}, "spec": {"containers": [{"name": "nginx"}]}}
    selector = {"matchLabels": selector_labels("cdn")}
    return {
        "DeploymentList": [
            {
                "metadata": meta,
                "spec": {"selector": selector, "template": template},
                "status": {"conditions": [{"type": "Available", "status": "True"}]},
            }
        ],
        "HorizontalPodAutoscalerList": [
            {
                "metadata": meta,
                "spec": {
                    "minReplicas": 2,
                    "maxReplicas": 6,
                    "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "cdn"},
                },
                "status": {
                    "currentReplicas": 2,
                    "desiredReplicas": 2,
                    "conditions": [{"type": "ScalingActive", "status": "True"}],
                },
            }
        ],
        "StatefulSetList": [
            {
                "metadata": {"name": "redis-cluster", "namespace": NAMESPACE},
                "spec": {"replicas": 6, "selector": selector, "template": template},
                "status": {"replicas": 6, "readyReplicas": 6},
            }
        ],
        "PodDisruptionBudgetList": [
            {
                "metadata": meta,
                "spec": {"minAvailable": 1},
                "status": {
                    "currentHealthy": 2,
                    "desiredHealthy": 1,
                    "disruptionsAllowed": 1,
                    "expectedPods": 2,
                },
            }
        ],
    }


def cluster_objects(deployment: Deployment) -> dict[str, list[dict[str, Any]]]:
    """Pods for every server of the deployment (each on its own node), and the CDN's Service."""
    pods = [
        pod(f"redis-cluster-{i}", "redis-cluster", "redis", port, f"node-{i}")
        for i, (_, port) in enumerate(deployment.cluster.nodes)
    ]
    pods += [
        pod(f"redis-sessions-{i}", "redis-sessions", "redis", port, f"node-{i}")
        for i, (_, port) in enumerate(deployment.group.data_nodes)
    ]
    pods += [
        pod(f"redis-sessions-sentinel-{i}", "redis-sessions-sentinel", "sentinel", port, f"node-{i}")
        for i, (_, port) in enumerate(deployment.group.sentinels)
    ]
    pods.append(pod("cdn-5d8f7b9c4-x2x7q", "cdn", "http", deployment.cdn.port, "node-0"))
    cdn_port = {"name": "http", "port": deployment.cdn.port, "targetPort": "http", "protocol": "TCP"}
    service = {
        "metadata": {"name": "cdn", "namespace": NAMESPACE},
        "spec": {"selector": selector_labels("cdn"), "ports": [cdn_port]},
    }
    return {"PodList": pods, "ServiceList": [service], **healthy_workloads()}


def stack_outputs(deployment: Deployment) -> dict[str, Any]:
    """What `pulumi stack output --json` gives for the stack: in-cluster names only."""
    return {
        "stack": "staging",
        "namespace": NAMESPACE,
        "endpoints": {
            "redisCluster": {
                "nodes": [
                    f"redis-cluster-0.redis-cluster-headless.{SUFFIX}:{deployment.cluster.nodes[0][1]}"
                ],
                "expectedMasters": 3,
                "replicasPerMaster": 1,
            },
            "sentinel": {
                "sentinels": [
                    f"redis-sessions-sentinel-{i}.redis-sessions-sentinel-headless.{SUFFIX}:{port}"
                    for i, (_, port) in enumerate(deployment.group.sentinels)
                ],
                "masterName": deployment.group.master_name,
                "count": 3,
                "replicas": 2,
            },
            "cdn": {"host": f"cdn.{SUFFIX}", "port": deployment.cdn.port, "healthPath": "/health"},
        },
    }


@pytest.fixture(scope="module")
def stand_in(deployment: Deployment, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StandIn]:
    # The context staging's stack config names (kubernetes:context): the checks pick it from there.
    directory = tmp_path_factory.mktemp("kube-api")
    with kube_api_stand_in(
        NAMESPACE, cluster_objects(deployment), directory, context="technovastore-staging"
    ) as api:
        yield api


def write_outputs(tmp_path: Path, outputs: dict[str, Any]) -> str:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs))
    return str(path)


@pytest.fixture
def forwarded_run(
    stand_in: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[[dict[str, Any]], Run]:
    """``python -m checks --stack staging --outputs OUTPUTS --port-forward``, kubeconfig: the stand-in's."""
    monkeypatch.setenv("KUBECONFIG", str(stand_in.kubeconfig))

    def run(outputs: dict[str, Any]) -> Run:
        path = write_outputs(tmp_path, outputs)
        return run_checks(capsys, "--stack", "staging", "--outputs", path, "--port-forward")

    return run


def test_every_check_passes_through_port_forwarding(
    deployment: Deployment, stand_in: StandIn, forwarded_run: Callable[[dict[str, Any]], Run]
) -> None:
    reset_stats(deployment.cluster)
    with deployment.cluster.cluster_client() as client:
        client.set("product:1", "keyboard")
        for _ in range(150):
            client.get("product:1")
    run = forwarded_run(stack_outputs(deployment))

    assert run.code == 0, run.document
    assert run.not_ok() == set()
    assert run.result("redis-cluster", "reachable")["message"] == "all 6 cluster nodes answered"
    assert set(run.statuses("sentinel").values()) == {"ok"}
    assert set(run.statuses("cdn").values()) == {"ok"}
    assert set(run.statuses("kubernetes").values()) == {"ok"}
    # Every server was reached through a stream to its pod, none directly (the session store's
    # primary may be asked about only through the Sentinels).
    streams = {name for name, _ in stand_in.forwarded}
    _, primary_port = deployment.group.primary() or ("", 0)
    ports = {
        p["metadata"]["name"]: p["spec"]["containers"][0]["ports"][0]["containerPort"]
        for p in stand_in.objects["PodList"]
    }
    assert {name for name, port in ports.items() if port != primary_port} <= streams <= set(ports)
    # Results name the servers as the outputs do, never the stand-in's relays.
    assert f"redis-cluster-0.redis-cluster-headless.{SUFFIX}" in json.dumps(run.document)


def test_an_address_no_pod_answers_to_is_an_unreachable_node(
    deployment: Deployment, forwarded_run: Callable[[dict[str, Any]], Run]
) -> None:
    outputs = stack_outputs(deployment)
    outputs["endpoints"]["redisCluster"]["nodes"] = [f"redis-cluster-9.redis-cluster-headless.{SUFFIX}:6379"]
    run = forwarded_run(outputs)
    reachable = run.result("redis-cluster", "reachable")
    assert reachable["status"] == "error"
    assert (
        f"no pod in namespace {NAMESPACE} answers to redis-cluster-9.redis-cluster-headless.{NAMESPACE}:6379"
        in (reachable["message"])
    )
    assert PASSWORD not in json.dumps(run.document)


def test_port_forwarding_without_a_kubeconfig_cannot_run(
    deployment: Deployment, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from checks.cli import main

    outputs = write_outputs(tmp_path, stack_outputs(deployment))
    assert main(["--stack", "staging", "--outputs", outputs, "--port-forward"]) == 2
    assert capsys.readouterr().err.startswith("checks: could not run: --port-forward needs a kubeconfig: ")
