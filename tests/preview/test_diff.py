"""What a config change does to the stack, resource by resource and field by field."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from preview.diff import Diff, FieldChange, Rendering, diff_renderings, field_changes
from tests.preview.conftest import baseline, config_value

NS = "technovastore-staging"


def summary_of(diff: Diff) -> dict[tuple[str, str, str], list[tuple[str, Any, Any]]]:
    return {(c.op, c.type, c.name): [(f.path, f.old, f.new) for f in c.fields] for c in diff.changes}


def test_a_stack_against_itself_has_no_changes() -> None:
    diff = diff_renderings(baseline("staging"), baseline("staging"))
    assert diff.changes == [] and diff.unchanged == len(baseline("staging").documents)


def test_a_replica_limit_updates_the_autoscaler_and_the_quota_sized_from_it(
    staging_diff: Callable[..., Diff],
) -> None:
    services = config_value("staging", "services")
    services["api-gateway"]["maxReplicas"] = 3
    changes = summary_of(staging_diff(services=services))
    assert changes[("update", "kubernetes:autoscaling/v2:HorizontalPodAutoscaler", f"{NS}/api-gateway")] == [
        ("spec.maxReplicas", 4, 3)
    ]
    # The namespace quota covers every service at its maximum: one pod fewer.
    quota = changes.pop(("update", "kubernetes:core/v1:ResourceQuota", f"{NS}/compute-quota"))
    assert ("spec.hard.pods", "47", "46") in quota
    # The autoscaling dashboard draws each service's maximum.
    dashboard = changes.pop(
        ("update", "kubernetes:core/v1:ConfigMap", f"{NS}/dashboard-technovastore-autoscaling")
    )
    assert [path for path, _, _ in dashboard] == ["data.technovastore-autoscaling.json"]
    assert set(changes) == {
        ("update", "kubernetes:autoscaling/v2:HorizontalPodAutoscaler", f"{NS}/api-gateway")
    }


def test_an_image_tag_updates_the_deployment_in_place(staging_diff: Callable[..., Diff]) -> None:
    services = config_value("staging", "services")
    services["product-service"]["image"] = "ghcr.io/technovastore/product-service:2.4.0"
    diff = staging_diff(services=services)
    deployment = summary_of(diff)[("update", "kubernetes:apps/v1:Deployment", f"{NS}/product-service")]
    assert (
        "spec.template.spec.containers[name=product-service].image",
        "ghcr.io/technovastore/product-service:2.3.0",
        "ghcr.io/technovastore/product-service:2.4.0",
    ) in deployment
    # Everything else that changed is the version label of that one service's objects.
    others = [f for c in diff.changes for f in c.fields if not f.path.endswith("].image")]
    assert all(f.path.endswith("labels.app.kubernetes.io/version") for f in others) and others
    assert {c.op for c in diff.changes} == {"update"}
    assert {c.name for c in diff.changes} == {f"{NS}/product-service"}


def test_an_edge_ttl_updates_the_cloudflare_cache_rule_in_place(stack_diff: Callable[..., Diff]) -> None:
    cloudflare = config_value("production", "cloudflare")
    diff = stack_diff("production", cloudflare=cloudflare | {"cache": {"productEdgeTtl": 7200}})
    assert summary_of(diff) == {
        ("update", "cloudflare:index/ruleset:Ruleset", "edge-cache"): [
            ("rules[0].actionParameters.edgeTtl.default", 3600, 7200)
        ]
    }


def test_a_statefulset_storage_size_replaces_the_statefulset(staging_diff: Callable[..., Diff]) -> None:
    redis = config_value("staging", "redis")
    redis["cluster"]["storageSize"] = "4Gi"
    path = "spec.volumeClaimTemplates[name=data].spec.resources.requests.storage"
    [change] = staging_diff(redis=redis).changes
    assert (change.op, change.type, change.name) == (
        "replace",
        "kubernetes:apps/v1:StatefulSet",
        f"{NS}/redis-cluster",
    )
    assert [(f.path, f.old, f.new) for f in change.fields] == [(path, "2Gi", "4Gi")]
    assert change.replace_because == (path,)


def test_replacing_a_whole_service_is_a_delete_and_a_create(staging_diff: Callable[..., Diff]) -> None:
    services = config_value("staging", "services")
    services["catalog"] = services.pop("frontend") | {"tier": "edge"}
    diff = staging_diff(services=services, cdn={"originService": "catalog"})
    ops = {(c.op, c.type, c.name) for c in diff.changes if c.type == "kubernetes:apps/v1:Deployment"}
    assert ops == {
        ("create", "kubernetes:apps/v1:Deployment", f"{NS}/catalog"),
        ("delete", "kubernetes:apps/v1:Deployment", f"{NS}/frontend"),
        # The CDN now proxies to the new service: its pods roll with the new config.
        ("update", "kubernetes:apps/v1:Deployment", f"{NS}/cdn"),
    }


# --- replacement rules, on manifest pairs -------------------------------------------------------

STATEFULSET: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "StatefulSet",
    "metadata": {"name": "redis", "namespace": "shop"},
    "spec": {
        "replicas": 6,
        "serviceName": "redis-headless",
        "podManagementPolicy": "Parallel",
        "selector": {"matchLabels": {"app": "redis"}},
        "template": {"spec": {"containers": [{"name": "redis", "image": "redis:7.0.15"}]}},
        "volumeClaimTemplates": [
            {"metadata": {"name": "data"}, "spec": {"resources": {"requests": {"storage": "8Gi"}}}}
        ],
    },
}


def _diff_one(old: dict[str, Any], change: Callable[[dict[str, Any]], None]) -> Diff:
    new = copy.deepcopy(old)
    change(new)
    # Both sides know the file is the same Pulumi resource (as --out's index says).
    index = {"a.yaml": "kubernetes:apps/v1:Thing::a"}
    return diff_renderings(Rendering({"a.yaml": old}, index), Rendering({"a.yaml": new}, index))


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def apply(document: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = document
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[last] = value

    return apply


@pytest.mark.parametrize(
    ("path", "value", "op", "field_path"),
    [
        (
            "spec.volumeClaimTemplates.0.spec.resources.requests.storage",
            "16Gi",
            "replace",
            "spec.volumeClaimTemplates[name=data].spec.resources.requests.storage",
        ),
        ("spec.selector", {"matchLabels": {"app": "cache"}}, "replace", "spec.selector.matchLabels.app"),
        ("spec.serviceName", "redis-nodes", "replace", "spec.serviceName"),
        ("spec.podManagementPolicy", "OrderedReady", "replace", "spec.podManagementPolicy"),
        ("spec.replicas", 8, "update", "spec.replicas"),
        (
            "spec.template.spec.containers.0.image",
            "redis:7.2.5",
            "update",
            "spec.template.spec.containers[name=redis].image",
        ),
    ],
)
def test_statefulset_fields_that_cannot_change_in_place_force_a_replacement(
    path: str, value: Any, op: str, field_path: str
) -> None:
    diff = _diff_one(STATEFULSET, _set(path, value))
    [change] = diff.changes
    assert (change.op, change.type, change.name) == (op, "kubernetes:apps/v1:StatefulSet", "shop/redis")
    assert [f.path for f in change.fields] == [field_path]
    assert change.replace_because == ((field_path,) if op == "replace" else ())


def _manifest(kind: str, api_version: str, spec: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {"name": "x", "namespace": "shop"},
        "spec": spec,
        **extra,
    }


@pytest.mark.parametrize(
    ("document", "path", "value", "op"),
    [
        (
            _manifest("Deployment", "apps/v1", {"selector": {"matchLabels": {"a": "1"}}, "replicas": 2}),
            "spec.selector.matchLabels.a",
            "2",
            "replace",
        ),
        (
            _manifest("Deployment", "apps/v1", {"selector": {"matchLabels": {"a": "1"}}, "replicas": 2}),
            "spec.replicas",
            3,
            "update",
        ),
        (
            _manifest("Service", "v1", {"clusterIP": "None", "type": "ClusterIP"}),
            "spec.clusterIP",
            "10.0.0.9",
            "replace",
        ),
        (
            _manifest("Service", "v1", {"ports": [{"name": "http", "port": 80}]}),
            "spec.ports.0.port",
            81,
            "update",
        ),
        (
            _manifest(
                "PersistentVolumeClaim",
                "v1",
                {"storageClassName": "ssd", "resources": {"requests": {"storage": "8Gi"}}},
            ),
            "spec.storageClassName",
            "hdd",
            "replace",
        ),
        (
            _manifest("PersistentVolumeClaim", "v1", {"resources": {"requests": {"storage": "8Gi"}}}),
            "spec.resources.requests.storage",
            "16Gi",
            "update",
        ),
        (
            _manifest("PersistentVolumeClaim", "v1", {"resources": {"requests": {"storage": "8Gi"}}}),
            "spec.resources.requests.storage",
            "4Gi",
            "replace",
        ),
        (
            _manifest(
                "Job", "batch/v1", {"template": {"spec": {"restartPolicy": "Never"}}, "backoffLimit": 1}
            ),
            "spec.template.spec.restartPolicy",
            "OnFailure",
            "replace",
        ),
        (
            _manifest("Job", "batch/v1", {"template": {"spec": {}}, "backoffLimit": 1}),
            "spec.backoffLimit",
            2,
            "update",
        ),
        (_manifest("ConfigMap", "v1", {}, data={"k": "v"}, immutable=True), "data.k", "w", "replace"),
        (_manifest("ConfigMap", "v1", {}, data={"k": "v"}), "data.k", "w", "update"),
        (_manifest("Service", "v1", {}), "metadata.namespace", "other", "replace"),
    ],
)
def test_immutable_fields_of_other_kinds(document: dict[str, Any], path: str, value: Any, op: str) -> None:
    [change] = _diff_one(document, _set(path, value)).changes
    assert change.op == op


def test_random_and_cloudflare_identity_inputs_force_new_resources() -> None:
    setting = {
        "type": "cloudflare:index/zoneSetting:ZoneSetting",
        "name": "ssl",
        "inputs": {"zoneId": "z1", "value": "full"},
    }
    assert _diff_one(setting, _set("inputs.value", "strict")).changes[0].op == "update"
    assert _diff_one(setting, _set("inputs.zoneId", "z2")).changes[0].op == "replace"
    password = {"type": "random:index/randomPassword:RandomPassword", "name": "pw", "inputs": {"length": 32}}
    assert _diff_one(password, _set("inputs.length", 40)).changes[0].op == "replace"


def test_lists_of_named_objects_are_matched_by_name() -> None:
    old = {"containers": [{"name": "a", "image": "a:1"}, {"name": "b", "image": "b:1"}]}
    new = {
        "containers": [
            {"name": "z", "image": "z:1"},
            {"name": "a", "image": "a:1"},
            {"name": "b", "image": "b:2"},
        ]
    }
    assert field_changes(old, new) == [
        FieldChange("containers[name=b].image", "b:1", "b:2"),
        FieldChange("containers[name=z]", None, {"name": "z", "image": "z:1"}),
    ]


def test_a_rendering_from_a_stack_with_a_new_namespace_pairs_resources_by_their_pulumi_name(
    staging_diff: Callable[..., Diff],
) -> None:
    diff = staging_diff(namespace="shop-staging")
    kubernetes = [path for path in baseline("staging").documents if path.startswith("kubernetes/")]
    assert {c.op for c in diff.changes} == {"replace"} and diff.summary["replace"] == len(kubernetes)
    assert {c.type.split(":")[0] for c in diff.changes} == {"kubernetes"}
    namespace = next(c for c in diff.changes if c.type == "kubernetes:core/v1:Namespace")
    assert namespace.name == "shop-staging" and "metadata.name" in namespace.replace_because


def test_a_changed_nginx_conf_replaces_the_swarm_config_and_updates_the_cdn_in_place(
    stack_diff: Callable[..., Diff],
) -> None:
    # Pulumi.swarm.yaml leaves the cdn block at its defaults.
    diff = stack_diff("swarm", cdn={"rateLimit": {"requestsPerSecond": 77}})
    ops = {(c.op, c.type, c.name) for c in diff.changes}
    # Swarm configs cannot change: a new content-named config, and the service rolls to it.
    assert ops == {
        ("replace", "docker:index/serviceConfig:ServiceConfig", "cdn-nginx"),
        ("update", "docker:index/service:Service", "cdn"),
    }


def test_swarm_identity_inputs_force_new_resources() -> None:
    service = {"type": "docker:index/service:Service", "name": "web", "inputs": {"name": "a", "labels": []}}
    assert _diff_one(service, _set("inputs.labels", [{"label": "x", "value": "y"}])).changes[0].op == "update"
    assert _diff_one(service, _set("inputs.name", "b")).changes[0].op == "replace"
    network = {"type": "docker:index/network:Network", "name": "net", "inputs": {"name": "n", "options": {}}}
    assert _diff_one(network, _set("inputs.options", {"encrypted": "true"})).changes[0].op == "replace"
    volume = {"type": "docker:index/volume:Volume", "name": "v", "inputs": {"name": "v", "labels": []}}
    assert _diff_one(volume, _set("inputs.labels", [{"label": "x", "value": "y"}])).changes[0].op == "replace"
