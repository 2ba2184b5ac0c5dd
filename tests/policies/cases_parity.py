"""Compliant and violating resources for the rules that close the gap to Polaris and kube-score,
and the neighbours of each finding of the parity review (bare Pods, HPA v1, ServiceAccounts, ...)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from preview.synth import DeclaredResource
from tests.policies.builders import (
    allow_tier,
    default_deny,
    deployment,
    edited,
    hpa,
    kube,
    network_policy,
    pdb,
    service,
)
from tests.policies.cases import Case
from tests.policies.kinds import (
    binding,
    ingress,
    pod_spec_of,
    role,
    rule,
    service_account,
    workload,
)

PARITY_CASES: list[Case] = []
Resources = list[DeclaredResource]


def ok(policy: str, id_: str, resources: Resources, **config: Any) -> None:
    PARITY_CASES.append(Case(policy, False, resources, f"{policy}:ok:{id_}", config))


def bad(policy: str, id_: str, resources: Resources, **config: Any) -> None:
    PARITY_CASES.append(Case(policy, True, resources, f"{policy}:bad:{id_}", config))


def on_pod(kind: str, edit: Callable[[dict[str, Any]], Any]) -> Resources:
    return [workload(kind, edit_pod=edit)]


def on_container(kind: str, edit: Callable[[dict[str, Any]], Any]) -> Resources:
    return on_pod(kind, lambda pod: edit(pod["containers"][0]))


def context(**fields: Any) -> Callable[[dict[str, Any]], Any]:
    return lambda container: container["securityContext"].update(fields)


def env(name: str, value: str) -> Callable[[dict[str, Any]], Any]:
    return lambda container: container["env"].append({"name": name, "value": value})


# --- pod hardening ---------------------------------------------------------------------------
ok("k8s-no-host-process", "linux", on_pod("Pod", lambda p: None))
bad(
    "k8s-no-host-process",
    "pod",
    on_pod("Pod", lambda p: p["securityContext"].update(windowsOptions={"hostProcess": True})),
)
bad(
    "k8s-no-host-process", "container", on_container("CronJob", context(windowsOptions={"hostProcess": True}))
)
ok("k8s-default-proc-mount", "explicit-default", on_container("Job", context(procMount="Default")))
bad("k8s-default-proc-mount", "unmasked", on_container("DaemonSet", context(procMount="Unmasked")))
bad(
    "k8s-run-as-non-root",
    "low-group",
    on_pod("Deployment", lambda p: p["securityContext"].update(runAsGroup=1000)),
)
bad("k8s-run-as-non-root", "bare-pod-root", on_container("Pod", context(runAsUser=0)))
ok(
    "k8s-run-as-non-root",
    "lower-floor",
    on_pod("Pod", lambda p: p["securityContext"].update(runAsUser=1000, runAsGroup=1000)),
    minimumId=1000,
)
bad(
    "k8s-drop-all-capabilities", "lowercase-all", on_container("Pod", context(capabilities={"drop": ["all"]}))
)
bad(
    "k8s-seccomp-runtime-default",
    "annotation-only",
    [
        edited(
            workload(
                "Deployment",
                edit_pod=lambda p: (
                    p["securityContext"].pop("seccompProfile"),
                    p["containers"][0]["securityContext"].pop("seccompProfile"),
                ),
            ),
            lambda i: i["spec"]["template"]["metadata"].update(
                annotations={"seccomp.security.alpha.kubernetes.io/pod": "runtime/default"}
            ),
        )
    ],
)
bad("k8s-no-privilege-escalation", "cronjob", on_container("CronJob", context(allowPrivilegeEscalation=True)))

# --- pods --------------------------------------------------------------------------------------
ok("k8s-env-no-duplicates", "distinct", on_pod("Pod", lambda p: None))
bad("k8s-env-no-duplicates", "twice", on_container("Job", env("PORT", "9090")))
ok("k8s-container-ports-valid", "named", on_pod("Deployment", lambda p: None))
bad(
    "k8s-container-ports-valid",
    "long-name",
    on_container("Pod", lambda c: c["ports"][0].update(name="a-very-long-port-name")),
)
bad(
    "k8s-container-ports-valid",
    "no-port",
    on_container("StatefulSet", lambda c: c["ports"].append({"name": "metrics"})),
)
bad(
    "k8s-container-ports-valid",
    "same-name",
    on_container("Deployment", lambda c: c["ports"].append({"name": "http", "containerPort": 9090})),
)
ok(
    "k8s-empty-dir-size-limit",
    "sized",
    on_pod("Pod", lambda p: p.update(volumes=[{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}])),
)
bad(
    "k8s-empty-dir-size-limit",
    "unbounded",
    on_pod("ReplicaSet", lambda p: p.update(volumes=[{"name": "tmp", "emptyDir": {}}])),
)
bad(
    "k8s-resource-requests-and-limits",
    "zero-cpu-limit",
    on_container("Pod", lambda c: c["resources"]["limits"].update(cpu="0")),
)
bad(
    "k8s-resource-requests-and-limits",
    "not-a-quantity",
    on_container("CronJob", lambda c: c["resources"]["requests"].update(memory="lots")),
)
ok(
    "k8s-resource-requests-and-limits",
    "cpu-limit-not-required",
    on_container("Deployment", lambda c: c["resources"]["limits"].pop("cpu")),
    limits=["memory"],
)
bad("k8s-readiness-and-liveness-probes", "bare-pod", on_container("Pod", lambda c: c.pop("readinessProbe")))
ok(
    "k8s-readiness-and-liveness-probes",
    "job-needs-none",
    on_container("Job", lambda c: c.pop("readinessProbe")),
)
bad(
    "k8s-liveness-differs-from-readiness",
    "named-and-numbered-port",
    on_container(
        "Pod",
        lambda c: c.update(
            livenessProbe={**c["readinessProbe"], "httpGet": {"path": "/health/ready", "port": 8080}}
        ),
    ),
)

# --- controllers -------------------------------------------------------------------------------
ok("k8s-rolling-update", "default", [deployment()])
bad(
    "k8s-rolling-update",
    "recreate",
    [edited(deployment(), lambda i: i["spec"].update(strategy={"type": "Recreate"}))],
)
ok("k8s-job-restart-policy", "cronjob-never", [workload("CronJob")])
bad("k8s-job-restart-policy", "job-unset", on_pod("Job", lambda p: p.pop("restartPolicy")))
bad("k8s-job-restart-policy", "cronjob-always", on_pod("CronJob", lambda p: p.update(restartPolicy="Always")))
ok("k8s-cronjob-starting-deadline", "set", [workload("CronJob")])
bad(
    "k8s-cronjob-starting-deadline",
    "unset",
    [edited(workload("CronJob"), lambda i: i["spec"].pop("startingDeadlineSeconds"))],
)
ok(
    "k8s-topology-spread",
    "anti-affinity-on-own-pods",
    on_pod(
        "StatefulSet",
        lambda p: (
            p.pop("topologySpreadConstraints"),
            p.update(
                affinity={
                    "podAntiAffinity": {
                        "requiredDuringSchedulingIgnoredDuringExecution": [
                            {
                                "topologyKey": "kubernetes.io/hostname",
                                "labelSelector": {"matchLabels": {"app.kubernetes.io/name": "web"}},
                            }
                        ]
                    }
                }
            ),
        ),
    ),
)
bad(
    "k8s-topology-spread",
    "anti-affinity-on-other-pods",
    on_pod(
        "StatefulSet",
        lambda p: (
            p.pop("topologySpreadConstraints"),
            p.update(
                affinity={
                    "podAntiAffinity": {
                        "requiredDuringSchedulingIgnoredDuringExecution": [
                            {
                                "topologyKey": "kubernetes.io/hostname",
                                "labelSelector": {"matchLabels": {"app.kubernetes.io/name": "db"}},
                            }
                        ]
                    }
                }
            ),
        ),
    ),
)
bad(
    "k8s-topology-spread",
    "list-topology-key",
    on_pod(
        "Deployment",
        lambda p: p["topologySpreadConstraints"][0].update(topologyKey=["kubernetes.io/hostname"]),
    ),
)
bad(
    "k8s-topology-spread",
    "zero-skew",
    on_pod("Pod", lambda p: p["topologySpreadConstraints"][0].update(maxSkew=0)),
)
bad(
    "k8s-topology-spread",
    "replicas-omitted",
    [
        edited(
            workload("Deployment", edit_pod=lambda p: p.pop("topologySpreadConstraints")),
            lambda i: i["spec"].pop("replicas"),
        )
    ],
)
ok(
    "k8s-topology-spread",
    "one-replica",
    [
        edited(
            workload("Deployment", edit_pod=lambda p: p.pop("topologySpreadConstraints")),
            lambda i: i["spec"].update(replicas=1),
        )
    ],
)

# --- metadata ----------------------------------------------------------------------------------
bad(
    "k8s-recommended-labels",
    "instance-mismatch",
    [edited(deployment(), lambda i: i["metadata"]["labels"].update({"app.kubernetes.io/instance": "other"}))],
)
ok("k8s-label-values-valid", "recommended", [deployment(), service()])
bad(
    "k8s-label-values-valid",
    "space",
    [edited(service(), lambda i: i["metadata"]["labels"].update(team="web shop"))],
)
bad(
    "k8s-label-values-valid",
    "boolean",
    [edited(deployment(), lambda i: i["spec"]["template"]["metadata"]["labels"].update(canary=True))],
)
bad(
    "k8s-label-values-valid",
    "long-value",
    [edited(service(), lambda i: i["metadata"]["labels"].update(owner="x" * 64))],
)
ok("k8s-stable-api-version", "current", [deployment(), hpa()])
bad(
    "k8s-stable-api-version",
    "hpa-v2beta2",
    [edited(hpa(), lambda i: i.update(apiVersion="autoscaling/v2beta2"))],
)
ok(
    "k8s-stable-api-version",
    "old-target",
    [edited(hpa(), lambda i: i.update(apiVersion="autoscaling/v2beta2"))],
    kubernetesVersion="1.22",
)

# --- secrets -----------------------------------------------------------------------------------
bad("k8s-no-literal-secrets-in-env", "azure-key", on_container("Pod", env("AZURE_BATCH_KEY", "c2VjcmV0")))
bad(
    "k8s-no-literal-secrets-in-env",
    "oci-key-content",
    on_container("CronJob", env("OCI_CLI_KEY_CONTENT", "abc")),
)
bad(
    "k8s-no-literal-secrets-in-env",
    "private-key-value",
    on_container("Job", env("SSH_CONFIG", "---BEGIN OPENSSH PRIVATE KEY---\nxx\n")),
)
ok(
    "k8s-no-literal-secrets-in-env",
    "public-key-and-key-id",
    on_container(
        "Pod", lambda c: (env("PUBLIC_KEY", "ssh-ed25519 AAAA")(c), env("AWS_ACCESS_KEY_ID", "AKIA")(c))
    ),
)
bad(
    "k8s-no-secrets-in-configmap",
    "azure-key",
    [kube("ConfigMap", "app", None, data={"AZURE_STORAGE_KEY": "x"})],
)

# --- service accounts and RBAC ----------------------------------------------------------------
ok(
    "k8s-no-service-account-token",
    "service-account-off",
    [
        workload(
            "Pod",
            edit_pod=lambda p: (p.pop("automountServiceAccountToken"), p.update(serviceAccountName="web")),
        ),
        service_account("web", automount=False),
    ],
)
bad(
    "k8s-no-service-account-token",
    "pod-overrides-account",
    [
        workload(
            "Pod", edit_pod=lambda p: p.update(automountServiceAccountToken=True, serviceAccountName="web")
        ),
        service_account("web", automount=False),
    ],
)
bad(
    "k8s-no-service-account-token",
    "account-not-declared",
    on_pod("CronJob", lambda p: p.pop("automountServiceAccountToken")),
)
ok(
    "k8s-no-service-account-token",
    "pod-off-account-on",
    [workload("Job"), service_account("web", automount=True)],
)
ok(
    "k8s-rbac-no-pod-exec-attach",
    "read-only",
    [role("reader", rule([""], ["pods", "pods/log"], ["get", "list"]))],
)
bad("k8s-rbac-no-pod-exec-attach", "exec", [role("debugger", rule([""], ["pods/exec"], ["create"]))])
bad(
    "k8s-rbac-no-pod-exec-attach",
    "any-subresource",
    [role("debugger", rule(["*"], ["*/attach"], ["get"]), kind="ClusterRole")],
)
ok(
    "k8s-rbac-no-pod-exec-attach",
    "bootstrap-admin",
    [role("admin", rule([""], ["pods/exec"], ["create"]), kind="ClusterRole")],
)
ok(
    "k8s-rbac-binding-no-pod-exec-attach",
    "reader",
    [role("reader", rule([""], ["pods"], ["get"])), binding("read", "Role", "reader")],
)
bad(
    "k8s-rbac-binding-no-pod-exec-attach",
    "exec-role",
    [role("debugger", rule([""], ["pods/exec"], ["create"])), binding("debug", "Role", "debugger")],
)
bad("k8s-rbac-binding-no-pod-exec-attach", "built-in-edit", [binding("editors", "ClusterRole", "edit")])
bad(
    "k8s-rbac-binding-no-pod-exec-attach",
    "undeclared",
    [binding("mystery", "ClusterRole", "not-here", kind="ClusterRoleBinding")],
)
ok("k8s-rbac-binding-no-pod-exec-attach", "built-in-view", [binding("viewers", "ClusterRole", "view")])
ok(
    "k8s-rbac-no-cluster-admin",
    "view",
    [binding("viewers", "ClusterRole", "view", kind="ClusterRoleBinding")],
)
bad("k8s-rbac-no-cluster-admin", "cluster-admin", [binding("admins", "ClusterRole", "cluster-admin")])
bad(
    "k8s-rbac-no-cluster-admin",
    "every-verb",
    [
        role("all", rule(["*"], ["*"], ["get", "list", "watch", "create", "update", "patch", "delete"])),
        binding("all", "Role", "all"),
    ],
)

# --- networking --------------------------------------------------------------------------------
ok("k8s-workload-network-policy", "bare-pod", [workload("Pod"), default_deny(), allow_tier()])
ok("k8s-workload-network-policy", "job-isolated", [workload("Job"), default_deny()])
bad("k8s-workload-network-policy", "cronjob-open", [workload("CronJob")])
bad(
    "k8s-workload-network-policy",
    "egress-open",
    [deployment(), allow_tier(), network_policy("deny-in", {"podSelector": {}, "policyTypes": ["Ingress"]})],
)
ok("k8s-network-policy-selects-pods", "tier", [deployment(), allow_tier(), default_deny()])
bad("k8s-network-policy-selects-pods", "no-such-tier", [deployment(), allow_tier("payments")])
ok("k8s-ingress-tls", "tls", [ingress()])
bad("k8s-ingress-tls", "plain", [ingress(tls=False)])
bad(
    "k8s-ingress-tls",
    "host-not-covered",
    [edited(ingress(), lambda i: i["spec"]["tls"][0].update(hosts=["other.example.com"]))],
)
ok("k8s-ingress-targets-service", "port-number", [ingress(port=80), service()])
ok("k8s-ingress-targets-service", "port-name", [ingress(port="http"), service()])
bad("k8s-ingress-targets-service", "no-service", [ingress(service="web-v2"), service()])
bad("k8s-ingress-targets-service", "wrong-port", [ingress(port=8443), service()])
ok("k8s-service-selects-pods", "bare-pod", [workload("Pod"), service()])

# --- replicas, HPAs and budgets --------------------------------------------------------------
ok("k8s-workload-replicas", "two", [workload("Deployment")])
ok("k8s-workload-replicas", "hpa-owned", [deployment(), hpa()])
bad("k8s-workload-replicas", "omitted", [deployment()])
bad(
    "k8s-workload-replicas",
    "statefulset-one",
    [edited(workload("StatefulSet"), lambda i: i["spec"].update(replicas=1))],
)
ok("k8s-workload-replicas", "one-allowed", [deployment()], minimum=1)
ok(
    "k8s-statefulset-headless-service",
    "headless",
    [
        workload("StatefulSet"),
        edited(
            service("web-headless", selector={"app.kubernetes.io/name": "web"}),
            lambda i: i["spec"].update(clusterIP="None"),
        ),
    ],
)
bad(
    "k8s-statefulset-headless-service",
    "not-headless",
    [workload("StatefulSet"), service("web-headless", selector={"app.kubernetes.io/name": "web"})],
)
bad("k8s-statefulset-headless-service", "missing", [workload("StatefulSet")])
ok(
    "k8s-hpa-resource-targets",
    "v1",
    [
        kube(
            "HorizontalPodAutoscaler",
            "web",
            {
                "scaleTargetRef": {"kind": "Deployment", "name": "web"},
                "minReplicas": 2,
                "maxReplicas": 6,
                "targetCPUUtilizationPercentage": 70,
            },
            edit=lambda i: i.update(apiVersion="autoscaling/v1"),
        )
    ],
)
bad(
    "k8s-hpa-resource-targets",
    "v1-too-high",
    [
        kube(
            "HorizontalPodAutoscaler",
            "web",
            {
                "scaleTargetRef": {"kind": "Deployment", "name": "web"},
                "maxReplicas": 6,
                "targetCPUUtilizationPercentage": 95,
            },
            edit=lambda i: i.update(apiVersion="autoscaling/v1"),
        )
    ],
)
ok("k8s-hpa-resource-targets", "v2-default-metric", [edited(hpa(), lambda i: i["spec"].pop("metrics"))])
ok(
    "k8s-hpa-resource-targets",
    "v2beta1",
    [
        edited(
            hpa(),
            lambda i: (
                i.update(apiVersion="autoscaling/v2beta1"),
                i["spec"].update(
                    metrics=[
                        {"type": "Resource", "resource": {"name": "cpu", "targetAverageUtilization": 70}}
                    ]
                ),
            ),
        )
    ],
)
bad(
    "k8s-hpa-target-exists",
    "wrong-group",
    [deployment(), edited(hpa(), lambda i: i["spec"]["scaleTargetRef"].update(apiVersion="batch/v1"))],
)
ok(
    "k8s-hpa-target-exists",
    "legacy-group",
    [
        deployment(),
        edited(hpa(), lambda i: i["spec"]["scaleTargetRef"].update(apiVersion="extensions/v1beta1")),
    ],
)
bad("k8s-pdb-covers-replicated-workloads", "replicas-omitted", [deployment()])
ok(
    "k8s-pdb-covers-replicated-workloads",
    "single-replica",
    [edited(deployment(), lambda i: i["spec"].update(replicas=1))],
)
bad(
    "k8s-pdb-covers-replicated-workloads",
    "min-available-all",
    [workload("StatefulSet"), pdb(budget={"minAvailable": 2})],
)
ok(
    "k8s-hpa-target-unmanaged-replicas",
    "statefulset-no-replicas",
    [
        edited(workload("StatefulSet"), lambda i: i["spec"].pop("replicas")),
        edited(hpa(), lambda i: i["spec"]["scaleTargetRef"].update(kind="StatefulSet")),
    ],
)
bad(
    "k8s-hpa-target-unmanaged-replicas",
    "statefulset-replicas",
    [
        workload("StatefulSet"),
        edited(hpa(), lambda i: i["spec"]["scaleTargetRef"].update(kind="StatefulSet")),
    ],
)

__all__ = ["PARITY_CASES", "pod_spec_of"]
