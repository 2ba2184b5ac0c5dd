"""Redis Cluster and Sentinel: auth from Secrets, never exposed, persistent, a sound topology."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity, StackValidationArgs

from components.images import InvalidImageReference, parse_image_reference
from components.kubernetes.conventions import TIER_LABEL
from components.render.redis_layout import CLUSTER_BUS_PORT, REDIS_PORT, SENTINEL_PORT
from policies.kube import (
    Container,
    as_int,
    containers,
    dig,
    mapping,
    sequence,
)
from policies.spec import (
    Report,
    kubernetes_kind,
    object_policy,
    pod_policy,
    resource_policy,
    settings,
    stack_policy,
)
from policies.stackview import KubeObject, StackView, Workload
from policies.textconf import configmap_texts, directives, is_placeholder
from policies.workloads import PodTemplate

REDIS_PORTS = (REDIS_PORT, CLUSTER_BUS_PORT, SENTINEL_PORT)
_REDIS_IMAGES = ("redis", "valkey", "redis-stack-server", "redis_exporter", "redis-exporter")
_REDIS_PROGRAMS = re.compile(r"\b(redis-server|redis-sentinel|redis-cli|redis_exporter)\b")
_DATA_TIER = "data"


def _image_name(image: Any) -> str:
    if not isinstance(image, str):
        return ""
    try:
        return parse_image_reference(image).repository.rsplit("/", 1)[-1]
    except InvalidImageReference:
        return ""


def is_redis_container(container: Container) -> bool:
    """Runs Redis, Sentinel, redis-cli or the exporter: all of them need the password."""
    return _image_name(container.container.get("image")) in _REDIS_IMAGES or bool(
        _REDIS_PROGRAMS.search(container.command_line)
    )


def is_sentinel_container(container: Container) -> bool:
    return "sentinel" in container.name.lower() or "sentinel" in container.command_line


def is_redis_server(container: Container) -> bool:
    """A Redis data node (not Sentinel, not a client or exporter)."""
    if is_sentinel_container(container):
        return False
    return (
        "redis-server" in container.command_line or _image_name(container.container.get("image")) == "redis"
    )


def runs_redis(pod: PodTemplate) -> bool:
    return pod.labels.get(TIER_LABEL) == _DATA_TIER or any(
        is_redis_container(c) for c in containers(pod.spec)
    )


def _secret_volumes(pod_spec: Mapping[str, Any]) -> set[str]:
    names = set()
    for volume in sequence(pod_spec.get("volumes")):
        volume = mapping(volume)
        sources = sequence(dig(volume, "projected", "sources"))
        if volume.get("secret") is not None or any(mapping(s).get("secret") is not None for s in sources):
            names.add(str(volume.get("name")))
    return names


def gets_secret(container: Container, pod_spec: Mapping[str, Any]) -> bool:
    """Does the container read something from a Secret (env secretKeyRef, envFrom, a Secret volume)?"""
    if any(dig(env, "valueFrom", "secretKeyRef") for env in sequence(container.container.get("env"))):
        return True
    if any(dig(source, "secretRef") for source in sequence(container.container.get("envFrom"))):
        return True
    mounted = {str(dig(m, "name")) for m in sequence(container.container.get("volumeMounts"))}
    return bool(mounted & _secret_volumes(pod_spec))


def needs_redis_auth(container: Container) -> bool:
    """Main containers by image or command; init containers only when they run a Redis program
    themselves (a Redis image is often just a shell that copies config templates)."""
    if container.init:
        return bool(_REDIS_PROGRAMS.search(container.command_line))
    return is_redis_container(container)


def _auth_from_secret(args: ResourceValidationArgs, pod: PodTemplate, report: Report) -> None:
    for c in containers(pod.spec):
        if needs_redis_auth(c) and not gets_secret(c, pod.spec):
            report(
                f"{c.label} talks to Redis but reads no credential from a Secret; mount the auth Secret "
                "or set the password env var with valueFrom.secretKeyRef"
            )


_PORTS_CONFIG = {
    "ports": {
        "type": "array",
        "items": {"type": "integer", "minimum": 1, "maximum": 65535},
        "default": list(REDIS_PORTS),
        "description": "Redis, cluster bus and Sentinel ports that must stay inside the cluster",
    }
}


def _no_external_service(args: ResourceValidationArgs, spec: Mapping[str, Any], report: Report) -> None:
    exposed = spec.get("type") in ("LoadBalancer", "NodePort") or bool(sequence(spec.get("externalIPs")))
    if not exposed:
        return
    redis_ports = set(settings(args, _PORTS_CONFIG)["ports"])
    ports = {
        as_int(mapping(p).get(key)) for p in sequence(spec.get("ports")) for key in ("port", "targetPort")
    }
    found = sorted(p for p in ports if p is not None and p in redis_ports)
    if found:
        report(
            f"exposes Redis port(s) {found} outside the cluster ({spec.get('type') or 'externalIPs'}); "
            "make it a ClusterIP (or headless) Service"
        )


def _redis_texts(props: Mapping[str, Any]) -> Iterator[tuple[str, list[list[str]]]]:
    for key, text in configmap_texts(props).items():
        words = list(directives(text))
        names = {w[0].lower() for w in words if w}
        if names & {"cluster-enabled", "appendonly", "maxmemory-policy", "sentinel", "masteruser", "aclfile"}:
            yield key, words


def is_sentinel_conf(words: list[list[str]]) -> bool:
    return any(w and w[0].lower() == "sentinel" for w in words)


def _literal_passwords(words: list[list[str]]) -> list[str]:
    found = []
    for w in words:
        head = [x.lower() for x in w[:2]]
        if head and head[0] in ("requirepass", "masterauth") and len(w) > 1 and not is_placeholder(w[1]):
            found.append(head[0])
        elif head == ["sentinel", "auth-pass"] and len(w) > 3 and not is_placeholder(w[3]):
            found.append("sentinel auth-pass")
        elif head and head[0] == "user" and any(x.startswith(">") and len(x) > 1 for x in w[2:]):
            found.append("an ACL user with a >password")
    return found


def _no_password_in_configmap(args: ResourceValidationArgs, spec: Mapping[str, Any], report: Report) -> None:
    for key, words in _redis_texts(args.props):
        for directive in _literal_passwords(words):
            report(
                f"{key!r} carries {directive} with a literal password; "
                "put it in a file from a Secret and `include` it"
            )


def _persistence_on(words: list[list[str]]) -> bool:
    appendonly = any(len(w) > 1 and w[0].lower() == "appendonly" and w[1].lower() == "yes" for w in words)
    snapshots = any(w and w[0].lower() == "save" and len(w) > 1 and w[1] not in ("", '""') for w in words)
    return appendonly or snapshots


def _persistence(args: ResourceValidationArgs, spec: Mapping[str, Any], report: Report) -> None:
    for key, words in _redis_texts(args.props):
        if not is_sentinel_conf(words) and not _persistence_on(words):
            report(f"{key!r} turns persistence off; set `appendonly yes` (plus save points)")
    pod = mapping(dig(spec, "template", "spec"))
    data_nodes = [c for c in containers(pod, include_init=False) if is_redis_server(c)]
    if (
        kubernetes_kind(args) == "StatefulSet"
        and data_nodes
        and not sequence(spec.get("volumeClaimTemplates"))
    ):
        report("Redis data lives on no PersistentVolumeClaim; add volumeClaimTemplates for its data dir")


def _mounts_configmap(workload: Workload, configmap: str) -> bool:
    for volume in sequence(workload.pod.spec.get("volumes")):
        volume = mapping(volume)
        if dig(volume, "configMap", "name") == configmap:
            return True
        if any(
            dig(s, "configMap", "name") == configmap for s in sequence(dig(volume, "projected", "sources"))
        ):
            return True
    return False


def _namespace_texts(view: StackView, namespace: str | None) -> list[str]:
    """Every script and config text of the namespace, and the env of its containers as VAR=value lines."""
    texts = [
        t
        for cm in view.of_kind("ConfigMap")
        if cm.namespace == namespace
        for t in configmap_texts(cm.props).values()
    ]
    for workload in view.workloads:
        if workload.namespace != namespace:
            continue
        for c in containers(workload.pod.spec):
            texts.append(c.command_line)
            texts.append(
                "\n".join(
                    f"{dig(e, 'name')}={dig(e, 'value')}"
                    for e in sequence(c.container.get("env"))
                    if dig(e, "value")
                )
            )
    return texts


_CLUSTER_REPLICAS = re.compile(r"--cluster-replicas[= ]\s*[\"']?\$?\{?(\w+)\}?[\"']?")


def replicas_per_master(texts: list[str]) -> int | None:
    """``--cluster-replicas N``, literal or through a ``VAR=N`` assignment in the same texts."""
    for text in texts:
        for match in _CLUSTER_REPLICAS.finditer(text):
            token = match.group(1)
            if token.isdigit():
                return int(token)
            for candidate in texts:
                assignment = re.search(rf"^\s*(?:export\s+)?{re.escape(token)}=[\"']?(\d+)", candidate, re.M)
                if assignment:
                    return int(assignment.group(1))
    return None


_TOPOLOGY_CONFIG = {
    "minMasters": {"type": "integer", "minimum": 1, "default": 3, "description": "fewest cluster masters"},
    "minReplicasPerMaster": {
        "type": "integer",
        "minimum": 0,
        "default": 1,
        "description": "fewest replicas per master",
    },
}


def _is_cluster_conf(words: list[list[str]]) -> bool:
    return any(len(w) > 1 and w[0].lower() == "cluster-enabled" and w[1].lower() == "yes" for w in words)


def _cluster_configmaps(view: StackView) -> list[KubeObject]:
    return [
        cm
        for cm in view.of_kind("ConfigMap")
        if any(_is_cluster_conf(words) for _, words in _redis_texts(cm.props))
    ]


def _cluster_topology(args: StackValidationArgs, report: ReportViolation) -> None:
    view = StackView(args.resources)
    config = settings(args, _TOPOLOGY_CONFIG)
    for configmap in _cluster_configmaps(view):
        nodes = [
            w
            for w in view.workloads
            if w.namespace == configmap.namespace and _mounts_configmap(w, configmap.name)
        ]
        if not nodes:
            continue  # not mounted by anything this stack runs
        count = sum(w.replicas or 1 for w in nodes if w.kind == "StatefulSet")
        replicas = replicas_per_master(_namespace_texts(view, configmap.namespace))
        subject = f"Redis Cluster of {configmap.describe()}"
        if replicas is None:
            report(
                f"{subject}: no `--cluster-replicas N` found; declare how many replicas each master gets",
                configmap.urn,
            )
            continue
        masters = count // (1 + replicas)
        if masters < config["minMasters"] or replicas < config["minReplicasPerMaster"]:
            report(
                f"{subject}: {count} node(s) at {replicas} replica(s) "
                f"per master make {masters} master(s); need at "
                f"least {config['minMasters']} masters with {config['minReplicasPerMaster']} replica(s) each "
                f"(>= {config['minMasters'] * (1 + config['minReplicasPerMaster'])} nodes)",
                configmap.urn,
            )


def _sentinel_count(workloads: list[Workload]) -> int:
    return sum(
        (w.replicas or 1)
        * sum(1 for c in containers(w.pod.spec, include_init=False) if is_sentinel_container(c))
        for w in workloads
    )


def sentinels_for(view: StackView, configmap: KubeObject) -> int:
    """Sentinels running with this config: in the pods that mount it, else (config linked another
    way) every Sentinel container of the namespace."""
    in_namespace = [w for w in view.serving_workloads() if w.namespace == configmap.namespace]
    mounting = [w for w in in_namespace if _mounts_configmap(w, configmap.name)]
    return _sentinel_count(mounting) or _sentinel_count(in_namespace)


def _sentinel_monitors(words: list[list[str]]) -> list[list[str]]:
    """``sentinel monitor <master> <host> <port> <quorum>`` lines."""
    return [w for w in words if len(w) >= 6 and [x.lower() for x in w[:2]] == ["sentinel", "monitor"]]


def _sentinel_quorum(args: StackValidationArgs, report: ReportViolation) -> None:
    view = StackView(args.resources)
    for configmap in view.of_kind("ConfigMap"):
        for key, words in _redis_texts(configmap.props):
            for monitor in _sentinel_monitors(words):
                quorum = int(monitor[5]) if monitor[5].isdigit() else None
                sentinels = sentinels_for(view, configmap)
                subject = f"{configmap.describe()} {key!r} (master {monitor[2]!r})"
                if quorum is None or sentinels == 0:
                    report(
                        f"{subject}: quorum {monitor[5]!r} with {sentinels} Sentinel container(s) declared; "
                        "run the sentinels in this namespace and give a literal quorum",
                        configmap.urn,
                    )
                elif not sentinels // 2 < quorum <= sentinels:
                    report(
                        f"{subject}: quorum {quorum} of {sentinels} sentinels is not a majority; "
                        f"set it to {sentinels // 2 + 1}",
                        configmap.urn,
                    )


def _redis_network_policy(args: StackValidationArgs, report: ReportViolation) -> None:
    view = StackView(args.resources)
    for workload in view.serving_workloads():
        if not runs_redis(workload.pod):
            continue
        selecting = view.ingress_policies_for(workload)
        if not selecting:
            report(
                f"{workload.describe()}: no NetworkPolicy selects these Redis pods; allow 6379 only from "
                "Redis clients and 16379 only between nodes",
                workload.urn,
            )
        for policy in selecting:
            for rule in sequence(policy.spec.get("ingress")):
                peers = sequence(dig(rule, "from"))
                if not peers or any(not mapping(peer) for peer in peers):
                    report(
                        f"{policy.describe()}: admits any source to Redis pods; list the client pods",
                        policy.urn,
                    )


POLICIES = [
    resource_policy(
        name="redis-auth-from-secret",
        description=(
            "Every Redis, Sentinel, redis-cli and exporter container gets its credential from a Secret."
        ),
        severity=Severity.CRITICAL,
        validate=pod_policy(_auth_from_secret),
    ),
    resource_policy(
        name="redis-no-external-service",
        description="No Redis port (6379, 16379, 26379) on a LoadBalancer, NodePort or external IP.",
        severity=Severity.CRITICAL,
        validate=object_policy(("Service",), _no_external_service),
        config=_PORTS_CONFIG,
    ),
    resource_policy(
        name="redis-no-password-in-configmap",
        description=(
            "Redis and Sentinel config in ConfigMaps carries no password (requirepass, masterauth, ACL)."
        ),
        severity=Severity.CRITICAL,
        validate=object_policy(("ConfigMap",), _no_password_in_configmap),
    ),
    resource_policy(
        name="redis-persistence",
        description="Redis keeps its data: AOF or RDB on, and a PersistentVolumeClaim per data pod.",
        severity=Severity.HIGH,
        validate=object_policy(("ConfigMap", "StatefulSet"), _persistence),
    ),
    stack_policy(
        name="redis-network-policy",
        description="A NetworkPolicy selects every Redis pod and names the sources it admits.",
        severity=Severity.CRITICAL,
        validate=_redis_network_policy,
    ),
    stack_policy(
        name="redis-cluster-topology",
        description="A Redis Cluster has at least 3 masters and at least 1 replica per master.",
        severity=Severity.HIGH,
        validate=_cluster_topology,
        config=_TOPOLOGY_CONFIG,
    ),
    stack_policy(
        name="redis-sentinel-quorum",
        description="Sentinel's quorum is a majority of the sentinels that monitor the group.",
        severity=Severity.HIGH,
        validate=_sentinel_quorum,
    ),
]
