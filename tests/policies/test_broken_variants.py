"""Broken variants of the real production program: each is caught by the expected policy, with a
message that says what to change."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import pytest

from policies.offline import load_pack_config, run_policies
from preview.synth import DeclaredResource
from tests.policies import platform_builders as pb
from tests.policies.builders import edited, kube, service
from tests.support.stacks import synthesize_stack

Resources = list[DeclaredResource]
_PRODUCTION: list[DeclaredResource] = []


def production() -> Resources:
    if not _PRODUCTION:
        _PRODUCTION.extend(synthesize_stack("production").resources)
    return list(_PRODUCTION)


def edit(name: str, change: Callable[[dict[str, Any]], Any]) -> Callable[[Resources], Resources]:
    """Change the inputs of the real resource called ``name``."""

    def apply(resources: Resources) -> Resources:
        assert any(r.name == name for r in resources), name
        result = []
        for r in resources:
            if r.name == name:
                inputs = copy.deepcopy(r.inputs)
                change(inputs)
                r = replace(r, inputs=inputs)
            result.append(r)
        return result

    return apply


def add(*extra: DeclaredResource) -> Callable[[Resources], Resources]:
    return lambda resources: [*resources, *extra]


def drop(name: str) -> Callable[[Resources], Resources]:
    return lambda resources: [r for r in resources if r.name != name]


def container(inputs: dict[str, Any]) -> dict[str, Any]:
    return inputs["spec"]["template"]["spec"]["containers"][0]


def is_waf(resource: DeclaredResource) -> bool:
    return resource.inputs.get("phase") == "http_request_firewall_custom"


def without_waf(resources: Resources) -> Resources:
    """The program's Cloudflare edge (or a complete one, while it has none) minus every WAF ruleset."""
    edge = [] if any(r.type.startswith("cloudflare:") for r in resources) else pb.cloudflare_edge()
    return [r for r in [*resources, *edge] if not is_waf(r)]


def strip_auth(inputs: dict[str, Any]) -> None:
    """A Redis pod with neither the Secret volume nor a secretKeyRef."""
    pod = inputs["spec"]["template"]["spec"]
    pod["volumes"] = [v for v in pod["volumes"] if "secret" not in v]
    container(inputs)["volumeMounts"] = [m for m in container(inputs)["volumeMounts"] if m["name"] != "auth"]


def manage_replicas(resources: Resources) -> Resources:
    return edit("order-service-deployment", lambda i: i["spec"].update(replicas=3))(resources)


@dataclass(frozen=True)
class Variant:
    id: str
    breaks: Callable[[Resources], Resources]
    policy: str
    says: str


GW = "api-gateway-deployment"
# Extra data stores added next to whatever the program declares, under names of their own.
CACHE, SESSIONS = "variant-cache", "variant-sessions"
VARIANTS = [
    Variant(
        "privileged",
        edit(GW, lambda i: container(i)["securityContext"].update(privileged=True)),
        "k8s-no-privileged-containers",
        "set securityContext.privileged to false",
    ),
    Variant(
        "latest-tag",
        edit(GW, lambda i: container(i).update(image="ghcr.io/technovastore/api-gateway:latest")),
        "k8s-image-pinned",
        "pin a version tag or digest",
    ),
    Variant(
        "registry-port-no-tag",
        edit(GW, lambda i: container(i).update(image="host:5000/img")),
        "k8s-image-pinned",
        "has no tag or digest",
    ),
    Variant(
        "literal-password",
        edit(GW, lambda i: container(i)["env"].append({"name": "REDIS_PASSWORD", "value": "x"})),
        "k8s-no-literal-secrets-in-env",
        "valueFrom.secretKeyRef",
    ),
    Variant(
        "password-on-command-line",
        edit(GW, lambda i: container(i).update(args=["--requirepass", "hunter2"])),
        "k8s-no-secrets-in-args",
        "read it from an env var",
    ),
    Variant(
        "runs-as-root",
        edit(GW, lambda i: container(i)["securityContext"].update(runAsUser=0)),
        "k8s-run-as-non-root",
        "set it to an ID of at least 10000",
    ),
    Variant(
        "writable-root",
        edit(GW, lambda i: container(i)["securityContext"].update(readOnlyRootFilesystem=False)),
        "k8s-read-only-root-filesystem",
        "readOnlyRootFilesystem",
    ),
    Variant(
        "host-network",
        edit(GW, lambda i: i["spec"]["template"]["spec"].update(hostNetwork=True)),
        "k8s-no-host-namespaces",
        "remove hostNetwork",
    ),
    Variant(
        "no-limits",
        edit(GW, lambda i: container(i)["resources"].pop("limits")),
        "k8s-resource-requests-and-limits",
        "set CPU and memory requests and limits",
    ),
    Variant(
        "token-mounted",
        edit(GW, lambda i: i["spec"]["template"]["spec"].pop("automountServiceAccountToken")),
        "k8s-no-service-account-token",
        "automountServiceAccountToken: false",
    ),
    Variant(
        "no-readiness",
        edit(GW, lambda i: container(i).pop("readinessProbe")),
        "k8s-readiness-and-liveness-probes",
        "has no readinessProbe",
    ),
    Variant(
        "no-spread",
        edit(GW, lambda i: i["spec"]["template"]["spec"].pop("topologySpreadConstraints")),
        "k8s-topology-spread",
        "topologySpreadConstraint",
    ),
    Variant(
        "default-namespace",
        edit(GW, lambda i: i["metadata"].update(namespace="default")),
        "k8s-no-default-namespace",
        "set metadata.namespace",
    ),
    Variant(
        "hpa-min-above-max",
        edit("frontend-hpa", lambda i: i["spec"].update(minReplicas=8, maxReplicas=6)),
        "k8s-hpa-max-above-min",
        "raise maxReplicas or lower minReplicas",
    ),
    Variant(
        "hpa-min-one",
        edit("frontend-hpa", lambda i: i["spec"].update(minReplicas=1)),
        "k8s-hpa-min-replicas",
        "set it to at least 2",
    ),
    Variant(
        "hpa-cpu-99",
        edit(
            "frontend-hpa",
            lambda i: i["spec"]["metrics"][0]["resource"]["target"].update(averageUtilization=99),
        ),
        "k8s-hpa-resource-targets",
        "pick a target in that range",
    ),
    Variant(
        "hpa-slow",
        edit(
            "api-gateway-hpa",
            lambda i: i["spec"]["behavior"]["scaleUp"].update(stabilizationWindowSeconds=180),
        ),
        "k8s-hpa-scale-up-speed",
        "shorten the scale-up stabilization window",
    ),
    Variant(
        "hpa-wrong-target",
        edit("api-gateway-hpa", lambda i: i["spec"]["scaleTargetRef"].update(name="api-gw")),
        "k8s-hpa-target-exists",
        "point it at a workload this stack declares",
    ),
    Variant("managed-replicas", manage_replicas, "k8s-hpa-target-unmanaged-replicas", "remove spec.replicas"),
    Variant(
        "pdb-no-disruption",
        edit("order-service-pdb", lambda i: i["spec"].update(minAvailable=2)),
        "k8s-pdb-covers-replicated-workloads",
        "maxUnavailable: 1",
    ),
    Variant(
        "pdb-zero-unavailable",
        edit(
            "order-service-pdb", lambda i: (i["spec"].pop("minAvailable"), i["spec"].update(maxUnavailable=0))
        ),
        "k8s-pdb-allows-disruption",
        "allow at least 1",
    ),
    Variant(
        "pdb-missing",
        drop("order-service-pdb"),
        "k8s-pdb-covers-replicated-workloads",
        "add one whose selector",
    ),
    Variant(
        "service-selector-typo",
        edit(
            "product-service-service",
            lambda i: i["spec"]["selector"].update({"app.kubernetes.io/name": "product-svc"}),
        ),
        "k8s-service-selects-pods",
        "fix the selector",
    ),
    Variant("no-default-deny", drop("namespace-default-deny-all"), "k8s-namespace-default-deny", "add one"),
    Variant(
        "backend-uncovered",
        drop("namespace-allow-ingress-to-backend"),
        "k8s-workload-network-policy",
        "add one that says who may call it",
    ),
    Variant(
        "node-port",
        edit("frontend-service", lambda i: i["spec"].update(type="NodePort")),
        "k8s-no-node-port-services",
        "use ClusterIP",
    ),
    Variant(
        "backend-load-balancer",
        edit("order-service-service", lambda i: i["spec"].update(type="LoadBalancer")),
        "k8s-load-balancer-public-tier-only",
        "use type ClusterIP",
    ),
    Variant(
        "redis-load-balancer",
        add(service("redis", type_="LoadBalancer", port=6379, target_port=6379)),
        "redis-no-external-service",
        "make it a ClusterIP",
    ),
    Variant(
        "redis-no-auth",
        add(edited(pb.redis_statefulset(CACHE, configmap=CACHE), strip_auth)),
        "redis-auth-from-secret",
        "mount the auth Secret",
    ),
    Variant(
        "redis-password-in-configmap",
        add(*pb.redis_cluster(name=CACHE, conf=pb.REDIS_CONF + "requirepass s3cret\n")),
        "redis-no-password-in-configmap",
        "put it in a file from a Secret",
    ),
    Variant(
        "redis-persistence-off",
        add(
            *pb.redis_cluster(
                name=CACHE,
                conf=pb.REDIS_CONF.replace("appendonly yes", "appendonly no").replace(
                    "save 900 1", "save ''"
                ),
            )
        ),
        "redis-persistence",
        "set `appendonly yes`",
    ),
    Variant(
        "redis-two-masters",
        add(*pb.redis_cluster(name=CACHE, replicas=4)),
        "redis-cluster-topology",
        "need at least 3 masters",
    ),
    Variant(
        "sentinel-quorum-1",
        add(*pb.sentinel_group(name=SESSIONS, conf=pb.SENTINEL_CONF.replace("6379 2", "6379 1"))),
        "redis-sentinel-quorum",
        "set it to 2",
    ),
    Variant(
        "redis-open-network",
        add(*[r for r in pb.redis_cluster(name=CACHE) if r.inputs["kind"] != "NetworkPolicy"]),
        "redis-network-policy",
        "allow 6379 only from",
    ),
    Variant(
        "cdn-server-tokens",
        add(pb.cdn_config(pb.NGINX_CONF.replace("server_tokens off;", ""))),
        "cdn-server-tokens-off",
        "server_tokens off",
    ),
    Variant(
        "cdn-503-on-limit",
        add(pb.cdn_config(pb.NGINX_CONF.replace("limit_req_status 429;", ""))),
        "cdn-rate-limit-429",
        "limit_req_status 429",
    ),
    Variant(
        "ssl-flexible",
        add(*pb.cloudflare_edge({**pb.ZONE_SETTINGS, "ssl": "flexible"})),
        "cloudflare-ssl-strict",
        "set it to 'strict'",
    ),
    Variant(
        "tls-1-0",
        add(*pb.cloudflare_edge({**pb.ZONE_SETTINGS, "min_tls_version": "1.0"})),
        "cloudflare-min-tls-1-2",
        "'1.2' or higher",
    ),
    Variant(
        "dns-private",
        add(*pb.cloudflare_edge(), pb.dns_record("api.technovastore.com", "10.0.0.5")),
        "cloudflare-dns-public-target",
        "point it at the CDN tier's public address",
    ),
    Variant(
        "dns-unproxied",
        add(*pb.cloudflare_edge(), pb.dns_record("static.technovastore.com", proxied=False)),
        "cloudflare-dns-proxied",
        "set proxied: true",
    ),
    Variant(
        "no-waf",
        without_waf,
        "cloudflare-rate-limit-and-waf",
        "add one",
    ),
    Variant(
        "bare-pod",
        add(kube("Pod", "debug", {"containers": []})),
        "k8s-no-bare-pods",
        "run it from a Deployment",
    ),
]


def test_there_are_at_least_20_variants() -> None:
    assert len(VARIANTS) >= 20
    assert len({v.id for v in VARIANTS}) == len(VARIANTS)


@pytest.mark.parametrize("variant", VARIANTS, ids=[v.id for v in VARIANTS])
def test_variant_is_caught(variant: Variant) -> None:
    config = load_pack_config("production")
    baseline = {v.policy for v in run_policies(production(), config)}
    assert variant.policy not in baseline
    violations = [v for v in run_policies(variant.breaks(production()), config) if v.policy == variant.policy]
    assert violations, f"{variant.id}: {variant.policy} did not fire"
    assert any(variant.says in v.message for v in violations), [v.message for v in violations]
    assert all(v.mandatory for v in violations), "production blocks every one of these"
