"""The Kubernetes rules on the official client's model objects, as the API server returns them."""

from __future__ import annotations

import importlib
from dataclasses import replace
from pathlib import Path

import pytest
from kubernetes import client as k8s

from checks import kubernetes
from checks.model import Status
from checks.redis_text import ClusterNode, parse_cluster_nodes
from tests.unit.checks.captured import HEALTHY, M0, M1, M2, PORTS, R0, R1, R2

NS = "technovastore"
SELECTOR = k8s.V1LabelSelector(match_labels={"app": "x"})
TEMPLATE = k8s.V1PodTemplateSpec()


def meta(name: str) -> k8s.V1ObjectMeta:
    return k8s.V1ObjectMeta(name=name, namespace=NS)


def deployment(name: str, available: str = "True") -> k8s.V1Deployment:
    condition = k8s.V1DeploymentCondition(
        type="Available",
        status=available,
        reason="MinimumReplicasUnavailable",
        message="Deployment does not have minimum availability.",
    )
    return k8s.V1Deployment(
        metadata=meta(name),
        spec=k8s.V1DeploymentSpec(selector=SELECTOR, template=TEMPLATE),
        status=k8s.V1DeploymentStatus(conditions=[condition]),
    )


def hpa(name: str, current: int, active: str = "True") -> k8s.V2HorizontalPodAutoscaler:
    condition = k8s.V2HorizontalPodAutoscalerCondition(
        type="ScalingActive", status=active, reason="FailedGetResourceMetric", message="no metrics returned"
    )
    return k8s.V2HorizontalPodAutoscaler(
        metadata=meta(name),
        spec=k8s.V2HorizontalPodAutoscalerSpec(
            min_replicas=2,
            max_replicas=10,
            scale_target_ref=k8s.V2CrossVersionObjectReference(kind="Deployment", name=name),
        ),
        status=k8s.V2HorizontalPodAutoscalerStatus(
            current_replicas=current, desired_replicas=current, conditions=[condition]
        ),
    )


def statefulset(name: str, ready: int) -> k8s.V1StatefulSet:
    return k8s.V1StatefulSet(
        metadata=meta(name),
        spec=k8s.V1StatefulSetSpec(replicas=6, selector=SELECTOR, service_name=name, template=TEMPLATE),
        status=k8s.V1StatefulSetStatus(replicas=6, ready_replicas=ready),
    )


def pdb(name: str, allowed: int) -> k8s.V1PodDisruptionBudget:
    status = k8s.V1PodDisruptionBudgetStatus(
        disruptions_allowed=allowed, current_healthy=2, desired_healthy=2 + 1 - allowed, expected_pods=2
    )
    return k8s.V1PodDisruptionBudget(metadata=meta(name), status=status)


def pod(name: str, ip: str, node: str) -> k8s.V1Pod:
    return k8s.V1Pod(
        metadata=meta(name),
        spec=k8s.V1PodSpec(containers=[], node_name=node),
        status=k8s.V1PodStatus(pod_ip=ip),
    )


def pairs() -> list[tuple[ClusterNode, ClusterNode]]:
    nodes = {n.node_id: n for n in parse_cluster_nodes(HEALTHY)}
    return [(nodes[m], nodes[r]) for m, r in ((M0, R0), (M1, R1), (M2, R2))]


def test_healthy_objects_pass() -> None:
    objects = kubernetes.Objects(
        deployments=[deployment("api-gateway")],
        hpas=[hpa("api-gateway", 3)],
        statefulsets=[statefulset("redis-cluster", 6)],
        pdbs=[pdb("api-gateway", 1)],
        pods=[],
    )
    results = kubernetes.evaluate(objects, NS, [])
    # Without a cluster topology there is nothing to compare the pods with: skipped, and said so.
    assert [r.status for r in results] == [Status.OK, Status.OK, Status.OK, Status.OK, Status.SKIP]


def test_unhealthy_objects_say_what_and_why() -> None:
    objects = kubernetes.Objects(
        deployments=[deployment("api-gateway", available="False")],
        hpas=[hpa("product-service", 12, active="False")],
        statefulsets=[statefulset("redis-cluster", 5)],
        pdbs=[pdb("order-service", 0)],
        pods=[],
    )
    messages = {r.name: r.message for r in kubernetes.evaluate(objects, NS, []) if r.status is Status.FAIL}
    assert messages == {
        "deployments_available": "Deployment api-gateway is not available "
        "(MinimumReplicasUnavailable: Deployment does not have minimum availability.)",
        "hpas_active": "HPA product-service is not ScalingActive "
        "(FailedGetResourceMetric: no metrics returned); "
        "HPA product-service has 12 current replicas, outside 2..10",
        "statefulsets_ready": "StatefulSet redis-cluster has 5 of 6 replicas ready",
        "pdbs_allow_disruption": "PDB order-service allows no disruption now (2 healthy, 3 required)",
    }


def test_an_empty_namespace_fails() -> None:
    objects = kubernetes.Objects([], [], [], [], [])
    results = kubernetes.evaluate(objects, NS, [])
    assert results[0].message == "no Deployment in namespace technovastore"
    assert all(r.status is Status.FAIL for r in results[:4])


@pytest.mark.parametrize("shared", [False, True])
def test_a_master_and_its_replica_on_one_node(shared: bool) -> None:
    topology = pairs()
    node_of = {17000: "a", 17001: "b", 17002: "c", 17003: "b", 17004: "c", 17005: "c" if shared else "a"}
    pods = [pod(f"redis-{port}", f"10.0.0.{port - 17000}", node_of[port]) for port in node_of]
    # As in a pod network: every node has its own IP.
    moved = [
        (
            replace(m, address=f"10.0.0.{PORTS[m.node_id] - 17000}:6379"),
            replace(r, address=f"10.0.0.{PORTS[r.node_id] - 17000}:6379"),
        )
        for m, r in topology
    ]
    result = kubernetes.check_redis_spread(moved, pods, NS)
    if shared:
        assert result.status is Status.FAIL
        assert result.message == "master redis-17002 and its replica redis-17005 both run on node c"
    else:
        assert result.status is Status.OK


def test_pods_found_by_announced_hostname() -> None:
    (node,) = parse_cluster_nodes(
        f"{M0} 10.9.9.9:6379@16379,redis-cluster-0.redis-cluster.ns.svc myself,master - 0 0 1 connected 0-99"
    )
    (replica,) = parse_cluster_nodes(
        f"{R0} 10.9.9.8:6379@16379,redis-cluster-3.redis-cluster.ns.svc slave {M0} 0 0 1 connected"
    )
    pods = [pod("redis-cluster-0", "10.1.1.1", "a"), pod("redis-cluster-3", "10.1.1.2", "a")]
    result = kubernetes.check_redis_spread([(node, replica)], pods, NS)
    assert result.message == "master redis-cluster-0 and its replica redis-cluster-3 both run on node a"


def redis_pod(name: str, ip: str, port: int, node: str) -> k8s.V1Pod:
    container = k8s.V1Container(name="redis", ports=[k8s.V1ContainerPort(container_port=port)])
    return k8s.V1Pod(
        metadata=meta(name),
        spec=k8s.V1PodSpec(containers=[container], node_name=node),
        status=k8s.V1PodStatus(pod_ip=ip),
    )


@pytest.mark.parametrize("same_node", [False, True])
def test_pods_sharing_an_address_are_told_apart_by_their_port(same_node: bool) -> None:
    # hostNetwork pods (or a loopback rehearsal) share one IP: the node's.
    (node,) = parse_cluster_nodes(f"{M0} 10.1.1.1:7001@17001 myself,master - 0 0 1 connected 0-99")
    (replica,) = parse_cluster_nodes(f"{R0} 10.1.1.1:7002@17002 slave {M0} 0 0 1 connected")
    pods = [
        redis_pod("redis-a", "10.1.1.1", 7001, "a"),
        redis_pod("redis-b", "10.1.1.1", 7002, "a" if same_node else "b"),
    ]
    result = kubernetes.check_redis_spread([(node, replica)], pods, NS)
    if same_node:
        assert result.message == "master redis-a and its replica redis-b both run on node a"
    else:
        assert result.status is Status.OK


def test_no_kubeconfig_is_a_visible_skip(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBECONFIG", "/nonexistent/kubeconfig")
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    (result,) = kubernetes.run(NS, None, 1.0, [])
    assert result.status is Status.SKIP
    assert result.message.startswith("no kubeconfig or in-cluster service account reachable (")
    assert result.message.endswith("); Kubernetes checks skipped")


def test_the_kubeconfig_is_the_one_named_now_not_at_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    importlib.import_module("kubernetes.config")  # the client has read KUBECONFIG by now
    path = tmp_path / "kubeconfig"
    path.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        "clusters: [{name: k, cluster: {server: 'https://192.0.2.7:6443'}}]\n"
        "users: [{name: u, user: {token: t}}]\ncontexts: [{name: c, context: {cluster: k, user: u}}]\n"
    )
    monkeypatch.setenv("KUBECONFIG", str(path))
    api = kubernetes.load_client(None)
    assert api.configuration.host == "https://192.0.2.7:6443"
