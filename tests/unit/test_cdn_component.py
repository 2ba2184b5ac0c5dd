"""NginxCdn under the mock runtime, for both stacks: what it declares and what it exports."""

from __future__ import annotations

from typing import Any

import kubernetes_validate
import pytest

from components.images import parse_image_reference
from components.kubernetes.cdn import CACHE_DIR, CONFIG_DIR, TEMP_DIR, pod_layout, service_names
from components.kubernetes.checksums import content_named
from components.kubernetes.conventions import TIER_LABEL
from components.render.cdn_metrics import PROGRAM_FILE, render_mtail_program
from components.render.nginx import render_nginx_conf
from components.settings import Settings, load_settings
from preview.manifests import kubernetes_manifest
from preview.synth import DeclaredResource, Synthesis
from tests.support.stacks import stack_config

COMPONENT = "technovastore:cdn:NginxCdn"
KINDS = {
    "kubernetes:core/v1:ConfigMap": "ConfigMap",
    "kubernetes:apps/v1:Deployment": "Deployment",
    "kubernetes:core/v1:Service": "Service",
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler": "HorizontalPodAutoscaler",
    "kubernetes:policy/v1:PodDisruptionBudget": "PodDisruptionBudget",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy": "NetworkPolicy",
}


def cdn_children(synthesis: Synthesis) -> dict[str, dict[str, Any]]:
    """The component's Kubernetes objects by kind, as the API server would receive them."""
    (component,) = synthesis.of_type(COMPONENT)
    children = synthesis.children_of(component.urn)
    assert sorted(r.type for r in children) == sorted(KINDS)
    return {KINDS[r.type]: kubernetes_manifest(r) for r in children}


def containers(manifests: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    pod = manifests["Deployment"]["spec"]["template"]["spec"]
    return {c["name"]: c for c in pod["containers"]}


def settings_of(synthesis: Synthesis) -> Settings:
    return load_settings(stack_config(synthesis.stack), synthesis.stack)


def test_every_object_passes_the_strict_kubernetes_schema(synthesis: Synthesis) -> None:
    for kind, manifest in cdn_children(synthesis).items():
        try:
            kubernetes_validate.validate(manifest, "1.30.0", strict=True)
        except kubernetes_validate.ValidationError as error:  # pragma: no cover - the message is the point
            pytest.fail(f"{kind}: {error}")


def test_configmap_holds_the_rendered_config(synthesis: Synthesis) -> None:
    settings = settings_of(synthesis)
    origin = settings.services[settings.cdn.origin_service]
    expected = render_nginx_conf(
        settings.cdn_tier,
        pod_layout(
            settings.cdn_tier,
            f"{settings.cdn.origin_service}.{settings.namespace}.svc.cluster.local:{origin.port}",
            service_names("cdn", settings.namespace),
            metrics_log=settings.monitoring.enabled,
        ),
    )
    manifests = cdn_children(synthesis)

    config_map = manifests["ConfigMap"]
    files = {"nginx.conf": expected, PROGRAM_FILE: render_mtail_program()}
    assert config_map["data"] == files
    # Named after its content and immutable: a new config is a new ConfigMap the pods roll onto.
    assert config_map["metadata"]["name"] == content_named("cdn-nginx", files)
    assert config_map["immutable"] is True
    volumes = manifests["Deployment"]["spec"]["template"]["spec"]["volumes"]
    assert {v["configMap"]["name"] for v in volumes if "configMap" in v} == {config_map["metadata"]["name"]}


def test_pods_are_hardened_with_writable_emptydirs_only(synthesis: Synthesis) -> None:
    manifests = cdn_children(synthesis)
    pod = manifests["Deployment"]["spec"]["template"]["spec"]
    nginx = containers(manifests)["nginx"]

    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    for container in pod["containers"]:
        context = container["securityContext"]
        assert context["readOnlyRootFilesystem"] is True
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"] == {"drop": ["ALL"]}
        assert parse_image_reference(container["image"]).is_pinned
        assert container["resources"]["limits"] and container["resources"]["requests"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m for m in nginx["volumeMounts"]}
    assert mounts[CONFIG_DIR]["readOnly"] is True
    assert (
        volumes[mounts[CONFIG_DIR]["name"]]["configMap"]["name"] == manifests["ConfigMap"]["metadata"]["name"]
    )
    for path in (CACHE_DIR, TEMP_DIR):
        assert "emptyDir" in volumes[mounts[path]["name"]]
    assert nginx["command"] == ["nginx", "-c", f"{CONFIG_DIR}/nginx.conf"]


def test_rendered_paths_point_into_the_mounted_volumes(synthesis: Synthesis) -> None:
    config = cdn_children(synthesis)["ConfigMap"]["data"]["nginx.conf"]

    assert f"proxy_cache_path {CACHE_DIR} " in config
    assert f"proxy_temp_path {TEMP_DIR}/proxy;" in config
    assert f"pid {TEMP_DIR}/nginx.pid;" in config


def test_probes_use_health_and_liveness_differs(synthesis: Synthesis) -> None:
    nginx = containers(cdn_children(synthesis))["nginx"]

    assert nginx["readinessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
    assert nginx["startupProbe"]["httpGet"] == {"path": "/health", "port": "http"}
    assert nginx["livenessProbe"] != nginx["readinessProbe"]


def test_exporter_scrapes_the_internal_status_port(synthesis: Synthesis) -> None:
    settings = settings_of(synthesis).cdn
    exporter = containers(cdn_children(synthesis))["exporter"]
    config = cdn_children(synthesis)["ConfigMap"]["data"]["nginx.conf"]

    assert f"--nginx.scrape-uri=http://127.0.0.1:{settings.status_port}/stub_status" in exporter["args"]
    assert f"listen 127.0.0.1:{settings.status_port};" in config
    assert exporter["ports"] == [
        {"containerPort": settings.exporter_port, "name": "metrics", "protocol": "TCP"}
    ]


def test_hpa_owns_replicas_and_pdb_allows_eviction(synthesis: Synthesis) -> None:
    settings = settings_of(synthesis).cdn
    manifests = cdn_children(synthesis)
    hpa, pdb, deployment = (
        manifests["HorizontalPodAutoscaler"],
        manifests["PodDisruptionBudget"],
        manifests["Deployment"],
    )

    assert "replicas" not in deployment["spec"]
    assert hpa["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (
        settings.min_replicas,
        settings.max_replicas,
    )
    assert pdb["spec"]["minAvailable"] < hpa["spec"]["minReplicas"]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()


def test_service_selects_the_pods_on_http_and_metrics(synthesis: Synthesis) -> None:
    settings = settings_of(synthesis).cdn
    manifests = cdn_children(synthesis)
    service = manifests["Service"]["spec"]
    pod_labels = manifests["Deployment"]["spec"]["template"]["metadata"]["labels"]

    assert service["type"] == "ClusterIP"
    assert service["selector"].items() <= pod_labels.items()
    assert {p["name"]: p["port"] for p in service["ports"]} == {
        "http": settings.port,
        "metrics": settings.exporter_port,
    }


def test_network_policy_admits_http_from_anywhere_and_metrics_from_monitoring(synthesis: Synthesis) -> None:
    manifests = cdn_children(synthesis)
    policy = manifests["NetworkPolicy"]["spec"]
    pod_labels = manifests["Deployment"]["spec"]["template"]["metadata"]["labels"]

    assert pod_labels[TIER_LABEL] == "cdn"
    assert policy["podSelector"]["matchLabels"] == {TIER_LABEL: "cdn"}
    http, metrics = policy["ingress"]
    assert http == {"ports": [{"port": "http", "protocol": "TCP"}]}
    # The exporter's stub_status metrics and the log-to-metrics sidecar's request metrics.
    assert metrics["ports"] == [
        {"port": "metrics", "protocol": "TCP"},
        {"port": "log-metrics", "protocol": "TCP"},
    ]
    namespace = settings_of(synthesis).monitoring_namespace
    assert metrics["from"] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}}}
    ]


def test_namespace_lets_the_cdn_reach_its_origin(synthesis: Synthesis) -> None:
    settings = settings_of(synthesis)
    origin_tier = settings.services[settings.cdn.origin_service].tier
    egress = synthesis.by_name("namespace-allow-egress-from-cdn").inputs["spec"]
    allowed = egress["egress"][0]["to"][0]["podSelector"]["matchExpressions"][0]["values"]

    assert origin_tier in allowed


def test_endpoints_output_names_the_cdn_and_its_sample_urls(synthesis: Synthesis) -> None:
    settings = settings_of(synthesis)
    cdn = synthesis.outputs["endpoints"]["cdn"]
    host = f"cdn.{settings.namespace}.svc.cluster.local"

    assert (cdn["host"], cdn["port"], cdn["healthPath"]) == (host, settings.cdn.port, "/health")
    assert cdn["samplePaths"] == settings.cdn.sample_static_urls
    assert cdn["sampleUrls"] == [
        f"http://{host}:{settings.cdn.port}{p}" for p in settings.cdn.sample_static_urls
    ]


def test_cdn_waits_for_its_origin_service(synthesis: Synthesis) -> None:
    origin_name = settings_of(synthesis).cdn.origin_service
    (component,) = synthesis.of_type(COMPONENT)
    origin_service: DeclaredResource = synthesis.by_name(f"{origin_name}-service")

    # The SDK expands a dependency on a component into its children.
    assert origin_service.urn in component.depends_on


def test_strict_schema_check_can_fail(synthesis: Synthesis) -> None:
    deployment = cdn_children(synthesis)["Deployment"]
    deployment["spec"]["template"]["spec"]["containers"][0]["readOnlyRootFilesystm"] = True

    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, "1.30.0", strict=True)
