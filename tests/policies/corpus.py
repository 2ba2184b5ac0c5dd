"""A generated corpus: a compliant stack with every kind the Kubernetes rules read, and mutations of it.

``compliant_stack()`` passes every rule; each ``Mutation`` breaks one object for one rule. Pod
mutations are applied to every kind that runs pods (``POD_BEARING_KINDS``), so one line here is
eight cases; the others change one object of the stack.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from preview.synth import DeclaredResource
from tests.policies.builders import allow_tier, default_deny, hpa, kube, pdb, service
from tests.policies.kinds import POD_BEARING_KINDS, binding, ingress, pod_spec_of, role, rule, workload

Stack = list[DeclaredResource]
REPLICATED = ("Deployment", "StatefulSet", "ReplicaSet", "ReplicationController")
LONG_RUNNING = ("Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController")
BATCH = ("Job", "CronJob")


def workload_name(kind: str) -> str:
    return f"web-{kind.lower()}"


def compliant_stack() -> Stack:
    """Every pod-bearing kind running the compliant pod, with what each needs around it."""
    stack: Stack = [default_deny(), allow_tier()]
    for kind in POD_BEARING_KINDS:
        name = workload_name(kind)
        stack.append(workload(kind, name))
        if kind == "Pod":  # a pod its ReplicaSet made, as `kubectl get pod -o yaml` shows it
            stack[-1].inputs["metadata"]["ownerReferences"] = [
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "name": "web-7d9f",
                    "uid": "1",
                    "controller": True,
                }
            ]
        if kind in REPLICATED:
            stack.append(pdb(name))
    stack += [
        service(workload_name("Deployment")),
        _headless(workload_name("StatefulSet")),
        ingress(service=workload_name("Deployment")),
        role("reader", rule([""], ["pods", "services"], ["get", "list"])),
        binding("read", "Role", "reader"),
    ]
    return stack


def _headless(workload: str) -> DeclaredResource:
    item = service(f"{workload}-headless", selector={"app.kubernetes.io/name": workload})
    item.inputs["spec"]["clusterIP"] = "None"
    return item


def edit_object(stack: Stack, name: str, change: Callable[[dict[str, Any]], Any]) -> Stack:
    """The stack with a deep copy of the first object named ``name`` (or ``name-<kind>``) changed."""
    result = []
    found = False
    for item in stack:
        if (item.name == name or item.name.startswith(f"{name}-")) and not found:
            found = True
            inputs = copy.deepcopy(item.inputs)
            change(inputs)
            item = DeclaredResource(item.urn, item.type, item.name, None, True, inputs)
        result.append(item)
    assert found, name
    return result


@dataclass(frozen=True)
class Mutation:
    policy: str
    id: str
    apply: Callable[[Stack], Stack]


def _pod(kind: str, change: Callable[[dict[str, Any]], Any]) -> Callable[[Stack], Stack]:
    def apply(stack: Stack) -> Stack:
        def edit(inputs: dict[str, Any]) -> None:
            holder = DeclaredResource("u", "t", "n", None, True, inputs)
            change(pod_spec_of(holder))

        return edit_object(stack, workload_name(kind), edit)

    return apply


def _container(change: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any]], Any]:
    return lambda pod: change(pod["containers"][0])


def _security(**fields: Any) -> Callable[[dict[str, Any]], Any]:
    return _container(lambda c: c["securityContext"].update(fields))


# (policy, mutation id, edit of the pod spec, the kinds it applies to)
POD_MUTATIONS: list[tuple[str, str, Callable[[dict[str, Any]], Any], tuple[str, ...]]] = [
    ("k8s-no-privileged-containers", "privileged", _security(privileged=True), POD_BEARING_KINDS),
    (
        "k8s-no-host-process",
        "host-process",
        _security(windowsOptions={"hostProcess": True}),
        POD_BEARING_KINDS,
    ),
    ("k8s-default-proc-mount", "unmasked", _security(procMount="Unmasked"), POD_BEARING_KINDS),
    (
        "k8s-no-privilege-escalation",
        "escalation",
        _security(allowPrivilegeEscalation=True),
        POD_BEARING_KINDS,
    ),
    ("k8s-run-as-non-root", "uid-0", _security(runAsUser=0), POD_BEARING_KINDS),
    (
        "k8s-run-as-non-root",
        "low-gid",
        lambda p: p["securityContext"].update(runAsGroup=100),
        POD_BEARING_KINDS,
    ),
    ("k8s-read-only-root-filesystem", "writable", _security(readOnlyRootFilesystem=False), POD_BEARING_KINDS),
    (
        "k8s-drop-all-capabilities",
        "add-sys-admin",
        _security(capabilities={"drop": ["ALL"], "add": ["SYS_ADMIN"]}),
        POD_BEARING_KINDS,
    ),
    (
        "k8s-seccomp-runtime-default",
        "unconfined",
        _security(seccompProfile={"type": "Unconfined"}),
        POD_BEARING_KINDS,
    ),
    ("k8s-no-host-namespaces", "host-pid", lambda p: p.update(hostPID=True), POD_BEARING_KINDS),
    (
        "k8s-no-host-ports-or-paths",
        "host-path",
        lambda p: p.update(volumes=[{"name": "h", "hostPath": {"path": "/"}}]),
        POD_BEARING_KINDS,
    ),
    (
        "k8s-no-service-account-token",
        "automount",
        lambda p: p.update(automountServiceAccountToken=True),
        POD_BEARING_KINDS,
    ),
    (
        "k8s-resource-requests-and-limits",
        "no-memory-limit",
        _container(lambda c: c["resources"]["limits"].pop("memory")),
        POD_BEARING_KINDS,
    ),
    (
        "k8s-readiness-and-liveness-probes",
        "no-liveness",
        _container(lambda c: c.pop("livenessProbe")),
        LONG_RUNNING,
    ),
    (
        "k8s-liveness-differs-from-readiness",
        "same",
        _container(lambda c: c.update(livenessProbe=c["readinessProbe"])),
        LONG_RUNNING,
    ),
    (
        "k8s-env-no-duplicates",
        "twice",
        _container(lambda c: c["env"].append(dict(c["env"][0]))),
        POD_BEARING_KINDS,
    ),
    (
        "k8s-container-ports-valid",
        "port-0",
        _container(lambda c: c["ports"][0].update(containerPort=0)),
        POD_BEARING_KINDS,
    ),
    (
        "k8s-empty-dir-size-limit",
        "unsized",
        lambda p: p.update(volumes=[{"name": "t", "emptyDir": {}}]),
        POD_BEARING_KINDS,
    ),
    ("k8s-topology-spread", "no-spread", lambda p: p.pop("topologySpreadConstraints"), REPLICATED),
    (
        "k8s-topology-spread",
        "invalid-constraint",
        lambda p: p["topologySpreadConstraints"][0].pop("labelSelector"),
        POD_BEARING_KINDS,
    ),
    ("k8s-job-restart-policy", "always", lambda p: p.update(restartPolicy="Always"), BATCH),
    (
        "k8s-image-pinned",
        "latest",
        _container(lambda c: c.update(image="ghcr.io/technovastore/web:latest")),
        POD_BEARING_KINDS,
    ),
    (
        "k8s-image-trusted-registry",
        "elsewhere",
        _container(lambda c: c.update(image="quay.io/x/web:1.0.0")),
        POD_BEARING_KINDS,
    ),
    (
        "k8s-no-literal-secrets-in-env",
        "password",
        _container(lambda c: c["env"].append({"name": "DB_PASSWORD", "value": "p"})),
        POD_BEARING_KINDS,
    ),
    (
        "k8s-no-secrets-in-args",
        "requirepass",
        _container(lambda c: c.update(args=["--requirepass", "p"])),
        POD_BEARING_KINDS,
    ),
]


def _pod_mutations() -> Iterator[Mutation]:
    for policy, name, change, kinds in POD_MUTATIONS:
        for kind in kinds:
            yield Mutation(policy, f"{name}-{kind}", _pod(kind, change))


def _on(name: str, change: Callable[[dict[str, Any]], Any]) -> Callable[[Stack], Stack]:
    return lambda stack: edit_object(stack, name, change)


def _add(*items: DeclaredResource) -> Callable[[Stack], Stack]:
    return lambda stack: [*stack, *items]


def _drop(prefix: str) -> Callable[[Stack], Stack]:
    return lambda stack: [item for item in stack if not item.name.startswith(prefix)]


DEPLOYMENT, STATEFULSET, CRONJOB = (workload_name(k) for k in ("Deployment", "StatefulSet", "CronJob"))
OBJECT_MUTATIONS = [
    Mutation(
        "k8s-workload-network-policy",
        "tier-changed",
        _on(
            DEPLOYMENT,
            lambda i: i["spec"]["template"]["metadata"]["labels"].update({"technovastore.io/tier": "other"}),
        ),
    ),
    Mutation("k8s-namespace-default-deny", "dropped", _drop("default-deny-all")),
    Mutation("k8s-network-policy-selects-pods", "stray", _add(allow_tier("payments"))),
    Mutation(
        "k8s-network-policy-scoped-rules",
        "allow-all",
        _add(kube("NetworkPolicy", "open", {"podSelector": {"matchLabels": {"a": "b"}}, "ingress": [{}]})),
    ),
    Mutation(
        "k8s-no-node-port-services",
        "node-port",
        _add(service("np", type_="NodePort", selector={"app.kubernetes.io/name": DEPLOYMENT})),
    ),
    Mutation(
        "k8s-load-balancer-public-tier-only",
        "backend-lb",
        _add(service("lb", type_="LoadBalancer", selector={"app.kubernetes.io/name": DEPLOYMENT})),
    ),
    Mutation(
        "k8s-service-selects-pods",
        "typo",
        _add(service("typo", selector={"app.kubernetes.io/name": "nothing"})),
    ),
    Mutation("k8s-ingress-tls", "plain", _on("web-ingress", lambda i: i["spec"].pop("tls"))),
    Mutation(
        "k8s-ingress-targets-service",
        "no-service",
        _on(
            "web-ingress",
            lambda i: i["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"].update(name="gone"),
        ),
    ),
    Mutation(
        "k8s-selector-matches-template",
        "mismatch",
        _on(DEPLOYMENT, lambda i: i["spec"]["selector"]["matchLabels"].update(extra="x")),
    ),
    Mutation(
        "k8s-no-bare-pods",
        "orphaned",
        _on(workload_name("Pod"), lambda i: i["metadata"].pop("ownerReferences")),
    ),
    Mutation(
        "k8s-no-default-namespace",
        "default",
        _on(DEPLOYMENT, lambda i: i["metadata"].update(namespace="default")),
    ),
    Mutation(
        "k8s-recommended-labels",
        "instance",
        _on(DEPLOYMENT, lambda i: i["metadata"]["labels"].update({"app.kubernetes.io/instance": "x"})),
    ),
    Mutation(
        "k8s-label-values-valid",
        "space",
        _on(DEPLOYMENT, lambda i: i["metadata"]["labels"].update(team="a b")),
    ),
    Mutation("k8s-stable-api-version", "beta", _on(CRONJOB, lambda i: i.update(apiVersion="batch/v1beta1"))),
    Mutation(
        "k8s-rolling-update",
        "recreate",
        _on(DEPLOYMENT, lambda i: i["spec"].update(strategy={"type": "Recreate"})),
    ),
    Mutation(
        "k8s-cronjob-starting-deadline",
        "unset",
        _on(CRONJOB, lambda i: i["spec"].pop("startingDeadlineSeconds")),
    ),
    Mutation("k8s-workload-replicas", "one", _on(STATEFULSET, lambda i: i["spec"].update(replicas=1))),
    Mutation(
        "k8s-statefulset-headless-service",
        "not-headless",
        _on(f"{STATEFULSET}-headless", lambda i: i["spec"].pop("clusterIP")),
    ),
    Mutation("k8s-pdb-covers-replicated-workloads", "no-pdb", _drop(f"{DEPLOYMENT}-poddisruptionbudget")),
    Mutation(
        "k8s-pdb-allows-disruption",
        "zero",
        _on(f"{STATEFULSET}-poddisruptionbudget", lambda i: i["spec"].update(maxUnavailable=0)),
    ),
    Mutation("k8s-hpa-min-replicas", "one", _add(hpa(DEPLOYMENT, min_replicas=1))),
    Mutation("k8s-hpa-max-above-min", "flat", _add(hpa(DEPLOYMENT, min_replicas=6, max_replicas=6))),
    Mutation("k8s-hpa-resource-targets", "cpu-99", _add(hpa(DEPLOYMENT, cpu=99))),
    Mutation(
        "k8s-hpa-scale-up-speed",
        "slow",
        _add(
            hpa(
                DEPLOYMENT,
                max_replicas=60,
                behavior={"scaleUp": {"policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}]}},
            )
        ),
    ),
    Mutation("k8s-hpa-target-exists", "missing", _add(hpa("gone"))),
    Mutation("k8s-hpa-target-unmanaged-replicas", "replicas-set", _add(hpa(DEPLOYMENT))),
    Mutation(
        "k8s-no-secrets-in-configmap",
        "password",
        _add(kube("ConfigMap", "app", None, data={"db_password": "p"})),
    ),
    Mutation(
        "k8s-rbac-no-pod-exec-attach",
        "exec",
        _on(
            "reader-role",
            lambda i: i["rules"].append({"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}),
        ),
    ),
    Mutation(
        "k8s-rbac-binding-no-pod-exec-attach",
        "edit",
        _on("read-rolebinding", lambda i: i["roleRef"].update(kind="ClusterRole", name="edit")),
    ),
    Mutation(
        "k8s-rbac-no-cluster-admin",
        "cluster-admin",
        _on("read-rolebinding", lambda i: i["roleRef"].update(kind="ClusterRole", name="cluster-admin")),
    ),
]


def mutations() -> list[Mutation]:
    return [*_pod_mutations(), *OBJECT_MUTATIONS]
