"""What a config change does to the stack, resource by resource and field by field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from preview.diff import Diff, diff_renderings
from preview.diff_fields import FieldChange, field_changes
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
    # The autoscaling dashboard draws each service's maximum (ConfigMap data: replaced).
    dashboard = changes.pop(
        ("replace", "kubernetes:core/v1:ConfigMap", f"{NS}/dashboard-technovastore-autoscaling")
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


def test_an_edge_ttl_is_stated_by_the_cdn_tier_and_rolls_it(stack_diff: Callable[..., Diff]) -> None:
    # Cloudflare's rules respect the origin, so the edge TTL travels in the tier's answers:
    # a new one is a new nginx.conf (a new content-named ConfigMap the CDN rolls onto).
    cloudflare = config_value("production", "cloudflare")
    diff = stack_diff("production", cloudflare=cloudflare | {"cache": {"productEdgeTtl": 7200}})
    summary = summary_of(diff)
    [(config_map, fields)] = [
        (key, fields) for key, fields in summary.items() if key[1].endswith("ConfigMap")
    ]
    [(_, old_conf, new_conf)] = [field for field in fields if field[0] == "data.nginx.conf"]

    assert {(op, kind) for op, kind, _ in summary} == {
        ("update", "kubernetes:apps/v1:Deployment"),
        ("replace", "kubernetes:core/v1:ConfigMap"),
    }
    assert config_map[0] == "replace"
    assert '"max-age=3600";' in old_conf and '"max-age=7200";' in new_conf


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
    diff = staging_diff(services=services, cdn=config_value("staging", "cdn") | {"originService": "catalog"})
    ops = {(c.op, c.type, c.name) for c in diff.changes if c.type == "kubernetes:apps/v1:Deployment"}
    assert ops == {
        ("create", "kubernetes:apps/v1:Deployment", f"{NS}/catalog"),
        ("delete", "kubernetes:apps/v1:Deployment", f"{NS}/frontend"),
        # The CDN now proxies to the new service: its pods roll with the new config.
        ("update", "kubernetes:apps/v1:Deployment", f"{NS}/cdn"),
    }


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
    stack_diff: Callable[..., Diff],
) -> None:
    # Only production chooses its namespace (the others derive theirs from the stack name).
    diff = stack_diff("production", namespace="shop")
    kubernetes = [path for path in baseline("production").documents if path.startswith("kubernetes/")]
    objects = [c for c in diff.changes if c.type.startswith("kubernetes:")]
    assert {c.op for c in objects} == {"replace"} and diff.summary["replace"] == len(kubernetes)
    # Besides the objects, only the stack's Kubernetes provider changes (its default namespace).
    others = [(c.op, c.type) for c in diff.changes if c not in objects]
    assert others == [("update", "pulumi:providers:kubernetes")]
    namespace = next(c for c in diff.changes if c.type == "kubernetes:core/v1:Namespace")
    assert namespace.name == "shop" and "metadata.name" in namespace.replace_because


def test_a_changed_nginx_conf_replaces_the_swarm_config_and_updates_the_cdn_in_place(
    stack_diff: Callable[..., Diff],
) -> None:
    cdn = {**config_value("swarm", "cdn"), "rateLimit": {"requestsPerSecond": 77}}
    diff = stack_diff("swarm", cdn=cdn)
    ops = {(c.op, c.type, c.name) for c in diff.changes}
    # Swarm configs cannot change: a new content-named config, and the service rolls to it.
    assert ops == {
        ("replace", "docker:index/serviceConfig:ServiceConfig", "cdn-nginx"),
        ("update", "docker:index/service:Service", "cdn"),
    }
