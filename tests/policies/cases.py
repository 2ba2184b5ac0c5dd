"""For every policy: resources that comply and resources that violate it (the meta-test
fails when a policy lacks either)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from components.kubernetes.conventions import TIER_LABEL
from preview.synth import DeclaredResource
from tests.policies import platform_builders as pb
from tests.policies.builders import (
    allow_tier,
    app_stack,
    configmap,
    container,
    default_deny,
    deployment,
    edited,
    first_container,
    hpa,
    kube,
    network_policy,
    pdb,
    pod_labels,
    pod_spec,
    resource,
    scale_up,
    service,
)


@dataclass(frozen=True)
class Case:
    policy: str
    violates: bool
    resources: list[DeclaredResource]
    id: str
    config: dict[str, Any] = field(default_factory=dict)


CASES: list[Case] = []


def ok(policy: str, id_: str, resources: list[DeclaredResource], **config: Any) -> None:
    CASES.append(Case(policy, False, resources, f"{policy}:ok:{id_}", config))


def bad(policy: str, id_: str, resources: list[DeclaredResource], **config: Any) -> None:
    CASES.append(Case(policy, True, resources, f"{policy}:bad:{id_}", config))


def dep(edit: Callable[[dict[str, Any]], Any]) -> list[DeclaredResource]:
    return [edited(deployment(), edit)]


def on_container(edit: Callable[[dict[str, Any]], Any]) -> list[DeclaredResource]:
    return dep(lambda inputs: edit(first_container(inputs)))


def on_pod(edit: Callable[[dict[str, Any]], Any]) -> list[DeclaredResource]:
    return dep(lambda inputs: edit(inputs["spec"]["template"]["spec"]))


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], Any]:
    def edit(target: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        for key in parents:
            target = target.setdefault(key, {})
        if value is None:
            target.pop(last, None)
        else:
            target[last] = value

    return edit


GOOD = [deployment()]

# --- pods -------------------------------------------------------------------------------
ok("k8s-no-privileged-containers", "hardened", GOOD)
bad("k8s-no-privileged-containers", "privileged", on_container(_set("securityContext.privileged", True)))
ok("k8s-no-privilege-escalation", "hardened", GOOD)
bad(
    "k8s-no-privilege-escalation",
    "unset",
    on_container(_set("securityContext.allowPrivilegeEscalation", None)),
)
ok("k8s-run-as-non-root", "pod-level", on_container(_set("securityContext.runAsNonRoot", None)))
bad("k8s-run-as-non-root", "uid-0", on_container(_set("securityContext.runAsUser", 0)))
bad(
    "k8s-run-as-non-root",
    "unset",
    on_pod(
        lambda p: (
            p["securityContext"].pop("runAsNonRoot"),
            p["containers"][0]["securityContext"].pop("runAsNonRoot"),
        )
    ),
)
ok("k8s-read-only-root-filesystem", "hardened", GOOD)
bad(
    "k8s-read-only-root-filesystem",
    "writable",
    on_container(_set("securityContext.readOnlyRootFilesystem", False)),
)
ok("k8s-drop-all-capabilities", "hardened", GOOD)
ok(
    "k8s-drop-all-capabilities",
    "net-bind",
    on_container(_set("securityContext.capabilities.add", ["NET_BIND_SERVICE"])),
)
bad(
    "k8s-drop-all-capabilities",
    "keeps",
    on_container(_set("securityContext.capabilities", {"drop": ["NET_RAW"]})),
)
bad(
    "k8s-drop-all-capabilities", "adds", on_container(_set("securityContext.capabilities.add", ["SYS_ADMIN"]))
)
ok("k8s-seccomp-runtime-default", "pod-level", on_container(_set("securityContext.seccompProfile", None)))
bad(
    "k8s-seccomp-runtime-default",
    "unconfined",
    on_container(_set("securityContext.seccompProfile", {"type": "Unconfined"})),
)
bad(
    "k8s-seccomp-runtime-default",
    "unset",
    on_pod(
        lambda p: (
            p["securityContext"].pop("seccompProfile"),
            p["containers"][0]["securityContext"].pop("seccompProfile"),
        )
    ),
)
ok("k8s-no-host-namespaces", "hardened", GOOD)
bad("k8s-no-host-namespaces", "host-network", on_pod(_set("hostNetwork", True)))
bad("k8s-no-host-namespaces", "host-pid", on_pod(_set("hostPID", True)))
ok("k8s-no-host-ports-or-paths", "hardened", GOOD)
bad("k8s-no-host-ports-or-paths", "host-port", on_container(lambda c: c["ports"][0].update(hostPort=8080)))
bad(
    "k8s-no-host-ports-or-paths",
    "host-path",
    on_pod(_set("volumes", [{"name": "docker", "hostPath": {"path": "/var/run"}}])),
)
ok("k8s-no-service-account-token", "off", GOOD)
bad("k8s-no-service-account-token", "default", on_pod(_set("automountServiceAccountToken", None)))
ok("k8s-resource-requests-and-limits", "set", GOOD)
bad("k8s-resource-requests-and-limits", "no-limits", on_container(_set("resources.limits", None)))
bad(
    "k8s-resource-requests-and-limits",
    "init-unbounded",
    on_pod(_set("initContainers", [{"name": "migrate", "image": "ghcr.io/technovastore/web:1.0.0"}])),
)
ok("k8s-readiness-and-liveness-probes", "both", GOOD)
ok(
    "k8s-readiness-and-liveness-probes",
    "job",
    [
        kube(
            "Job",
            "migrate",
            {
                "template": {
                    "spec": pod_spec({**container("migrate"), "readinessProbe": None, "livenessProbe": None})
                }
            },
        )
    ],
)
bad("k8s-readiness-and-liveness-probes", "no-liveness", on_container(_set("livenessProbe", None)))
ok("k8s-liveness-differs-from-readiness", "different-paths", GOOD)
bad(
    "k8s-liveness-differs-from-readiness",
    "same",
    on_container(lambda c: c.update(livenessProbe=c["readinessProbe"])),
)
ok("k8s-topology-spread", "spread", GOOD)
ok(
    "k8s-topology-spread",
    "single-replica",
    dep(
        lambda i: (
            i["spec"].update(replicas=1),
            i["spec"]["template"]["spec"].pop("topologySpreadConstraints"),
        )
    ),
)
bad("k8s-topology-spread", "none", on_pod(_set("topologySpreadConstraints", None)))
ok("k8s-selector-matches-template", "matches", GOOD)
bad(
    "k8s-selector-matches-template", "mismatch", dep(_set("spec.selector", {"matchLabels": {"app": "other"}}))
)
ok("k8s-no-bare-pods", "deployment", GOOD)
bad("k8s-no-bare-pods", "pod", [kube("Pod", "debug", pod_spec())])
ok("k8s-no-default-namespace", "namespaced", GOOD)
ok(
    "k8s-no-default-namespace",
    "cluster-scoped",
    [kube("Deployment", "x", {}, edit=lambda i: i.update(kind="Namespace"))],
)
bad("k8s-no-default-namespace", "default", dep(_set("metadata.namespace", "default")))
bad("k8s-no-default-namespace", "missing", dep(_set("metadata.namespace", None)))
ok("k8s-recommended-labels", "labels", GOOD)
bad("k8s-recommended-labels", "bare", dep(_set("metadata.labels", {"app": "web"})))

# --- images -----------------------------------------------------------------------------
ok("k8s-image-pinned", "tag", GOOD)
ok("k8s-image-pinned", "registry-port-and-tag", on_container(_set("image", "registry.local:5000/web:1.2.3")))
ok("k8s-image-pinned", "digest", on_container(_set("image", "redis@sha256:" + "a" * 64)))
bad("k8s-image-pinned", "latest", on_container(_set("image", "ghcr.io/technovastore/web:latest")))
bad("k8s-image-pinned", "registry-port-no-tag", on_container(_set("image", "host:5000/img")))
bad("k8s-image-pinned", "no-image", on_container(_set("image", None)))
ok("k8s-image-trusted-registry", "ghcr", GOOD)
ok("k8s-image-trusted-registry", "docker-hub-library", on_container(_set("image", "redis:7.2.5")))
bad("k8s-image-trusted-registry", "elsewhere", on_container(_set("image", "quay.io/someone/web:1.0")))
bad("k8s-image-trusted-registry", "configured", GOOD, registries=["registry.internal"])

# --- secrets ----------------------------------------------------------------------------
ok(
    "k8s-no-literal-secrets-in-env",
    "secret-ref",
    on_container(
        lambda c: c["env"].append(
            {
                "name": "REDIS_PASSWORD",
                "valueFrom": {"secretKeyRef": {"name": "redis-auth", "key": "password"}},
            }
        )
    ),
)
ok(
    "k8s-no-literal-secrets-in-env",
    "file-path",
    on_container(
        lambda c: c["env"].append({"name": "REDIS_PASSWORD_FILE", "value": "/etc/redis/secrets/password"})
    ),
)
bad(
    "k8s-no-literal-secrets-in-env",
    "literal",
    on_container(lambda c: c["env"].append({"name": "REDIS_PASSWORD", "value": "hunter2"})),
)
bad(
    "k8s-no-literal-secrets-in-env",
    "token",
    on_container(lambda c: c["env"].append({"name": "CLOUDFLARE_API_TOKEN", "value": "abc"})),
)
ok(
    "k8s-no-secrets-in-args",
    "env-reference",
    on_container(_set("args", ["redis-cli", "-a", "$REDIS_PASSWORD", "ping"])),
)
bad(
    "k8s-no-secrets-in-args",
    "requirepass",
    on_container(_set("args", ["redis-server", "--requirepass", "hunter2"])),
)
bad(
    "k8s-no-secrets-in-args",
    "redis-cli",
    on_container(_set("command", ["sh", "-c", "redis-cli -a s3cret ping"])),
)
ok(
    "k8s-no-secrets-in-configmap",
    "plain-config",
    [configmap("app", {"app.yaml": "logLevel: info\npasswordFile: /run/x\n"})],
)
ok(
    "k8s-no-secrets-in-configmap",
    "placeholder",
    [configmap("app", {"app.ini": "password = ${DB_PASSWORD}\n"})],
)
bad("k8s-no-secrets-in-configmap", "key", [configmap("app", {"DB_PASSWORD": "x"})])
bad("k8s-no-secrets-in-configmap", "assignment", [configmap("app", {"app.ini": "db_password = hunter2\n"})])
bad(
    "k8s-no-secrets-in-configmap",
    "pem",
    [configmap("tls", {"tls.key": "-----BEGIN RSA PRIVATE KEY-----\nMII\n"})],
)

# --- scaling ----------------------------------------------------------------------------
ok("k8s-hpa-min-replicas", "two", [hpa()])
ok("k8s-hpa-min-replicas", "staging-allows-one", [hpa(min_replicas=1)], minimum=1)
bad("k8s-hpa-min-replicas", "one", [hpa(min_replicas=1)])
ok("k8s-hpa-max-above-min", "room", [hpa()])
bad("k8s-hpa-max-above-min", "min-above-max", [hpa(min_replicas=5, max_replicas=3)])
bad("k8s-hpa-max-above-min", "equal", [hpa(min_replicas=3, max_replicas=3)])
ok("k8s-hpa-resource-targets", "70-80", [hpa()])
bad("k8s-hpa-resource-targets", "cpu-95", [hpa(cpu=95)])
ok("k8s-hpa-resource-targets", "cpu-only", [edited(hpa(), lambda i: i["spec"]["metrics"].pop(1))])
bad("k8s-hpa-resource-targets", "no-cpu", [edited(hpa(), lambda i: i["spec"]["metrics"].pop(0))])
bad(
    "k8s-hpa-resource-targets",
    "memory-required",
    [edited(hpa(), lambda i: i["spec"]["metrics"].pop(1))],
    required=["cpu", "memory"],
)
bad("k8s-hpa-resource-targets", "memory-20", [hpa(memory=20)])
ok("k8s-hpa-scale-up-speed", "fast", [hpa(max_replicas=10)])
bad(
    "k8s-hpa-scale-up-speed",
    "slow-steps",
    [hpa(max_replicas=10, behavior={"scaleUp": scale_up(percent=10, pods=1, period=60)})],
)
bad("k8s-hpa-scale-up-speed", "long-window", [hpa(behavior={"scaleUp": scale_up(window=120)})])
bad("k8s-hpa-scale-up-speed", "disabled", [hpa(behavior={"scaleUp": {"selectPolicy": "Disabled"}})])
ok("k8s-pdb-allows-disruption", "max-unavailable", [pdb()])
bad("k8s-pdb-allows-disruption", "zero", [pdb(budget={"maxUnavailable": 0})])
bad("k8s-pdb-allows-disruption", "all", [pdb(budget={"minAvailable": "100%"})])

# --- networking ---------------------------------------------------------------------------
ok("k8s-no-node-port-services", "cluster-ip", [service()])
bad("k8s-no-node-port-services", "node-port", [service(type_="NodePort")])
ok("k8s-network-policy-scoped-rules", "tier-callers", [allow_tier(), default_deny()])
ok(
    "k8s-network-policy-scoped-rules",
    "public-cdn",
    [
        network_policy(
            "cdn",
            {
                "podSelector": {"matchLabels": {TIER_LABEL: "cdn"}},
                "policyTypes": ["Ingress"],
                "ingress": [{"ports": [{"port": 8080}]}],
            },
        )
    ],
)
bad(
    "k8s-network-policy-scoped-rules",
    "any-backend",
    [
        network_policy(
            "open",
            {
                "podSelector": {"matchLabels": {TIER_LABEL: "backend"}},
                "policyTypes": ["Ingress"],
                "ingress": [{"ports": [{"port": 8080}]}],
            },
        )
    ],
)
bad(
    "k8s-network-policy-scoped-rules",
    "allow-all",
    [
        network_policy(
            "open", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"], "ingress": [{}], "egress": [{}]}
        )
    ],
)
ok("k8s-namespace-default-deny", "present", app_stack())
bad("k8s-namespace-default-deny", "absent", [deployment(), allow_tier()])
ok("k8s-workload-network-policy", "tier-policy", app_stack())
bad("k8s-workload-network-policy", "only-default-deny", [deployment(), default_deny()])
ok(
    "k8s-load-balancer-public-tier-only",
    "cdn",
    [deployment("cdn", tier="cdn"), service("cdn", type_="LoadBalancer")],
)
bad("k8s-load-balancer-public-tier-only", "backend", [deployment(), service(type_="LoadBalancer")])

# --- stack: HPA, PDB, Service ------------------------------------------------------------
ok("k8s-hpa-target-exists", "declared", app_stack())
bad("k8s-hpa-target-exists", "missing", [hpa(target="ghost")])
ok("k8s-hpa-target-unmanaged-replicas", "omitted", app_stack())
ok(
    "k8s-hpa-target-unmanaged-replicas",
    "ignored",
    [
        DeclaredResource(
            **{
                **edited(deployment(), _set("spec.replicas", 2)).__dict__,
                "ignore_changes": ("spec.replicas",),
            }
        ),
        hpa(),
    ],
)
bad("k8s-hpa-target-unmanaged-replicas", "managed", [edited(deployment(), _set("spec.replicas", 2)), hpa()])
ok("k8s-pdb-covers-replicated-workloads", "budget", app_stack())
ok(
    "k8s-pdb-covers-replicated-workloads",
    "min-available-below",
    [deployment(), hpa(min_replicas=3), pdb(budget={"minAvailable": 2})],
)
bad("k8s-pdb-covers-replicated-workloads", "no-pdb", [deployment(), hpa()])
bad(
    "k8s-pdb-covers-replicated-workloads",
    "selector-mismatch",
    [deployment(), hpa(), pdb(selector={"app": "x"})],
)
bad(
    "k8s-pdb-covers-replicated-workloads",
    "min-equals-hpa-min",
    [deployment(), hpa(), pdb(budget={"minAvailable": 2})],
)
ok("k8s-service-selects-pods", "selects", app_stack())
ok("k8s-service-selects-pods", "numeric-target-port", [deployment(), service(target_port=8080)])
bad("k8s-service-selects-pods", "no-pods", [service(selector={"app.kubernetes.io/name": "ghost"})])
bad("k8s-service-selects-pods", "unnamed-port", [deployment(), service(target_port="metrics")])

# --- redis ---------------------------------------------------------------------------------
CLUSTER = pb.redis_cluster()
ok("redis-auth-from-secret", "secret-volume", CLUSTER)
ok(
    "redis-auth-from-secret",
    "secret-env",
    [
        edited(
            deployment(),
            lambda i: first_container(i).update(
                image="oliver006/redis_exporter:v1.62.0",
                env=[
                    {
                        "name": "REDIS_PASSWORD",
                        "valueFrom": {"secretKeyRef": {"name": "redis-auth", "key": "metrics"}},
                    }
                ],
            ),
        )
    ],
)
bad(
    "redis-auth-from-secret",
    "no-auth",
    [
        edited(
            pb.redis_statefulset(),
            lambda i: (
                i["spec"]["template"]["spec"].update(volumes=[i["spec"]["template"]["spec"]["volumes"][0]]),
                first_container(i).update(volumeMounts=[first_container(i)["volumeMounts"][0]]),
            ),
        )
    ],
)
ok("redis-no-external-service", "headless", CLUSTER)
bad(
    "redis-no-external-service",
    "load-balancer",
    [service("redis", type_="LoadBalancer", port=6379, target_port=6379)],
)
bad(
    "redis-no-external-service",
    "node-port-sentinel",
    [service("sentinel", type_="NodePort", port=26379, target_port=26379)],
)
ok("redis-no-password-in-configmap", "include", CLUSTER)
bad(
    "redis-no-password-in-configmap",
    "requirepass",
    pb.redis_cluster(conf=pb.REDIS_CONF + "requirepass hunter2\n"),
)
bad(
    "redis-no-password-in-configmap",
    "acl",
    pb.redis_cluster(conf=pb.REDIS_CONF + "user app on >hunter2 ~* +@all\n"),
)
bad(
    "redis-no-password-in-configmap",
    "sentinel",
    pb.sentinel_group(conf=pb.SENTINEL_CONF + "sentinel auth-pass sessions x\n"),
)
ok("redis-persistence", "aof", CLUSTER)
ok("redis-persistence", "sentinel-needs-no-disk", pb.sentinel_group())
bad(
    "redis-persistence",
    "off",
    pb.redis_cluster(
        conf=pb.REDIS_CONF.replace("appendonly yes", "appendonly no").replace("save 900 1", 'save ""')
    ),
)
bad("redis-persistence", "no-pvc", [edited(pb.redis_statefulset(), _set("spec.volumeClaimTemplates", None))])
ok("redis-network-policy", "clients-only", CLUSTER)
bad("redis-network-policy", "none", [c for c in CLUSTER if c.inputs["kind"] != "NetworkPolicy"])
bad(
    "redis-network-policy",
    "any-source",
    [*CLUSTER[:-1], edited(CLUSTER[-1], lambda i: i["spec"]["ingress"].append({"ports": [{"port": 6379}]}))],
)
ok("redis-cluster-topology", "3x1", CLUSTER)
bad("redis-cluster-topology", "two-masters", pb.redis_cluster(replicas=4))
bad(
    "redis-cluster-topology",
    "no-replicas",
    pb.redis_cluster(bootstrap=pb.BOOTSTRAP.replace("REPLICAS=1", "REPLICAS=0")),
)
bad(
    "redis-cluster-topology",
    "unknown",
    pb.redis_cluster(bootstrap="#!/bin/sh\nredis-cli --cluster create $NODES\n"),
)
ok("redis-sentinel-quorum", "2-of-3", pb.sentinel_group())
bad("redis-sentinel-quorum", "1-of-3", pb.sentinel_group(conf=pb.SENTINEL_CONF.replace("6379 2", "6379 1")))
bad("redis-sentinel-quorum", "4-of-3", pb.sentinel_group(conf=pb.SENTINEL_CONF.replace("6379 2", "6379 4")))
bad("redis-sentinel-quorum", "2-of-4", pb.sentinel_group(sentinels=4))

# --- cdn -------------------------------------------------------------------------------------
CDN = [pb.cdn_config()]
ok("cdn-server-tokens-off", "off", CDN)
bad("cdn-server-tokens-off", "missing", [pb.cdn_config(pb.NGINX_CONF.replace("server_tokens off;", ""))])
ok("cdn-security-headers", "every-block", CDN)
bad("cdn-security-headers", "none", [pb.cdn_config(headers="")])
bad(
    "cdn-security-headers",
    "dropped-in-location",
    [pb.cdn_config(pb.NGINX_CONF.replace("      include security_headers.conf;\n", ""))],
)
bad(
    "cdn-security-headers",
    "not-always",
    [pb.cdn_config(headers=pb.SECURITY_HEADERS.replace('"DENY" always', '"DENY"'))],
)
ok("cdn-rate-limit-429", "429", CDN)
bad("cdn-rate-limit-429", "503", [pb.cdn_config(pb.NGINX_CONF.replace("limit_req_status 429;", ""))])
bad(
    "cdn-rate-limit-429",
    "no-limit",
    [pb.cdn_config(pb.NGINX_CONF.replace("limit_req zone=per_ip burst=100 nodelay;", ""))],
)
ok("cdn-cache-lock", "on", CDN)
bad("cdn-cache-lock", "off", [pb.cdn_config(pb.NGINX_CONF.replace("proxy_cache_lock on;", ""))])
ok("cdn-serve-stale", "stale", CDN)
bad(
    "cdn-serve-stale",
    "errors-only",
    [
        pb.cdn_config(
            pb.NGINX_CONF.replace(
                "proxy_cache_use_stale error timeout updating http_500 http_502 http_503 http_504;",
                "proxy_cache_use_stale error;",
            )
        )
    ],
)

# --- cloudflare ----------------------------------------------------------------------------------
EDGE = pb.cloudflare_edge()
ok("cloudflare-ssl-strict", "strict", EDGE)
bad("cloudflare-ssl-strict", "flexible", [pb.zone_setting("ssl", "flexible")])
ok("cloudflare-min-tls-1-2", "1.2", EDGE)
bad("cloudflare-min-tls-1-2", "1.0", [pb.zone_setting("min_tls_version", "1.0")])
ok("cloudflare-tls-1-3", "on", EDGE)
bad("cloudflare-tls-1-3", "off", [pb.zone_setting("tls_1_3", "off")])
ok("cloudflare-always-https", "on", EDGE)
bad("cloudflare-always-https", "off", [pb.zone_setting("always_use_https", "off")])
ok("cloudflare-hsts", "snake-case", EDGE)
bad(
    "cloudflare-hsts",
    "camel-case",
    [
        pb.zone_setting(
            "security_header",
            {"strictTransportSecurity": {"enabled": True, "maxAge": 31536000, "includeSubdomains": True}},
        )
    ],
)
bad(
    "cloudflare-hsts",
    "camel-case-inside",
    [
        pb.zone_setting(
            "security_header", {"strict_transport_security": {"enabled": True, "maxAge": 31536000}}
        )
    ],
)
bad(
    "cloudflare-hsts",
    "disabled",
    [pb.zone_setting("security_header", {"strict_transport_security": {"enabled": False}})],
)
bad(
    "cloudflare-hsts",
    "short",
    [pb.zone_setting("security_header", {"strict_transport_security": {"enabled": True, "max_age": 3600}})],
)
ok("cloudflare-dns-proxied", "proxied", EDGE)
bad("cloudflare-dns-proxied", "dns-only", [pb.dns_record(proxied=False)])
ok("cloudflare-dns-public-target", "public", EDGE)
ok("cloudflare-dns-public-target", "cname", [pb.dns_record(type_="CNAME", content="cdn.technovastore.com")])
bad("cloudflare-dns-public-target", "rfc1918", [pb.dns_record(content="10.0.0.5")])
bad("cloudflare-dns-public-target", "loopback-v6", [pb.dns_record(type_="AAAA", content="::1")])
bad(
    "cloudflare-dns-public-target",
    "cluster-name",
    [pb.dns_record(type_="CNAME", content="cdn.technovastore.svc.cluster.local")],
)
ok("cloudflare-rate-limit-rules", "per-ip-colo", EDGE)
bad(
    "cloudflare-rate-limit-rules",
    "global-count",
    [
        pb.ruleset(
            "http_ratelimit",
            [
                pb.rate_limit_rule(
                    ratelimit={"characteristics": ["cf.colo.id"], "period": 60, "requestsPerPeriod": 100}
                )
            ],
        )
    ],
)
bad(
    "cloudflare-rate-limit-rules",
    "log-only",
    [pb.ruleset("http_ratelimit", [pb.rate_limit_rule(action="log")])],
)
ok("cloudflare-zone-baseline", "complete", EDGE)
ok("cloudflare-zone-baseline", "no-cloudflare", app_stack())
ok(
    "cloudflare-zone-baseline",
    "hsts-from-cdn",
    [
        *pb.cloudflare_edge({k: v for k, v in pb.ZONE_SETTINGS.items() if k != "security_header"}),
        pb.cdn_config(),
    ],
)
bad(
    "cloudflare-zone-baseline",
    "no-ssl",
    pb.cloudflare_edge({k: v for k, v in pb.ZONE_SETTINGS.items() if k != "ssl"}),
)
bad(
    "cloudflare-zone-baseline",
    "no-hsts",
    pb.cloudflare_edge({k: v for k, v in pb.ZONE_SETTINGS.items() if k != "security_header"}),
)
ok("cloudflare-zone-protections", "complete", EDGE)
ok("cloudflare-zone-protections", "no-cloudflare", app_stack())
ok(
    "cloudflare-zone-protections",
    "bot-fight-mode",
    [*(r for r in EDGE if "botManagement" not in r.type), pb.bot_management(fightMode=True)],
)
bad(
    "cloudflare-zone-protections",
    "no-dnssec",
    [r for r in EDGE if "zoneDnssec" not in r.type],
)
bad(
    "cloudflare-zone-protections",
    "dnssec-disabled",
    [*(r for r in EDGE if "zoneDnssec" not in r.type), pb.zone_dnssec("disabled")],
)
bad(
    "cloudflare-zone-protections",
    "browser-check-off",
    pb.cloudflare_edge({**pb.ZONE_SETTINGS, "browser_check": "off"}),
)
bad(
    "cloudflare-zone-protections",
    "under-attack-for-good",
    pb.cloudflare_edge({**pb.ZONE_SETTINGS, "security_level": "under_attack"}),
)
bad(
    "cloudflare-zone-protections",
    "bots-allowed",
    [*(r for r in EDGE if "botManagement" not in r.type), pb.bot_management(sbfmDefinitelyAutomated="allow")],
)
bad(
    "cloudflare-zone-protections",
    "no-managed-waf",
    [r for r in EDGE if r.inputs.get("phase") != "http_request_firewall_managed"],
)
ok("cloudflare-rate-limit-and-waf", "both", EDGE)
bad(
    "cloudflare-rate-limit-and-waf",
    "no-waf",
    [r for r in EDGE if r.inputs.get("phase") != "http_request_firewall_custom"],
)
bad(
    "cloudflare-rate-limit-and-waf",
    "waf-log-only",
    [
        *(r for r in EDGE if r.inputs.get("phase") != "http_request_firewall_custom"),
        pb.ruleset("http_request_firewall_custom", [{**pb.WAF_RULE, "action": "log"}]),
    ],
)
bad(
    "cloudflare-rate-limit-and-waf",
    "rate-limit-disabled",
    [
        *(r for r in EDGE if r.inputs.get("phase") != "http_ratelimit"),
        pb.ruleset("http_ratelimit", [pb.rate_limit_rule(enabled=False)]),
    ],
)

__all__ = ["CASES", "Case", "pod_labels"]


def _with_init(image: str, command: list[str]) -> list[DeclaredResource]:
    init = {"name": "init", "image": image, "command": command}
    return [edited(deployment(), lambda i: i["spec"]["template"]["spec"].update(initContainers=[init]))]


ok(
    "redis-auth-from-secret",
    "init-copies-config",
    _with_init(pb.REDIS_IMAGE, ["cp", "/templates/redis.conf", "/etc/"]),
)
bad(
    "redis-auth-from-secret",
    "init-runs-redis-cli",
    _with_init(pb.REDIS_IMAGE, ["redis-cli", "-h", "redis", "ping"]),
)


def _unlinked_sentinels() -> list[DeclaredResource]:
    """Sentinel pods that get their config some other way than mounting this ConfigMap by name."""
    configmap, workload = pb.sentinel_group()
    return [
        configmap,
        edited(
            workload,
            lambda i: i["spec"]["template"]["spec"]["volumes"][0].update(
                configMap={"name": "rendered-elsewhere"}
            ),
        ),
    ]


ok("redis-sentinel-quorum", "unlinked-config", _unlinked_sentinels())
bad("redis-sentinel-quorum", "no-sentinels", pb.sentinel_group()[:1])

ok(
    "k8s-workload-network-policy",
    "policy-types-defaulted",
    [deployment(), default_deny(), edited(allow_tier(), lambda i: i["spec"].pop("policyTypes"))],
)
bad("k8s-namespace-default-deny", "ingress-only", [deployment(), network_policy("deny", {"podSelector": {}})])
ok(
    "k8s-no-default-namespace",
    "helm-release-has-no-kind",
    [
        resource(
            "kubernetes:helm.sh/v3:Release", "redis-chart", {"chart": "redis", "namespace": "technovastore"}
        )
    ],
)
