"""Every check of Polaris and kube-score, and the policies of this pack that cover it, or why none does.

This is the single source of policies/PEERS.md (``python -m policies.peers > policies/PEERS.md``)
and of the peer-fixture tests, which run the peers' own fixtures through ``policies.scan`` and
hold each mapped policy to the peer's verdict, except where a fixture is listed in
``DIFFERENT_VERDICTS`` with the reason the pack judges it differently on purpose.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from policies.peer_verdicts import DIFFERENT_VERDICTS, KUBE_SCORE, POLARIS, DifferentVerdict


@dataclass(frozen=True)
class PeerCheck:
    tool: str
    check: str  # Polaris's check id, or kube-score's check id
    policies: tuple[str, ...]  # the pack's equivalent; empty when it has none
    title: str = ""  # kube-score's display name (what its tests name)
    why_not: str = ""  # when there is no equivalent: why

    @property
    def covered(self) -> bool:
        return bool(self.policies)


def _p(check: str, *policies: str, why_not: str = "") -> PeerCheck:
    return PeerCheck(POLARIS, check, policies, why_not=why_not)


def _k(check: str, title: str, *policies: str, why_not: str = "") -> PeerCheck:
    return PeerCheck(KUBE_SCORE, check, policies, title=title, why_not=why_not)


_PULL_ALWAYS = (
    "Images are pinned to a version (k8s-image-pinned) and pulled IfNotPresent, so a pod starts "
    "without asking the registry: scaling up to the HPA maximum within 60 s must not depend on the "
    "registry answering. Re-checking pull credentials on every start is the cluster's job "
    "(the AlwaysPullImages admission plugin), not each workload's."
)
_EQUAL_REQUESTS = (
    "Burstable by design: the HPA scales on utilization of the requests, and the room between "
    "request and limit lets a pod absorb a burst while the HPA adds pods; Guaranteed QoS would "
    "reserve the burst capacity on every replica. k8s-resource-requests-and-limits requires both."
)
_EPHEMERAL = (
    "Containers cannot write to their image (k8s-read-only-root-filesystem) and every emptyDir has a "
    "sizeLimit (k8s-empty-dir-size-limit), which bounds the node disk a pod can fill; the kubelet "
    "rotates container logs. An ephemeral-storage request on top would only reserve disk."
)

PEER_CHECKS: tuple[PeerCheck, ...] = (
    # --- Polaris: pkg/config/checks/*.yaml --------------------------------------------------------
    _p("automountServiceAccountToken", "k8s-no-service-account-token"),
    _p("clusterrolePodExecAttach", "k8s-rbac-no-pod-exec-attach"),
    _p("clusterrolebindingClusterAdmin", "k8s-rbac-no-cluster-admin"),
    _p("clusterrolebindingPodExecAttach", "k8s-rbac-binding-no-pod-exec-attach"),
    _p("cpuLimitsMissing", "k8s-resource-requests-and-limits"),
    _p("cpuRequestsMissing", "k8s-resource-requests-and-limits"),
    _p("dangerousCapabilities", "k8s-drop-all-capabilities"),
    _p("deploymentMissingReplicas", "k8s-workload-replicas"),
    _p("hostIPCSet", "k8s-no-host-namespaces"),
    _p("hostNetworkSet", "k8s-no-host-namespaces"),
    _p("hostPIDSet", "k8s-no-host-namespaces"),
    _p("hostPathSet", "k8s-no-host-ports-or-paths"),
    _p("hostPortSet", "k8s-no-host-ports-or-paths"),
    _p("hostProcess", "k8s-no-host-process"),
    _p("hpaMaxAvailability", "k8s-hpa-max-above-min"),
    _p("hpaMinAvailability", "k8s-hpa-min-replicas"),
    _p("insecureCapabilities", "k8s-drop-all-capabilities"),
    _p("linuxHardening", "k8s-seccomp-runtime-default", "k8s-drop-all-capabilities"),
    _p("livenessProbeMissing", "k8s-readiness-and-liveness-probes"),
    _p("memoryLimitsMissing", "k8s-resource-requests-and-limits"),
    _p("memoryRequestsMissing", "k8s-resource-requests-and-limits"),
    _p("metadataAndInstanceMismatched", "k8s-recommended-labels"),
    _p("missingNetworkPolicy", "k8s-workload-network-policy"),
    _p("missingPodDisruptionBudget", "k8s-pdb-covers-replicated-workloads"),
    _p("notReadOnlyRootFilesystem", "k8s-read-only-root-filesystem"),
    _p("pdbDisruptionsIsZero", "k8s-pdb-allows-disruption"),
    _p("pdbMinAvailableGreaterThanHPAMinReplicas", "k8s-pdb-covers-replicated-workloads"),
    _p(
        "priorityClassNotSet",
        why_not=(
            "PriorityClasses are cluster-scoped objects the platform team owns, not this stack; naming "
            "one the cluster lacks makes the API reject the pod. Scheduling order under pressure is "
            "decided by requests (k8s-resource-requests-and-limits) and disruption budgets."
        ),
    ),
    _p("privilegeEscalationAllowed", "k8s-no-privilege-escalation"),
    _p("procMount", "k8s-default-proc-mount"),
    _p("pullPolicyNotAlways", why_not=_PULL_ALWAYS),
    _p("readinessProbeMissing", "k8s-readiness-and-liveness-probes"),
    _p("rolePodExecAttach", "k8s-rbac-no-pod-exec-attach"),
    _p("rolebindingClusterAdminClusterRole", "k8s-rbac-no-cluster-admin"),
    _p("rolebindingClusterAdminRole", "k8s-rbac-no-cluster-admin"),
    _p("rolebindingClusterRolePodExecAttach", "k8s-rbac-binding-no-pod-exec-attach"),
    _p("rolebindingRolePodExecAttach", "k8s-rbac-binding-no-pod-exec-attach"),
    _p("runAsPrivileged", "k8s-no-privileged-containers"),
    _p("runAsRootAllowed", "k8s-run-as-non-root"),
    _p("sensitiveConfigmapContent", "k8s-no-secrets-in-configmap"),
    _p("sensitiveContainerEnvVar", "k8s-no-literal-secrets-in-env"),
    _p("tagNotSpecified", "k8s-image-pinned"),
    _p("tlsSettingsMissing", "k8s-ingress-tls"),
    _p("topologySpreadConstraint", "k8s-topology-spread"),
    # --- kube-score: README_CHECKS.md -----------------------------------------------------------
    _k("deployment-strategy", "Deployment Strategy", "k8s-rolling-update"),
    _k("deployment-replicas", "Deployment Replicas", "k8s-workload-replicas"),
    _k("ingress-targets-service", "Ingress targets Service", "k8s-ingress-targets-service"),
    _k("cronjob-has-deadline", "CronJob has deadline", "k8s-cronjob-starting-deadline"),
    _k("cronjob-restartpolicy", "CronJob RestartPolicy", "k8s-job-restart-policy"),
    _k("container-resources", "Container Resources", "k8s-resource-requests-and-limits"),
    _k(
        "container-resource-requests-equal-limits",
        "Container Resource Requests Equal Limits",
        why_not=_EQUAL_REQUESTS,
    ),
    _k("container-cpu-requests-equal-limits", "Container CPU Requests Equal Limits", why_not=_EQUAL_REQUESTS),
    _k(
        "container-memory-requests-equal-limits",
        "Container Memory Requests Equal Limits",
        why_not=_EQUAL_REQUESTS,
    ),
    _k("container-image-tag", "Container Image Tag", "k8s-image-pinned"),
    _k("container-image-pull-policy", "Container Image Pull Policy", why_not=_PULL_ALWAYS),
    _k(
        "container-ephemeral-storage-request-and-limit",
        "Container Ephemeral Storage Request and Limit",
        why_not=_EPHEMERAL,
    ),
    _k(
        "container-ephemeral-storage-request-equals-limit",
        "Container Ephemeral Storage Request Equals Limit",
        why_not=_EPHEMERAL,
    ),
    _k("container-ports-check", "Container Ports Check", "k8s-container-ports-valid"),
    _k(
        "environment-variable-key-duplication",
        "Environment Variable Key Duplication",
        "k8s-env-no-duplicates",
    ),
    _k(
        "statefulset-has-poddisruptionbudget",
        "StatefulSet has PodDisruptionBudget",
        "k8s-pdb-covers-replicated-workloads",
    ),
    _k(
        "deployment-has-poddisruptionbudget",
        "Deployment has PodDisruptionBudget",
        "k8s-pdb-covers-replicated-workloads",
    ),
    _k("poddisruptionbudget-has-policy", "PodDisruptionBudget has policy", "k8s-pdb-allows-disruption"),
    _k("pod-networkpolicy", "Pod NetworkPolicy", "k8s-workload-network-policy"),
    _k("networkpolicy-targets-pod", "NetworkPolicy targets Pod", "k8s-network-policy-selects-pods"),
    _k("pod-probes", "Pod Probes", "k8s-readiness-and-liveness-probes"),
    _k("pod-probes-identical", "Pod Probes Identical", "k8s-liveness-differs-from-readiness"),
    _k(
        "container-security-context-user-group-id",
        "Container Security Context User Group ID",
        "k8s-run-as-non-root",
    ),
    _k(
        "container-security-context-privileged",
        "Container Security Context Privileged",
        "k8s-no-privileged-containers",
    ),
    _k(
        "container-security-context-readonlyrootfilesystem",
        "Container Security Context ReadOnlyRootFilesystem",
        "k8s-read-only-root-filesystem",
    ),
    _k("container-seccomp-profile", "Container Seccomp Profile", "k8s-seccomp-runtime-default"),
    _k("service-targets-pod", "Service Targets Pod", "k8s-service-selects-pods"),
    _k("service-type", "Service Type", "k8s-no-node-port-services"),
    _k("stable-version", "Stable version", "k8s-stable-api-version"),
    _k(
        "deployment-has-host-podantiaffinity",
        "Deployment has host PodAntiAffinity",
        "k8s-topology-spread",
    ),
    _k(
        "statefulset-has-host-podantiaffinity",
        "StatefulSet has host PodAntiAffinity",
        "k8s-topology-spread",
    ),
    _k(
        "deployment-targeted-by-hpa-does-not-have-replicas-configured",
        "Deployment targeted by HPA does not have replicas configured",
        "k8s-hpa-target-unmanaged-replicas",
    ),
    _k("statefulset-has-servicename", "StatefulSet has ServiceName", "k8s-statefulset-headless-service"),
    _k(
        "deployment-pod-selector-labels-match-template-metadata-labels",
        "Deployment Pod Selector labels match template metadata labels",
        "k8s-selector-matches-template",
    ),
    _k(
        "statefulset-pod-selector-labels-match-template-metadata-labels",
        "StatefulSet Pod Selector labels match template metadata labels",
        "k8s-selector-matches-template",
    ),
    _k("label-values", "Label values", "k8s-label-values-valid"),
    _k("horizontalpodautoscaler-has-target", "HorizontalPodAutoscaler has target", "k8s-hpa-target-exists"),
    _k("horizontalpodautoscaler-replicas", "HorizontalPodAutoscaler Replicas", "k8s-hpa-min-replicas"),
    _k("pod-topology-spread-constraints", "Pod Topology Spread Constraints", "k8s-topology-spread"),
)


def peer_check(tool: str, check: str) -> PeerCheck:
    """The entry for a Polaris check id, or a kube-score check id or display name."""
    for entry in PEER_CHECKS:
        if entry.tool == tool and check in (entry.check, entry.title):
            return entry
    raise KeyError(f"{tool} check {check!r} is not mapped")


def different_verdict(tool: str, check: str, case: str) -> DifferentVerdict | None:
    for entry in DIFFERENT_VERDICTS:
        if (entry.tool, entry.case) == (tool, case) and check in (
            entry.check,
            peer_check(tool, entry.check).title,
        ):
            return entry
    return None


def _policy_list(entry: PeerCheck) -> str:
    return ", ".join(f"`{name}`" for name in entry.policies) if entry.policies else "none"


def _name(entry: PeerCheck) -> str:
    return f"`{entry.check}`" + (f" ({entry.title})" if entry.title else "")


def _table(tool: str) -> list[str]:
    rows = ["| check | the pack's policies |", "|---|---|"]
    rows += [f"| {_name(e)} | {_policy_list(e)} |" for e in PEER_CHECKS if e.tool == tool and e.covered]
    return rows


def _why_not() -> list[str]:
    rows = ["| peer | check | why the pack has no equivalent |", "|---|---|---|"]
    rows += [f"| {e.tool} | {_name(e)} | {e.why_not} |" for e in PEER_CHECKS if not e.covered]
    return rows


def _verdicts() -> list[str]:
    rows = ["| peer | check | fixture or test | the pack | why |", "|---|---|---|---|---|"]
    for v in DIFFERENT_VERDICTS:
        verdict = "flags it" if v.flags else "passes it"
        rows.append(f"| {v.tool} | `{v.check}` | `{v.case}` | {verdict} | {v.reason} |")
    return rows


def render() -> str:
    """policies/PEERS.md."""
    uncovered = [e for e in PEER_CHECKS if not e.covered]
    lines = [
        "# The pack against Polaris and kube-score",
        "",
        "<!-- Generated by `python -m policies.peers > policies/PEERS.md` from policies/peers.py and",
        "policies/peer_verdicts.py; tests/policies/test_peer_fixtures.py fails when it is stale. -->",
        "",
        f"Every built-in check of Polaris ({sum(e.tool == POLARIS for e in PEER_CHECKS)}) and kube-score "
        f"({sum(e.tool == KUBE_SCORE for e in PEER_CHECKS)}), with the policies of this pack that cover it, "
        f"or why none does ({len(uncovered)} checks). The peers' own fixtures (tests/policies/peers/) run "
        "through `python -m policies.scan` with the mapped policies: a fixture the peer fails must be "
        "flagged, one it passes must pass, except the fixtures listed at the end.",
        "",
        "## Polaris",
        "",
        *_table(POLARIS),
        "",
        "## kube-score",
        "",
        *_table(KUBE_SCORE),
        "",
        "## Checks without an equivalent",
        "",
        *_why_not(),
        "",
        "## Fixtures the pack judges differently on purpose",
        "",
        "*Stricter*: the policy's description says so and names the peer's weaker rule. *Broader*: one "
        "policy of the pack covers what the peer splits over several checks, and a sibling check of the "
        "peer fails the fixture as well.",
        "",
        *_verdicts(),
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(render())
