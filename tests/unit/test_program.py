"""The program's resource graph for each stack, under Pulumi's mock runtime."""

from __future__ import annotations

from typing import Any

import pytest

from components.hpa_behavior import seconds_to_reach_max
from components.settings import Settings, load_settings
from preview.synth import DeclaredResource, Synthesis
from tests.support.stacks import stack_config, synthesize_stack

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SERVICE = "kubernetes:core/v1:Service"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
SERVICE_COMPONENT = "technovastore:service:AutoscaledService"


def settings_of(synthesis: Synthesis) -> Settings:
    return load_settings(stack_config(synthesis.stack), synthesis.stack)


def child(synthesis: Synthesis, component: DeclaredResource, type_: str) -> DeclaredResource:
    matches = [r for r in synthesis.children_of(component.urn) if r.type == type_]
    assert len(matches) == 1, f"{component.name} has {len(matches)} children of type {type_}"
    return matches[0]


def service_parts(synthesis: Synthesis, name: str) -> dict[str, dict[str, Any]]:
    component = next(r for r in synthesis.of_type(SERVICE_COMPONENT) if r.name == name)
    return {
        kind: child(synthesis, component, type_).inputs
        for kind, type_ in (("deployment", DEPLOYMENT), ("service", SERVICE), ("hpa", HPA), ("pdb", PDB))
    }


def matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


def test_urns_are_unique(synthesis: Synthesis) -> None:
    assert synthesis.duplicate_urns == []


def test_components_nest_under_the_platform(synthesis: Synthesis) -> None:
    platform = synthesis.by_name("technovastore")
    assert platform.type == "technovastore:platform:Platform"
    assert platform.parent is None or platform.parent.endswith(f"::technovastore-scaling-{synthesis.stack}")
    namespace = synthesis.by_name("namespace")
    assert namespace.parent == platform.urn
    assert {r.name for r in synthesis.of_type(SERVICE_COMPONENT)} == set(settings_of(synthesis).services)
    assert all(r.parent == platform.urn for r in synthesis.of_type(SERVICE_COMPONENT))


def test_namespace_guard_rails(synthesis: Synthesis) -> None:
    settings = settings_of(synthesis)
    namespace = synthesis.by_name("namespace-namespace").inputs
    assert namespace["metadata"]["name"] == settings.namespace
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    quota = synthesis.by_name("namespace-quota").inputs["spec"]["hard"]
    assert int(quota["pods"]) > sum(s.max_replicas for s in settings.services.values())
    limits = synthesis.by_name("namespace-limits").inputs["spec"]["limits"][0]
    assert limits["type"] == "Container" and limits["defaultRequest"] and limits["default"]
    policies = {
        r.inputs["metadata"]["name"]: r.inputs["spec"]
        for r in synthesis.of_type(NETWORK_POLICY)
        if r.parent == synthesis.by_name("namespace").urn
    }
    assert policies["default-deny-all"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    dns = policies["allow-dns-egress"]["egress"][0]
    assert {(p["protocol"], p["port"]) for p in dns["ports"]} == {("UDP", 53.0), ("TCP", 53.0)}
    backend = policies["allow-ingress-to-backend"]
    assert backend["ingress"][0]["from"][0]["podSelector"]["matchExpressions"][0]["values"] == ["gateway"]


def test_deployments_are_hardened_and_leave_replicas_to_the_hpa(synthesis: Synthesis) -> None:
    settings = settings_of(synthesis)
    for name, service in settings.services.items():
        deployment = service_parts(synthesis, name)["deployment"]
        spec = deployment["spec"]
        assert "replicas" not in spec, f"{name}: a managed replica count fights the HPA"
        pod = spec["template"]["spec"]
        assert pod["automountServiceAccountToken"] is False
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        (container,) = pod["containers"]
        assert container["image"] == service.image
        assert container["resources"] == service.resources.model_dump()
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True
        assert security["allowPrivilegeEscalation"] is False
        assert security["capabilities"] == {"drop": ["ALL"]}
        readiness, liveness = container["readinessProbe"], container["livenessProbe"]
        assert readiness["httpGet"]["path"] == service.probes.readiness
        assert liveness["httpGet"]["path"] == service.probes.liveness != readiness["httpGet"]["path"]
        assert container["startupProbe"]["httpGet"]["path"] == service.probes.readiness
        assert container["ports"][0]["containerPort"] == service.port
        labels = spec["template"]["metadata"]["labels"]
        assert matches(spec["selector"]["matchLabels"], labels)
        for key in ("name", "instance", "component", "part-of", "managed-by", "version"):
            assert f"app.kubernetes.io/{key}" in labels
        assert labels["technovastore.io/tier"] == service.tier
        assert (labels.get("technovastore.io/redis-client") == "true") == service.uses_redis
        spread = {c["topologyKey"]: c["whenUnsatisfiable"] for c in pod["topologySpreadConstraints"]}
        strict = "DoNotSchedule" if synthesis.stack == "production" else "ScheduleAnyway"
        assert spread == {"kubernetes.io/hostname": strict, "topology.kubernetes.io/zone": "ScheduleAnyway"}


def test_services_select_their_pods(synthesis: Synthesis) -> None:
    for name, service in settings_of(synthesis).services.items():
        parts = service_parts(synthesis, name)
        pod_labels = parts["deployment"]["spec"]["template"]["metadata"]["labels"]
        spec = parts["service"]["spec"]
        assert spec["type"] == "ClusterIP"
        assert matches(spec["selector"], pod_labels)
        assert spec["ports"] == [
            {"name": "http", "port": float(service.port), "targetPort": "http", "protocol": "TCP"}
        ]


def test_hpas_scale_on_cpu_memory_and_response_time(synthesis: Synthesis) -> None:
    settings = settings_of(synthesis)
    for name, service in settings.services.items():
        hpa = service_parts(synthesis, name)["hpa"]["spec"]
        assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
        assert (hpa["minReplicas"], hpa["maxReplicas"]) == (service.min_replicas, service.max_replicas)
        resources = {
            m["resource"]["name"]: m["resource"]["target"] for m in hpa["metrics"] if m["type"] == "Resource"
        }
        assert resources == {
            "cpu": {"type": "Utilization", "averageUtilization": 70.0},
            "memory": {"type": "Utilization", "averageUtilization": 80.0},
        }
        pods = [m["pods"] for m in hpa["metrics"] if m["type"] == "Pods"]
        if synthesis.stack == "production":
            assert pods == [
                {
                    "metric": {"name": settings.scaling.response_time_metric},
                    "target": {"type": "AverageValue", "averageValue": "2000"},
                }
            ]
        else:
            assert pods == []


def test_hpa_behavior_reaches_max_within_60_s_and_scales_down_calmly(synthesis: Synthesis) -> None:
    for name in settings_of(synthesis).services:
        spec = service_parts(synthesis, name)["hpa"]["spec"]
        up, down = spec["behavior"]["scaleUp"], spec["behavior"]["scaleDown"]
        assert up["stabilizationWindowSeconds"] == 0 and up["selectPolicy"] == "Max"
        policies = {p["type"]: p for p in up["policies"]}
        assert policies["Percent"]["periodSeconds"] == policies["Pods"]["periodSeconds"]
        seconds = seconds_to_reach_max(
            min_replicas=int(spec["minReplicas"]),
            max_replicas=int(spec["maxReplicas"]),
            stabilization_window_seconds=int(up["stabilizationWindowSeconds"]),
            percent=int(policies["Percent"]["value"]),
            pods=int(policies["Pods"]["value"]),
            period_seconds=int(policies["Pods"]["periodSeconds"]),
        )
        assert seconds <= 60, f"{name} needs {seconds} s to reach max"
        assert down["stabilizationWindowSeconds"] == 300 and down["selectPolicy"] == "Min"
        assert {p["type"]: p["value"] for p in down["policies"]} == {"Percent": 10.0, "Pods": 1.0}


def test_pdbs_always_allow_an_eviction(synthesis: Synthesis) -> None:
    for name, service in settings_of(synthesis).services.items():
        parts = service_parts(synthesis, name)
        pdb = parts["pdb"]["spec"]
        pod_labels = parts["deployment"]["spec"]["template"]["metadata"]["labels"]
        assert pdb["selector"]["matchLabels"] == parts["deployment"]["spec"]["selector"]["matchLabels"]
        assert matches(pdb["selector"]["matchLabels"], pod_labels)
        assert 1 <= pdb["minAvailable"] < service.min_replicas
        assert pdb["unhealthyPodEvictionPolicy"] == "AlwaysAllow"


def test_stack_outputs(synthesis: Synthesis) -> None:
    settings = settings_of(synthesis)
    outputs = synthesis.outputs
    assert outputs["namespace"] == settings.namespace
    assert outputs["stack"] == synthesis.stack
    for name, service in settings.services.items():
        assert outputs["services"][name]["minReplicas"] == service.min_replicas
        assert outputs["services"][name]["maxReplicas"] == service.max_replicas
        endpoint = outputs["endpoints"]["services"][name]
        assert endpoint == {"host": f"{name}.{settings.namespace}.svc.cluster.local", "port": service.port}


def test_a_single_replica_service_gets_a_budget_that_still_allows_eviction() -> None:
    services = settings_of(synthesize_stack("staging")).model_dump(by_alias=True)["services"]
    services["frontend"].update(minReplicas=1, maxReplicas=3)
    synthesis = synthesize_stack("staging", services=services)
    pdb = service_parts(synthesis, "frontend")["pdb"]["spec"]
    assert pdb.get("maxUnavailable") == 1 and "minAvailable" not in pdb


@pytest.mark.parametrize("stack", ["production", "staging"])
def test_adding_a_service_in_config_adds_exactly_its_four_resources(stack: str) -> None:
    base = synthesize_stack(stack)
    services = settings_of(base).model_dump(by_alias=True)["services"]
    services["review-service"] = {
        **services["order-service"],
        "image": "ghcr.io/technovastore/review-service:0.1.0",
    }
    grown = synthesize_stack(stack, services=services)
    added = {r.urn for r in grown.resources} - {r.urn for r in base.resources}
    added_resources = [r for r in grown.resources if r.urn in added]
    assert sorted((r.type, r.name) for r in added_resources if r.custom) == sorted(
        [
            (DEPLOYMENT, "review-service-deployment"),
            (SERVICE, "review-service-service"),
            (HPA, "review-service-hpa"),
            (PDB, "review-service-pdb"),
        ]
    )
    assert [r.type for r in added_resources if not r.custom] == [SERVICE_COMPONENT]
    assert {r.urn for r in base.resources} <= {r.urn for r in grown.resources}
