"""The stack's Kubernetes objects, read through the official client: are they healthy?

Skipped, visibly, when no kubeconfig (or in-cluster service account) is reachable: the
other families still prove the data path from wherever the checks run.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from checks.model import CheckResult, Status
from checks.port_forward import object_name as _name
from checks.port_forward import pods_at
from checks.redis_text import ClusterNode
from checks.verdicts import verdict

if TYPE_CHECKING:
    from kubernetes import client

FAMILY = "kubernetes"


@dataclass(frozen=True)
class Objects:
    """Everything the checks read from one namespace."""

    deployments: Sequence[client.V1Deployment]
    hpas: Sequence[client.V2HorizontalPodAutoscaler]
    statefulsets: Sequence[client.V1StatefulSet]
    pdbs: Sequence[client.V1PodDisruptionBudget]
    pods: Sequence[client.V1Pod]


class NoKubeconfig(Exception):
    pass


def kubeconfig_missing() -> str | None:
    """Why no cluster can be reached (None when a kubeconfig or a service account is there).

    Checked before importing the client, which takes most of a second to import: without a
    cluster the run should not pay for it.
    """
    if os.environ.get("KUBERNETES_SERVICE_HOST"):
        return None
    paths = [
        Path(p).expanduser() for p in os.environ.get("KUBECONFIG", "~/.kube/config").split(os.pathsep) if p
    ]
    if any(path.is_file() for path in paths):
        return None
    return f"no file at {', '.join(str(path) for path in paths)} and not in a pod"


def load_client(context: str | None) -> client.ApiClient:
    """An API client from the kubeconfig (KUBECONFIG, ~/.kube/config) or the pod's service account."""
    from kubernetes import client, config
    from kubernetes.config.config_exception import ConfigException

    try:
        configuration = client.Configuration()
        # The client reads KUBECONFIG once, when first imported: name the file as it is now.
        kubeconfig = os.environ.get("KUBECONFIG") or None
        config.load_kube_config(config_file=kubeconfig, context=context, client_configuration=configuration)
        return client.ApiClient(configuration)
    except (ConfigException, FileNotFoundError, TypeError) as kube_error:
        try:
            config.load_incluster_config()
            return client.ApiClient()
        except ConfigException:
            raise NoKubeconfig(str(kube_error)) from None


def read_objects(api: client.ApiClient, namespace: str, timeout: float) -> Objects:
    from kubernetes import client

    apps, autoscaling = client.AppsV1Api(api), client.AutoscalingV2Api(api)
    policy, core = client.PolicyV1Api(api), client.CoreV1Api(api)
    options: dict[str, Any] = {"_request_timeout": timeout}
    return Objects(
        deployments=apps.list_namespaced_deployment(namespace, **options).items,
        hpas=autoscaling.list_namespaced_horizontal_pod_autoscaler(namespace, **options).items,
        statefulsets=apps.list_namespaced_stateful_set(namespace, **options).items,
        pdbs=policy.list_namespaced_pod_disruption_budget(namespace, **options).items,
        pods=core.list_namespaced_pod(namespace, **options).items,
    )


def run(
    namespace: str, context: str | None, timeout: float, redis_pairs: list[tuple[ClusterNode, ClusterNode]]
) -> list[CheckResult]:
    missing = kubeconfig_missing()
    try:
        if missing:
            raise NoKubeconfig(missing)
        api = load_client(context)
    except NoKubeconfig as error:
        note = f"no kubeconfig or in-cluster service account reachable ({error}); Kubernetes checks skipped"
        return [CheckResult(FAMILY, "api", Status.SKIP, note, namespace)]
    from kubernetes.client.exceptions import ApiException

    try:
        objects = read_objects(api, namespace, timeout)
    except ApiException as error:
        message = f"the API server refused to list objects in {namespace}: {error.status} {error.reason}"
        return [CheckResult(FAMILY, "api", Status.ERROR, message, namespace)]
    except Exception as error:  # urllib3 raises many kinds when the API server is unreachable
        message = f"could not reach the API server: {type(error).__name__}: {error}"
        return [CheckResult(FAMILY, "api", Status.ERROR, message, namespace)]
    finally:
        api.close()
    return evaluate(objects, namespace, redis_pairs)


def evaluate(
    objects: Objects, namespace: str, redis_pairs: list[tuple[ClusterNode, ClusterNode]]
) -> list[CheckResult]:
    """Every Kubernetes check over the listed objects (pure)."""
    return [
        check_deployments(objects.deployments, namespace),
        check_hpas(objects.hpas, namespace),
        check_statefulsets(objects.statefulsets, namespace),
        check_pdbs(objects.pdbs, namespace),
        check_redis_spread(redis_pairs, objects.pods, namespace),
    ]


def _not_true(obj: Any, condition_type: str) -> str | None:
    """Why ``obj``'s ``condition_type`` condition is not True, or None when it is."""
    conditions = (obj.status.conditions if obj.status else None) or []
    condition = next((c for c in conditions if c.type == condition_type), None)
    if condition is None:
        return f"no {condition_type} condition yet"
    return None if condition.status == "True" else f"{condition.reason}: {condition.message}"


def _node_name(pod: client.V1Pod) -> str | None:
    return pod.spec.node_name if pod.spec else None


def _none_found(name: str, kind: str, namespace: str) -> CheckResult:
    return CheckResult(FAMILY, name, Status.FAIL, f"no {kind} in namespace {namespace}", namespace)


def check_deployments(deployments: Sequence[client.V1Deployment], namespace: str) -> CheckResult:
    if not deployments:
        return _none_found("deployments_available", "Deployment", namespace)
    problems = []
    for deployment in deployments:
        if why := _not_true(deployment, "Available"):
            problems.append(f"Deployment {_name(deployment)} is not available ({why})")
    ok = f"{len(deployments)} Deployments available"
    return verdict(FAMILY, "deployments_available", problems, ok, namespace)


def check_hpas(hpas: Sequence[client.V2HorizontalPodAutoscaler], namespace: str) -> CheckResult:
    if not hpas:
        return _none_found("hpas_active", "HorizontalPodAutoscaler", namespace)
    problems = []
    for hpa in hpas:
        name, spec, status = _name(hpa), hpa.spec, hpa.status
        if why := _not_true(hpa, "ScalingActive"):
            problems.append(f"HPA {name} is not ScalingActive ({why})")
        current = status.current_replicas if status else None
        low, high = spec.min_replicas or 1, spec.max_replicas
        if current is None or not low <= current <= high:
            problems.append(f"HPA {name} has {current} current replicas, outside {low}..{high}")
    ok = f"{len(hpas)} HPAs ScalingActive, replicas within min..max"
    return verdict(FAMILY, "hpas_active", problems, ok, namespace)


def check_statefulsets(statefulsets: Sequence[client.V1StatefulSet], namespace: str) -> CheckResult:
    if not statefulsets:
        return _none_found("statefulsets_ready", "StatefulSet", namespace)
    problems = []
    for statefulset in statefulsets:
        wanted = statefulset.spec.replicas if statefulset.spec.replicas is not None else 1
        ready = (statefulset.status.ready_replicas if statefulset.status else None) or 0
        if ready != wanted:
            problems.append(f"StatefulSet {_name(statefulset)} has {ready} of {wanted} replicas ready")
    return verdict(
        FAMILY, "statefulsets_ready", problems, f"{len(statefulsets)} StatefulSets ready", namespace
    )


def check_pdbs(pdbs: Sequence[client.V1PodDisruptionBudget], namespace: str) -> CheckResult:
    if not pdbs:
        return _none_found("pdbs_allow_disruption", "PodDisruptionBudget", namespace)
    problems = []
    for pdb in pdbs:
        status = pdb.status
        if status is None or (status.disruptions_allowed or 0) < 1:
            healthy = (
                f"{status.current_healthy} healthy, {status.desired_healthy} required"
                if status
                else "no status"
            )
            problems.append(f"PDB {_name(pdb)} allows no disruption now ({healthy})")
    ok = f"{len(pdbs)} PodDisruptionBudgets each allow a disruption"
    return verdict(FAMILY, "pdbs_allow_disruption", problems, ok, namespace)


def check_redis_spread(
    pairs: list[tuple[ClusterNode, ClusterNode]], pods: Sequence[client.V1Pod], namespace: str
) -> CheckResult:
    """No Redis master shares a Kubernetes node with its replica: one node loss would lose both."""
    name = "redis_master_replica_spread"
    if not pairs:
        return CheckResult(FAMILY, name, Status.SKIP, "no Redis Cluster topology to compare with", namespace)
    problems = []
    for master, replica in pairs:
        master_pod, replica_pod = _pod_of(master, pods), _pod_of(replica, pods)
        if master_pod is None or replica_pod is None:
            unknown = master.address if master_pod is None else replica.address
            problems.append(f"no pod in {namespace} has the address {unknown}")
        elif _node_name(master_pod) == _node_name(replica_pod):
            problems.append(
                f"master {_name(master_pod)} and its replica {_name(replica_pod)} "
                f"both run on node {_node_name(master_pod)}"
            )
    ok = f"{len(pairs)} master/replica pairs on different nodes"
    return verdict(FAMILY, name, problems, ok, namespace)


def _pod_of(node: ClusterNode, pods: Sequence[client.V1Pod]) -> client.V1Pod | None:
    """The pod behind a cluster node: by the announced hostname (``<pod>.<service>...``), else its IP.

    Pods sharing one IP (hostNetwork) are told apart by the port they declare.
    """
    ip, _, port = node.address.rpartition(":")
    short_name = node.hostname.split(".")[0] if node.hostname else None
    named = [pod for pod in pods if _name(pod) == short_name]
    found = named or pods_at(pods, ip, int(port) if port.isdigit() else None)
    return found[0] if len(found) == 1 else None
