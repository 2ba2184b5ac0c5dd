"""The offline runner: enforcement levels, remediation, tolerance of odd resources, HPA timing."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi_policy import ResourceValidationArgs, ResourceValidationPolicy

from components.hpa_behavior import seconds_to_reach_max as foundation_seconds
from policies.hpa_timing import seconds_to_reach_max
from policies.offline import run_policies, to_policy_resources
from policies.rules import ALL_POLICIES
from preview.synth import DeclaredResource, Synthesis
from tests.policies import platform_builders as pb
from tests.policies.builders import configmap, deployment, edited, resource, scale_up

POLICIES = {p.name: p for p in ALL_POLICIES}


def _no_seccomp(inputs: dict) -> None:
    pod = inputs["spec"]["template"]["spec"]
    pod["securityContext"].pop("seccompProfile")
    pod["containers"][0]["securityContext"].pop("seccompProfile")


def test_levels_resolve_like_the_engine() -> None:
    broken = [edited(deployment(), _no_seccomp)]
    policy = [POLICIES["k8s-seccomp-runtime-default"]]
    assert [v.enforcement_level for v in run_policies(broken, {}, policies=policy)] == ["mandatory"]
    assert [v.enforcement_level for v in run_policies(broken, {"all": "advisory"}, policies=policy)] == [
        "advisory"
    ]
    per_policy = {"all": "advisory", "k8s-seccomp-runtime-default": "mandatory"}
    assert [v.enforcement_level for v in run_policies(broken, per_policy, policies=policy)] == ["mandatory"]
    assert run_policies(broken, {"k8s-seccomp-runtime-default": "disabled"}, policies=policy) == []


def test_remediation_fixes_the_resource_and_is_reported_as_such() -> None:
    broken = edited(deployment(), _no_seccomp)
    policy = POLICIES["k8s-seccomp-runtime-default"]
    assert isinstance(policy, ResourceValidationPolicy)
    violations = run_policies([broken], {policy.name: {"enforcementLevel": "remediate"}}, policies=[policy])
    assert [v.enforcement_level for v in violations] == ["remediate"]
    assert "RuntimeDefault" in violations[0].message
    args_resource = to_policy_resources([broken])[0]
    args = ResourceValidationArgs(
        broken.type, args_resource.props, broken.urn, broken.name, args_resource.opts, None
    )
    fixed: Any = policy.remediate(args)
    assert fixed["spec"]["template"]["spec"]["securityContext"]["seccompProfile"] == {
        "type": "RuntimeDefault"
    }
    assert "seccompProfile" not in broken.inputs["spec"]["template"]["spec"]["securityContext"], (
        "input untouched"
    )


def test_remediation_of_a_compliant_resource_changes_nothing() -> None:
    remediable = [p for p in ALL_POLICIES if getattr(p, "has_remediation", lambda: False)()]
    config = {p.name: "remediate" for p in remediable}
    assert run_policies([deployment()], config, policies=remediable) == []


ODD_RESOURCES = [
    resource("kubernetes:apps/v1:Deployment", "empty", {}),
    resource(
        "kubernetes:apps/v1:Deployment", "nulls", {"kind": "Deployment", "metadata": None, "spec": None}
    ),
    resource(
        "kubernetes:apps/v1:StatefulSet",
        "wrong-types",
        {
            "kind": "StatefulSet",
            "spec": {
                "template": {
                    "spec": {
                        "containers": [
                            "not-a-container",
                            {"securityContext": "x", "env": "y", "ports": [None], "image": 3},
                        ]
                    }
                },
                "replicas": "three",
                "volumeClaimTemplates": 1,
            },
        },
    ),
    resource(
        "kubernetes:core/v1:ConfigMap",
        "binary",
        {"kind": "ConfigMap", "data": {"x": 1, "nginx.conf": "http {"}},
    ),
    resource(
        "kubernetes:core/v1:Service",
        "odd-service",
        {"kind": "Service", "spec": {"type": "LoadBalancer", "ports": "all", "selector": []}},
    ),
    resource(
        "kubernetes:networking.k8s.io/v1:NetworkPolicy",
        "odd-np",
        {
            "kind": "NetworkPolicy",
            "spec": {"podSelector": None, "ingress": [None, {"from": "x"}], "policyTypes": "Ingress"},
        },
    ),
    resource(
        "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
        "odd-hpa",
        {
            "kind": "HorizontalPodAutoscaler",
            "spec": {"minReplicas": "2", "maxReplicas": None, "metrics": [None], "behavior": {"scaleUp": []}},
        },
    ),
    resource("cloudflare:index/zoneSetting:ZoneSetting", "odd-zs", {"settingId": None, "value": {"a": 1}}),
    resource("cloudflare:index/ruleset:Ruleset", "odd-rs", {"phase": "http_ratelimit", "rules": [None, "x"]}),
    resource("cloudflare:index/dnsRecord:DnsRecord", "odd-dns", {"type": "A", "content": None}),
    resource("technovastore:service:AutoscaledService", "component", {}),
    resource("random:index/randomPassword:RandomPassword", "password", {"length": 32.0}),
]


def test_rules_tolerate_resources_they_do_not_understand() -> None:
    config = {"all": "mandatory"}
    for odd in ODD_RESOURCES:
        run_policies([odd], config)  # raising is the failure
    run_policies(ODD_RESOURCES, config)


def test_secret_values_reach_rules_unwrapped_like_in_the_engine() -> None:
    secret = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": "hunter2"}
    broken = edited(
        deployment(),
        lambda i: i["spec"]["template"]["spec"]["containers"][0]["env"].append(
            {"name": "REDIS_PASSWORD", "value": secret}
        ),
    )
    violations = run_policies([broken], {}, policies=[POLICIES["k8s-no-literal-secrets-in-env"]])
    assert len(violations) == 1
    assert "hunter2" not in violations[0].message


def test_messages_never_echo_a_secret_value() -> None:
    planted = "planted-secret-value-7f3a"
    leaky = [
        edited(
            deployment(),
            lambda i: i["spec"]["template"]["spec"]["containers"][0].update(
                env=[{"name": "API_TOKEN", "value": planted}], args=["--requirepass", planted]
            ),
        ),
        configmap("app", {"app.ini": f"db_password = {planted}\n"}),
        *pb.redis_cluster(conf=pb.REDIS_CONF + f"requirepass {planted}\nuser app on >{planted} ~* +@all\n"),
    ]
    violations = run_policies(leaky, {"all": "mandatory"})
    caught = {v.policy for v in violations}
    assert {
        "k8s-no-literal-secrets-in-env",
        "k8s-no-secrets-in-args",
        "k8s-no-secrets-in-configmap",
        "redis-no-password-in-configmap",
    } <= caught
    assert not [v.message for v in violations if planted in v.message]


@pytest.mark.parametrize("min_replicas,max_replicas", [(2, 10), (2, 8), (2, 6), (2, 3), (3, 3), (1, 40)])
def test_scale_up_timing_agrees_with_the_foundation(min_replicas: int, max_replicas: int) -> None:
    expected = foundation_seconds(
        min_replicas=min_replicas,
        max_replicas=max_replicas,
        stabilization_window_seconds=0,
        percent=100,
        pods=4,
        period_seconds=15,
    )
    assert seconds_to_reach_max(min_replicas, max_replicas, scale_up()) == expected


def test_scale_up_timing_select_policies() -> None:
    slow = scale_up(percent=10, pods=1, period=60, select="Min")
    assert seconds_to_reach_max(2, 4, slow) == 15 + 2 * 60
    assert seconds_to_reach_max(2, 4, scale_up(select="Disabled")) is None
    assert seconds_to_reach_max(2, 6, {}) == 15 + 15  # the Kubernetes default: +4 pods beat +100 % from 2


def test_real_hpas_reach_max_within_a_minute(synthesis: Synthesis) -> None:
    hpas = [r for r in synthesis.resources if r.type.endswith("HorizontalPodAutoscaler")]
    assert hpas
    for hpa in hpas:
        spec = hpa.inputs["spec"]
        seconds = seconds_to_reach_max(
            int(spec["minReplicas"]), int(spec["maxReplicas"]), spec["behavior"]["scaleUp"]
        )
        assert seconds is not None and seconds <= 60, hpa.name


def test_declared_resource_is_enough_for_the_runner() -> None:
    item = DeclaredResource(
        urn="urn:x",
        type="kubernetes:core/v1:Pod",
        name="p",
        parent=None,
        custom=True,
        inputs={"kind": "Pod", "metadata": {"name": "p", "namespace": "technovastore"}, "spec": {}},
    )
    assert [v.policy for v in run_policies([item], {}, policies=[POLICIES["k8s-no-bare-pods"]])] == [
        "k8s-no-bare-pods"
    ]
