"""RedisCluster and RedisSentinel as the real program declares them, per stack (mock runtime)."""

from __future__ import annotations

import json
from typing import Any

import kubernetes_validate
import pytest

from components.kubernetes.checksums import content_hash
from components.kubernetes.redis_cluster import cluster_files
from components.kubernetes.redis_sentinel import sentinel_files
from components.settings import load_settings
from components.settings.stack_file import read_stack_config
from preview.manifests import kubernetes_manifest
from preview.synth import DeclaredResource, Synthesis, is_secret, redact
from tests.support.stacks import synthesize_stack

KUBERNETES_VERSION = "1.33"
# What every generated password starts with offline (preview/synth.py: offline_password).
GENERATED = "offline-preview-"
CONFIGURED = "Configured-Redis-Passw0rd"
REDIS_TYPES = ("RedisCluster", "RedisSentinel", "RedisCredentials", "RedisStores")


def redis_resources(synthesis: Synthesis) -> list[DeclaredResource]:
    """Every resource below the RedisStores component."""
    stores = [r for r in synthesis.resources if r.type == "technovastore:redis:RedisStores"]
    assert len(stores) == 1
    found, frontier = [], [stores[0].urn]
    while frontier:
        children = [r for urn in frontier for r in synthesis.children_of(urn)]
        found += children
        frontier = [r.urn for r in children]
    return found


def k8s_object(synthesis: Synthesis, kind: str, name: str) -> dict[str, Any]:
    matches = [
        kubernetes_manifest(r)
        for r in redis_resources(synthesis)
        if r.is_kubernetes and r.inputs.get("kind") == kind and r.inputs["metadata"]["name"] == name
    ]
    assert len(matches) == 1, f"{len(matches)} {kind} named {name}"
    return matches[0]


def settings_of(synthesis: Synthesis) -> Any:
    return load_settings(read_stack_config(synthesis.stack).values, synthesis.stack)


def test_every_redis_kubernetes_object_is_schema_valid(synthesis: Synthesis) -> None:
    objects = [kubernetes_manifest(r) for r in redis_resources(synthesis) if r.is_kubernetes]
    assert len(objects) == 19
    for manifest in objects:
        kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)


def test_urns_are_unique(synthesis: Synthesis) -> None:
    urns = [r.urn for r in redis_resources(synthesis)]
    assert len(urns) == len(set(urns))


def test_cluster_statefulset_runs_masters_times_one_plus_replicas_in_parallel(synthesis: Synthesis) -> None:
    cluster = settings_of(synthesis).redis.cluster
    spec = k8s_object(synthesis, "StatefulSet", "redis-cluster")["spec"]
    assert spec["replicas"] == cluster.masters * (1 + cluster.replicas_per_master) == 6
    assert spec["podManagementPolicy"] == "Parallel"
    assert spec["serviceName"] == "redis-cluster-headless"
    claim = spec["volumeClaimTemplates"][0]
    assert claim["spec"]["resources"]["requests"]["storage"] == cluster.storage_size
    pod = spec["template"]["spec"]
    redis, exporter = pod["containers"]
    assert redis["command"] == ["sh", "/etc/redis/config/start.sh"]
    announce = {env["name"]: env.get("value") for env in redis["env"]}["ANNOUNCE_HOST"]
    assert (
        announce == f"$(POD_NAME).redis-cluster-headless.{synthesis_namespace(synthesis)}.svc.cluster.local"
    )
    assert redis["lifecycle"]["preStop"]["exec"]["command"] == ["sh", "/etc/redis/config/prestop.sh"]
    assert exporter["name"] == "metrics"
    assert {v["name"] for v in pod["volumes"]} == {"config", "secrets"}
    assert pod["automountServiceAccountToken"] is False
    for container in pod["containers"]:
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    labels = spec["template"]["metadata"]["labels"]
    assert labels["technovastore.io/tier"] == "data"


def synthesis_namespace(synthesis: Synthesis) -> str:
    return str(settings_of(synthesis).namespace)


def test_readiness_means_cluster_state_ok(synthesis: Synthesis) -> None:
    pod = k8s_object(synthesis, "StatefulSet", "redis-cluster")["spec"]["template"]["spec"]
    redis = pod["containers"][0]
    assert redis["readinessProbe"]["exec"]["command"] == ["sh", "/etc/redis/config/readiness.sh"]
    config = k8s_object(synthesis, "ConfigMap", "redis-cluster-config")["data"]
    assert "cluster_state:ok" in config["readiness.sh"]


def test_configmaps_hold_exactly_the_rendered_files(synthesis: Synthesis) -> None:
    settings = settings_of(synthesis)
    cluster_nodes = k8s_object(synthesis, "StatefulSet", "redis-cluster")["spec"]["replicas"]
    ns = settings.namespace
    hosts = [f"redis-cluster-{i}.redis-cluster-headless.{ns}.svc.cluster.local" for i in range(cluster_nodes)]
    assert k8s_object(synthesis, "ConfigMap", "redis-cluster-config")["data"] == cluster_files(
        settings.redis, hosts
    )
    data = [f"redis-sessions-{i}.redis-sessions-headless.{ns}.svc.cluster.local" for i in range(3)]
    sentinels = [
        f"redis-sessions-sentinel-{i}.redis-sessions-sentinel-headless.{ns}.svc.cluster.local"
        for i in range(3)
    ]
    expected = sentinel_files(settings.redis, data, sentinels)
    assert k8s_object(synthesis, "ConfigMap", "redis-sessions-config")["data"] == expected


def test_production_never_puts_two_redis_pods_on_one_node(synthesis: Synthesis) -> None:
    for name in ("redis-cluster", "redis-sessions", "redis-sessions-sentinel"):
        affinity = k8s_object(synthesis, "StatefulSet", name)["spec"]["template"]["spec"]["affinity"][
            "podAntiAffinity"
        ]
        required = "requiredDuringSchedulingIgnoredDuringExecution" in affinity
        assert required == (synthesis.stack == "production"), name


@pytest.mark.parametrize("role", ["bootstrap", "drain"])
def test_cluster_jobs_run_their_rendered_script_as_a_redis_client(synthesis: Synthesis, role: str) -> None:
    job = k8s_object(synthesis, "Job", f"redis-cluster-{role}")["spec"]
    pod = job["template"]["spec"]
    assert pod["containers"][0]["command"] == ["sh", f"/etc/redis/config/{role}.sh"]
    assert job["template"]["metadata"]["labels"]["technovastore.io/redis-client"] == "true"
    assert pod["restartPolicy"] == "OnFailure"
    # Another node list, another checksum: the Job is replaced and runs again.
    config = k8s_object(synthesis, "ConfigMap", "redis-cluster-config")["data"]
    annotation = job["template"]["metadata"]["annotations"]["technovastore.io/script-checksum"]
    assert annotation == content_hash({f"{role}.sh": config[f"{role}.sh"]})


def test_disruption_budgets_allow_one_pod_at_a_time(synthesis: Synthesis) -> None:
    for name in ("redis-cluster", "redis-sessions", "redis-sessions-sentinel"):
        spec = k8s_object(synthesis, "PodDisruptionBudget", name)["spec"]
        assert spec == {
            "maxUnavailable": 1,
            "selector": {"matchLabels": selector(name)},
            "unhealthyPodEvictionPolicy": "AlwaysAllow",
        }


def selector(name: str) -> dict[str, str]:
    return {"app.kubernetes.io/instance": name, "app.kubernetes.io/name": name}


def ports_from(rules: list[dict[str, Any]], peer: dict[str, Any]) -> set[int]:
    return {p["port"] for r in rules for p in r["ports"] if peer in r.get("from", r.get("to", []))}


def test_cluster_network_policy_opens_each_port_only_to_its_peers(synthesis: Synthesis) -> None:
    spec = k8s_object(synthesis, "NetworkPolicy", "redis-cluster")["spec"]
    nodes = {"podSelector": {"matchLabels": selector("redis-cluster")}}
    clients = {"podSelector": {"matchLabels": {"technovastore.io/redis-client": "true"}}}
    monitoring = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}
    assert ports_from(spec["ingress"], clients) == {6379}
    assert ports_from(spec["ingress"], nodes) == {6379, 16379}
    assert ports_from(spec["ingress"], monitoring) == {9121}
    assert ports_from(spec["egress"], nodes) == {6379, 16379}
    assert len(spec["ingress"]) == 3 and len(spec["egress"]) == 1


def test_sentinel_group_runs_three_data_nodes_and_three_sentinels(synthesis: Synthesis) -> None:
    data = k8s_object(synthesis, "StatefulSet", "redis-sessions")["spec"]
    sentinels = k8s_object(synthesis, "StatefulSet", "redis-sessions-sentinel")["spec"]
    assert data["replicas"] == 3 and sentinels["replicas"] == 3
    redis = data["template"]["spec"]["containers"][0]
    assert redis["command"] == ["sh", "/etc/redis/config/start-data-node.sh"]
    assert redis["lifecycle"]["preStop"]["exec"]["command"] == ["sh", "/etc/redis/config/prestop.sh"]
    sentinel_pod = sentinels["template"]["spec"]
    runtime = next(v for v in sentinel_pod["volumes"] if v["name"] == "runtime")
    assert runtime["emptyDir"]["medium"] == "Memory"
    # Only the Sentinel's state lines reach its volume; its rewritten file stays in memory.
    (claim,) = sentinels["volumeClaimTemplates"]
    assert (
        claim["spec"]["resources"]["requests"]["storage"]
        == settings_of(synthesis).redis.sentinel.state_storage_size
    )
    client = k8s_object(synthesis, "Service", "redis-sessions-sentinel")["spec"]
    assert client["ports"][0]["port"] == 26379 and client["type"] == "ClusterIP"


def test_services_using_redis_get_addresses_and_the_password_by_reference(synthesis: Synthesis) -> None:
    settings = settings_of(synthesis)
    for name, service in settings.services.items():
        deployment = next(
            kubernetes_manifest(r)
            for r in synthesis.resources
            if r.inputs.get("kind") == "Deployment" and r.inputs["metadata"]["name"] == name
        )
        env = {e["name"]: e for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
        if not service.uses_redis:
            assert not any(key.startswith("REDIS_") for key in env)
            continue
        assert env["REDIS_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
            "name": "redis-credentials",
            "key": "app-password",
        }
        assert env["REDIS_USERNAME"]["value"] == "app"
        assert len(env["REDIS_CLUSTER_NODES"]["value"].split(",")) == 6
        assert env["REDIS_SENTINEL_MASTER"]["value"] == "sessions"


def test_stack_outputs_describe_both_stores_without_a_password(synthesis: Synthesis) -> None:
    endpoints = synthesis.outputs["endpoints"]
    cluster, sentinel = endpoints["redisCluster"], endpoints["sentinel"]
    assert len(cluster["nodes"]) == 6 and cluster["nodes"][0].endswith(":6379")
    assert (cluster["expectedMasters"], cluster["replicasPerMaster"]) == (3, 1)
    assert cluster["secretName"] == sentinel["secretName"] == "redis-credentials"
    assert sentinel["masterName"] == "sessions"
    assert sentinel["service"].startswith("redis-sessions-sentinel.")
    assert len(sentinel["sentinels"]) == 3 and (sentinel["quorum"], sentinel["replicas"]) == (2, 2)
    assert is_secret(synthesis.outputs["redisPassword"])
    assert GENERATED not in json.dumps(redact(synthesis.outputs))


@pytest.mark.parametrize("stack", ["production", "staging"])
def test_passwords_appear_only_inside_secret_values(stack: str) -> None:
    for synthesis, password in (
        (synthesize_stack(stack), GENERATED),
        (synthesize_stack(stack, redisPassword=CONFIGURED), CONFIGURED),
    ):
        declared = [r.inputs for r in synthesis.resources]
        assert password in json.dumps(declared)  # it is declared ...
        assert password not in json.dumps(redact(declared))  # ... only inside secret values
        secret = next(r for r in redis_resources(synthesis) if r.inputs.get("kind") == "Secret")
        assert is_secret(secret.inputs["stringData"])


def test_a_configured_password_replaces_the_generated_admin_password() -> None:
    synthesis = synthesize_stack("staging", redisPassword=CONFIGURED)
    generated = [
        r.name for r in synthesis.resources if r.type == "random:index/randomPassword:RandomPassword"
    ]
    assert sorted(generated) == ["redis-credentials-app", "redis-credentials-metrics"]
    assert synthesis.outputs["redisPassword"]["value"] == CONFIGURED
