"""Pod building blocks both Redis stores share: containers, probes, volumes, placement, policies.

Plain dicts in the Kubernetes API's (camelCase) shape, like components/kubernetes/conventions.py.
"""

from __future__ import annotations

from typing import Any

import pulumi

from components.kubernetes.checksums import content_hash
from components.kubernetes.conventions import (
    container_security_context,
    pod_security_context,
    selector_labels,
    service_host,
    zone_spread,
)
from components.render.redis_layout import (
    CONFIG_DIR,
    DATA_DIR,
    EXPORTER_PORT,
    METRICS_PASSWORD_KEY,
    METRICS_USER,
    REDIS_AUTH_FILE,
    REDIS_PORT,
    SECRETS_DIR,
)
from components.settings.redis import RedisSettings
from components.settings.services import ComputeQuantities, ComputeResources

CONFIG_VOLUME = "config"
CHECKSUM_ANNOTATION = "technovastore.io/config-checksum"
SECRETS_VOLUME = "secrets"
DATA_VOLUME = "data"
# One-shot helpers (the bootstrap Job): redis-cli and a shell.
JOB_RESOURCES = ComputeResources(
    requests=ComputeQuantities(cpu="50m", memory="32Mi"),
    limits=ComputeQuantities(cpu="200m", memory="64Mi"),
)
# Secret files readable by the pod's fsGroup only.
SECRET_FILE_MODE = 0o440


def pod_host(pod: str, headless_service: str, namespace: str) -> str:
    """A StatefulSet pod's stable DNS name (through its headless Service)."""
    return f"{pod}.{service_host(headless_service, namespace)}"


def pod_name_env() -> dict[str, Any]:
    return {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}


def secret_env(name: str, secret_name: Any, key: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret_name, "key": key}}}


def exec_probe(script: str, *, period: int, failures: int) -> dict[str, Any]:
    return {
        "exec": {"command": ["sh", f"{CONFIG_DIR}/{script}"]},
        "periodSeconds": period,
        "timeoutSeconds": 5,
        "failureThreshold": failures,
    }


def config_mounts(*, secrets: bool = True, data: bool = True) -> list[dict[str, Any]]:
    mounts = [{"name": CONFIG_VOLUME, "mountPath": CONFIG_DIR, "readOnly": True}]
    if secrets:
        mounts.append({"name": SECRETS_VOLUME, "mountPath": SECRETS_DIR, "readOnly": True})
    if data:
        mounts.append({"name": DATA_VOLUME, "mountPath": DATA_DIR})
    return mounts


def config_volumes(
    config_map: Any, secret_name: Any = None, secret_files: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """The rendered ConfigMap, and (when named) only those files of the Secret."""
    volumes: list[dict[str, Any]] = [
        {"name": CONFIG_VOLUME, "configMap": {"name": config_map, "defaultMode": 0o444}}
    ]
    if secret_files:
        items = [{"key": name, "path": name} for name in secret_files]
        secret = {"secretName": secret_name, "defaultMode": SECRET_FILE_MODE, "items": items}
        volumes.append({"name": SECRETS_VOLUME, "secret": secret})
    return volumes


def data_node_volumes(config_map: Any, secret_name: Any, *, persistence: bool) -> list[dict[str, Any]]:
    """A Redis data node's volumes; without persistence its data volume is an emptyDir."""
    volumes = config_volumes(config_map, secret_name, (REDIS_AUTH_FILE,))
    if not persistence:
        volumes.append({"name": DATA_VOLUME, "emptyDir": {}})
    return volumes


def pod_checksum(files: dict[str, str], secret_checksum: pulumi.Output[str]) -> pulumi.Output[str]:
    """The pod-template annotation that rolls the pods: what they run, and the Secret they read.

    A new password reaches a server only through a restart (its users and masterauth are
    read at start), so a changed Secret must roll the pods like a changed config.
    """
    rendered = content_hash(files)
    return secret_checksum.apply(lambda secret: content_hash({"files": rendered, "secret": secret}))


def data_claim(storage_size: str) -> dict[str, Any]:
    return {
        "metadata": {"name": DATA_VOLUME},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": storage_size}}},
    }


def redis_container(
    name: str,
    image: str,
    *,
    command: list[str],
    resources: ComputeResources,
    ports: list[dict[str, Any]],
    env: list[dict[str, Any]],
    probes: dict[str, dict[str, Any]],
    mounts: list[dict[str, Any]],
) -> dict[str, Any]:
    """A Redis or Sentinel container with the secure defaults; ``probes`` by their field name."""
    return {
        "name": name,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "command": command,
        "ports": ports,
        "env": env,
        "resources": resources.model_dump(),
        **probes,
        "securityContext": container_security_context(),
        "volumeMounts": mounts,
    }


def exporter_container(settings: RedisSettings, secret_name: Any, port: int = REDIS_PORT) -> dict[str, Any]:
    """redis_exporter for the server on ``port`` (Redis or Sentinel), as the read-only metrics user."""
    return {
        "name": "metrics",
        "image": settings.exporter_image,
        "imagePullPolicy": "IfNotPresent",
        "ports": [{"name": "metrics", "containerPort": EXPORTER_PORT, "protocol": "TCP"}],
        "env": [
            {"name": "REDIS_ADDR", "value": f"redis://127.0.0.1:{port}"},
            {"name": "REDIS_USER", "value": METRICS_USER},
            secret_env("REDIS_PASSWORD", secret_name, METRICS_PASSWORD_KEY),
        ],
        "resources": settings.exporter_resources.model_dump(),
        "readinessProbe": {"httpGet": {"path": "/health", "port": "metrics"}, "periodSeconds": 10},
        "livenessProbe": {"tcpSocket": {"port": "metrics"}, "periodSeconds": 20, "failureThreshold": 3},
        "securityContext": container_security_context(),
    }


def anti_affinity(selector: dict[str, str], *, required: bool) -> dict[str, Any]:
    """Never (``required``) or preferably not two pods of ``selector`` on one node.

    Kubernetes cannot tell a master from its replica, so production keeps every node of a
    store on its own Kubernetes node: a master and its replica can then never share one.
    """
    term = {"labelSelector": {"matchLabels": selector}, "topologyKey": "kubernetes.io/hostname"}
    if required:
        return {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term]}}
    return {
        "podAntiAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100, "podAffinityTerm": term}]
        }
    }


def pods(selector: dict[str, str]) -> dict[str, Any]:
    return {"podSelector": {"matchLabels": selector}}


def rule(direction: str, peer: dict[str, Any], ports: list[int]) -> dict[str, Any]:
    """One NetworkPolicy rule: ``ports`` (TCP) from or to (``direction``) one ``peer``."""
    return {direction: [peer], "ports": [{"protocol": "TCP", "port": port} for port in ports]}


def store_pod_spec(
    selector: dict[str, str],
    containers: list[dict[str, Any]],
    volumes: list[dict[str, Any]],
    *,
    strict_spread: bool,
    grace_seconds: int = 30,
) -> dict[str, Any]:
    """The pod spec of a Redis store's StatefulSet: secure defaults, spread over nodes and zones."""
    return {
        "automountServiceAccountToken": False,
        "securityContext": pod_security_context(),
        "terminationGracePeriodSeconds": grace_seconds,
        "affinity": anti_affinity(selector, required=strict_spread),
        "topologySpreadConstraints": zone_spread(selector),
        "containers": containers,
        "volumes": volumes,
    }


def data_pod_spec(
    workload: str,
    redis: dict[str, Any],
    settings: RedisSettings,
    *,
    config_map: Any,
    secret_name: Any,
    strict_spread: bool,
    prestop_wait_seconds: int,
) -> dict[str, Any]:
    """A data pod of a store: ``redis`` (which hands over in its preStop hook before a planned
    stop, given the time to), the exporter beside it, the config, Secret and data volumes."""
    redis["lifecycle"] = {"preStop": {"exec": {"command": ["sh", f"{CONFIG_DIR}/prestop.sh"]}}}
    volumes = data_node_volumes(config_map, secret_name, persistence=settings.persistence)
    return store_pod_spec(
        selector_labels(workload),
        [redis, exporter_container(settings, secret_name)],
        volumes,
        strict_spread=strict_spread,
        grace_seconds=prestop_wait_seconds + 30,
    )


def store_statefulset_spec(
    workload: str,
    *,
    headless_service: str,
    replicas: int,
    pod_labels: dict[str, str],
    checksum: pulumi.Output[str] | str,
    pod_spec: dict[str, Any],
    storage_size: str | None,
    claim_retention: str,
) -> dict[str, Any]:
    """A Redis store's StatefulSet spec; ``storage_size`` None keeps no volume per pod.

    ``claim_retention`` (Retain or Delete) is what happens to the data volumes when the
    StatefulSet is deleted or scaled down.
    """
    spec: dict[str, Any] = {
        "serviceName": headless_service,
        "replicas": replicas,
        # Peers find each other to start (and a cluster forms only once every node is up):
        # start them all at once.
        "podManagementPolicy": "Parallel",
        "updateStrategy": {"type": "RollingUpdate"},
        "selector": {"matchLabels": selector_labels(workload)},
        "template": {
            "metadata": {"labels": pod_labels, "annotations": {CHECKSUM_ANNOTATION: checksum}},
            "spec": pod_spec,
        },
    }
    if storage_size is not None:
        spec["volumeClaimTemplates"] = [data_claim(storage_size)]
        spec["persistentVolumeClaimRetentionPolicy"] = {
            "whenDeleted": claim_retention,
            "whenScaled": claim_retention,
        }
    return spec


def store_disruption_budget_spec(workload: str) -> dict[str, Any]:
    """One pod of a store down at a time; a pod that is not ready (a new node not yet joined,
    one stuck starting) may always be evicted, so it never blocks a node drain."""
    return {
        "maxUnavailable": 1,
        "selector": {"matchLabels": selector_labels(workload)},
        "unhealthyPodEvictionPolicy": "AlwaysAllow",
    }


def headless_service_spec(selector: dict[str, str], ports: list[dict[str, Any]]) -> dict[str, Any]:
    """Stable per-pod DNS names, published before readiness: peers must find each other to start."""
    return {"clusterIP": "None", "publishNotReadyAddresses": True, "selector": selector, "ports": ports}


def service_port(name: str, port: int) -> dict[str, Any]:
    return {"name": name, "port": port, "targetPort": name, "protocol": "TCP"}


def container_port(name: str, port: int) -> dict[str, Any]:
    return {"name": name, "containerPort": port, "protocol": "TCP"}


def redis_probes(liveness: str, readiness: str) -> dict[str, dict[str, Any]]:
    return {
        # Loading a large AOF may take minutes: liveness only starts once it answered.
        "startupProbe": exec_probe(liveness, period=5, failures=60),
        "livenessProbe": exec_probe(liveness, period=10, failures=3),
        "readinessProbe": exec_probe(readiness, period=5, failures=2),
    }
