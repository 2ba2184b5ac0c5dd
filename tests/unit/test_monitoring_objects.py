"""The monitoring objects the Kubernetes stacks declare, and that they point at real pods and ports."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.render.dashboards import render_dashboards
from components.render.rules import MetricSources, render_rule_groups
from preview.manifests import kubernetes_manifest
from preview.synth import Synthesis
from preview.validate import validate_manifests
from tests.support.stacks import stack_settings, synthesize_stack


def _manifests(synthesis: Synthesis, kind: str) -> list[dict[str, Any]]:
    manifests = [kubernetes_manifest(r) for r in synthesis.resources if r.is_kubernetes]
    return [m for m in manifests if m["kind"] == kind]


def _pod_templates(synthesis: Synthesis) -> list[dict[str, Any]]:
    workloads = _manifests(synthesis, "Deployment") + _manifests(synthesis, "StatefulSet")
    return [w["spec"]["template"] for w in workloads]


def test_the_prometheus_rule_holds_the_rendered_rules(synthesis: Synthesis) -> None:
    settings = stack_settings(synthesis.stack)
    [rule] = _manifests(synthesis, "PrometheusRule")
    sources = MetricSources(scope={"namespace": settings.namespace}, replicas="kube-state-metrics")

    assert rule["spec"] == render_rule_groups(settings, sources)
    assert rule["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert rule["metadata"]["namespace"] == settings.namespace


def test_every_pod_monitor_selects_pods_that_have_its_ports(synthesis: Synthesis) -> None:
    monitors = _manifests(synthesis, "PodMonitor")
    templates = _pod_templates(synthesis)

    assert {m["metadata"]["name"] for m in monitors} == {
        "redis-cluster",
        "redis-sessions",
        "redis-sessions-sentinel",
        "cdn",
    }
    for monitor in monitors:
        selector = monitor["spec"]["selector"]["matchLabels"]
        selected = [t for t in templates if selector.items() <= t["metadata"]["labels"].items()]
        assert selected, monitor["metadata"]["name"]
        for template in selected:
            ports = {p["name"] for c in template["spec"]["containers"] for p in c.get("ports", [])}
            wanted = {e["port"] for e in monitor["spec"]["podMetricsEndpoints"]}
            assert wanted <= ports, (monitor["metadata"]["name"], wanted - ports)
            # The job is the workload's name, which the rules select on.
            assert template["metadata"]["labels"][monitor["spec"]["jobLabel"]] == monitor["metadata"]["name"]


def test_the_monitoring_namespace_may_reach_every_scraped_port(synthesis: Synthesis) -> None:
    settings = stack_settings(synthesis.stack)
    policies = _manifests(synthesis, "NetworkPolicy")
    for monitor in _manifests(synthesis, "PodMonitor"):
        labels = monitor["spec"]["selector"]["matchLabels"]
        template = next(
            t for t in _pod_templates(synthesis) if labels.items() <= t["metadata"]["labels"].items()
        )
        numbers = {
            p["name"]: p["containerPort"] for c in template["spec"]["containers"] for p in c.get("ports", [])
        }
        for endpoint in monitor["spec"]["podMetricsEndpoints"]:
            allowed = [
                rule
                for policy in policies
                if policy["spec"]["podSelector"].get("matchLabels", {}).items()
                <= template["metadata"]["labels"].items()
                for rule in policy["spec"].get("ingress", [])
                if any(
                    peer.get("namespaceSelector", {})
                    .get("matchLabels", {})
                    .get("kubernetes.io/metadata.name")
                    == settings.monitoring_namespace
                    for peer in rule.get("from", [])
                )
                and any(
                    p["port"] in (endpoint["port"], numbers[endpoint["port"]]) for p in rule.get("ports", [])
                )
            ]
            assert allowed, (monitor["metadata"]["name"], endpoint["port"])


def test_each_dashboard_is_a_configmap_for_the_grafana_sidecar(synthesis: Synthesis) -> None:
    settings = stack_settings(synthesis.stack)
    sources = MetricSources(scope={"namespace": settings.namespace}, replicas="kube-state-metrics")
    expected = render_dashboards(settings, sources)
    maps = [m for m in _manifests(synthesis, "ConfigMap") if m["metadata"]["name"].startswith("dashboard-")]

    assert {m["metadata"]["name"] for m in maps} == {f"dashboard-{uid}" for uid in expected}
    for config_map in maps:
        assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
        [(key, text)] = config_map["data"].items()
        assert json.loads(text) == expected[key.removesuffix(".json")]


def test_custom_resources_are_validated_against_the_operator_schemas(synthesis: Synthesis) -> None:
    [monitor, *_] = _manifests(synthesis, "PodMonitor")
    broken = {
        **monitor,
        "spec": {**monitor["spec"], "podMetricsEndpoint": monitor["spec"]["podMetricsEndpoints"]},
    }

    good = validate_manifests([monitor], "1.37")
    bad = validate_manifests([broken], "1.37")

    assert good.checked == 1 and not good.problems and not good.unchecked
    assert [p.path for p in bad.problems] == ["spec"]
    assert "podMetricsEndpoint" in bad.problems[0].message


def test_monitoring_off_declares_none_of_it() -> None:
    synthesis = synthesize_stack("staging", monitoring={"enabled": False})
    kinds = {r.type for r in synthesis.resources}

    assert not any("monitoring.coreos.com" in kind for kind in kinds)
    cdn = next(m for m in _manifests(synthesis, "Deployment") if m["metadata"]["name"] == "cdn")
    assert [c["name"] for c in cdn["spec"]["template"]["spec"]["containers"]] == ["nginx", "exporter"]
    config = next(
        m for m in _manifests(synthesis, "ConfigMap") if m["metadata"]["name"].startswith("cdn-nginx-")
    )
    assert "syslog:" not in config["data"]["nginx.conf"]


@pytest.mark.parametrize("stack", ["production", "staging"])
def test_the_cdn_sends_its_metrics_lines_to_the_sidecar(stack: str) -> None:
    synthesis = synthesize_stack(stack)
    config = next(
        m for m in _manifests(synthesis, "ConfigMap") if m["metadata"]["name"].startswith("cdn-nginx-")
    )

    assert (
        "access_log syslog:server=127.0.0.1:5140,tag=cdn,nohostname cdn_metrics;"
        in config["data"]["nginx.conf"]
    )
    assert config["data"]["cdn.mtail"].startswith("# Rendered")


def test_dashboards_of_stacks_sharing_a_cluster_never_share_a_uid() -> None:
    """Review stacks deploy to staging's cluster (their config is copied from staging), and a
    Grafana sidecar that watches every namespace loads both stacks' dashboards into one Grafana,
    where a uid names one dashboard (at most 40 characters): each stack's must be its own."""
    boards: dict[str, dict[str, dict[str, object]]] = {}
    for stack in ("staging", "pr-123456789", "production"):
        settings = stack_settings(stack)
        sources = MetricSources(scope={"namespace": settings.namespace}, replicas="kube-state-metrics")
        boards[stack] = render_dashboards(settings, sources)
    uids = [str(model["uid"]) for models in boards.values() for model in models.values()]
    titles = [str(model["title"]) for models in boards.values() for model in models.values()]
    assert len(set(uids)) == len(uids) == 12
    assert len(set(titles)) == len(titles)
    assert all(len(uid) <= 40 for uid in uids), uids
    # The ConfigMaps keep their names: only what Grafana sees carries the stack.
    assert set(boards["staging"]) == set(boards["production"])
