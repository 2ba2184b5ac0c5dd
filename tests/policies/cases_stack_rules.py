"""Compliant and violating stacks for the access, networking and scaling rules that close the gap
to Polaris and kube-score, and the neighbours of each finding of the parity review (bare Pods
behind Services, HPA v1, ServiceAccounts that disable the token, replicas left to the default)."""

from __future__ import annotations

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
from tests.policies.case_recorder import CaseRecorder
from tests.policies.kinds import (
    binding,
    ingress,
    on_pod,
    role,
    rule,
    service_account,
    workload,
)

RECORDER = CaseRecorder()
ok, bad = RECORDER.ok, RECORDER.bad
Resources = list[DeclaredResource]


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
# An aggregated ClusterRole's rules are filled in by the controller from every ClusterRole in the
# cluster whose labels its selectors match (here the ones aggregated into the built-in edit role,
# which allow pods/exec): its own empty rules say nothing.
_AGGREGATED = edited(
    role("aggregated", kind="ClusterRole"),
    lambda r: r.update(
        aggregationRule={
            "clusterRoleSelectors": [{"matchLabels": {"rbac.authorization.k8s.io/aggregate-to-edit": "true"}}]
        },
        rules=[],
    ),
)
bad(
    "k8s-rbac-binding-no-pod-exec-attach",
    "aggregated-role",
    [_AGGREGATED, binding("aggregated", "ClusterRole", "aggregated", kind="ClusterRoleBinding")],
)
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

STACK_RULE_CASES = RECORDER.cases
