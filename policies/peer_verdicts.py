"""The peers' fixtures the pack judges differently on purpose, each with the reason.

Mostly fixtures the pack flags and the peer passes: the pack is stricter by design (the policy's
description names the peer's weaker rule), or broader (one policy of the pack covers what the peer
splits over several checks, and a sibling check of the peer fails the fixture too). Entries with
``flags=False`` are the few the pack passes although the peer fails them.
"""

from __future__ import annotations

from dataclasses import dataclass

POLARIS = "polaris"
KUBE_SCORE = "kube-score"


@dataclass(frozen=True)
class DifferentVerdict:
    tool: str
    check: str  # the peer's check id
    case: str  # the fixture file (Polaris) or the Go test that asserts the grade (kube-score)
    reason: str
    flags: bool = True  # the pack flags what the peer passes (False: passes what the peer fails)


_RESOURCES = (
    "Broader: k8s-resource-requests-and-limits asks for CPU and memory requests and limits at once; "
    "this fixture sets only what this one Polaris check looks at, and its sibling checks fail it."
)
_BOTH_PROBES = (
    "Broader: k8s-readiness-and-liveness-probes asks for both probes; Polaris's check for the other "
    "probe fails this fixture."
)
_GKE_NAME = (
    "Stricter: Polaris exempts this GKE add-on's name; the pack exempts only Kubernetes' own bootstrap "
    "RBAC objects (system:..., cluster-admin, admin, edit). A stack that declares the object owns it."
)
_PDB_KEEPS_ALL = (
    "Stricter: the budget keeps at least as many pods as the workload's minimum (its HPA's minReplicas, "
    "else spec.replicas, which defaults to 1), so no pod can ever be evicted and every node drain "
    "blocks; the pack wants the budget strictly below the minimum."
)
_PDB_MISSING = (
    "Broader: the workload has no PodDisruptionBudget, which the same pack policy requires; Polaris's "
    "missingPodDisruptionBudget fails this fixture."
)
_SECCOMP_AND_CAPABILITIES = (
    "Stricter: the pack requires a RuntimeDefault or Localhost seccomp profile and dropping ALL "
    "capabilities, both; Polaris accepts any one of seccomp, SELinux, AppArmor or a dropped capability."
)
_DROP_ALL = (
    "Stricter: the pack requires drop: [ALL] spelled exactly, as Pod Security's restricted profile "
    "checks it; a list of named capabilities depends on the runtime's default set."
)
_PROBES_EVERYWHERE = (
    "Stricter: every long-running pod needs its probes, not only one a Service selects (a rollout "
    "and the kubelet rely on them whoever sends traffic)."
)


def _polaris(check: str, case: str, reason: str, flags: bool = True) -> DifferentVerdict:
    return DifferentVerdict(POLARIS, check, case, reason, flags)


def _kube_score(check: str, case: str, reason: str) -> DifferentVerdict:
    return DifferentVerdict(KUBE_SCORE, check, case, reason)


DIFFERENT_VERDICTS: tuple[DifferentVerdict, ...] = (
    *(
        _polaris(check, case, _GKE_NAME)
        for check, case in (
            ("clusterrolePodExecAttach", "success.gce_calico_clusterrole.yaml"),
            ("clusterrolebindingClusterAdmin", "success.gce_calico_binding.yaml"),
            ("clusterrolebindingPodExecAttach", "success.gce_calico_binding.yaml"),
            ("rolePodExecAttach", "success.gce_calico_binding.yaml"),
            ("rolebindingClusterAdminClusterRole", "success.gce_calico_binding.yaml"),
            ("rolebindingClusterAdminRole", "success.gce_calico_binding.yaml"),
            ("rolebindingClusterRolePodExecAttach", "success.gce_calico_binding.yaml"),
            ("rolebindingRolePodExecAttach", "success.gce_calico_binding.yaml"),
        )
    ),
    _polaris(
        "rolebindingRolePodExecAttach",
        "success.role_binding_cluster_role_binding.yaml",
        "Broader: the pack's binding policy checks bindings to Roles and ClusterRoles alike; this one "
        "binds a ClusterRole that allows everything, which Polaris's rolebindingClusterRolePodExecAttach "
        "fails.",
    ),
    *(
        _polaris(check, "success.yaml", _RESOURCES)
        for check in (
            "cpuLimitsMissing",
            "cpuRequestsMissing",
            "memoryLimitsMissing",
            "memoryRequestsMissing",
        )
    ),
    _polaris(
        "dangerousCapabilities",
        "success.yaml",
        "Broader: k8s-drop-all-capabilities also requires drop: [ALL]; Polaris's insecureCapabilities "
        "fails this fixture.",
    ),
    *(
        _polaris("insecureCapabilities", case, _DROP_ALL)
        for case in ("success.all.yaml", "success.case.yaml", "success.pod.yaml", "success.yaml")
    ),
    *(
        _polaris("linuxHardening", case, _SECCOMP_AND_CAPABILITIES)
        for case in (
            "success.apparmor_2_containers.yaml",
            "success.drop_capabilities.yaml",
            "success.seccomp_profile_container.yaml",
            "success.seccomp_profile_pod.yaml",
            "success.seccomp_profile_unconfined_for_pod_but_set_for_container.yaml",
            "success.selinux_container.yaml",
            "success.selinux_pod.yaml",
        )
    ),
    _polaris(
        "hpaMinAvailability",
        "success.minReplicaAbsent.yaml",
        "Stricter: an HPA that omits minReplicas runs down to 1 pod (the API's default); the pack counts "
        "it as 1, Polaris skips it.",
    ),
    _polaris("livenessProbeMissing", "success.yaml", _BOTH_PROBES),
    _polaris("readinessProbeMissing", "success.yaml", _BOTH_PROBES),
    _polaris(
        "metadataAndInstanceMismatched",
        "success.yaml",
        "Broader: k8s-recommended-labels also asks for the other recommended app.kubernetes.io labels, "
        "which this Pod lacks.",
    ),
    *(
        _polaris(
            "missingNetworkPolicy",
            case,
            "The pack passes it: a policy that isolates a direction and allows nothing denies all of that "
            "traffic, the strictest setting there is (kube-score's pod-networkpolicy passes it too).",
            flags=False,
        )
        for case in ("failure.netpol_missing_egress_rules.yaml", "failure.netpol_missing_ingress_rules.yaml")
    ),
    _polaris("missingPodDisruptionBudget", "success.yaml", _PDB_KEEPS_ALL),
    _polaris("missingPodDisruptionBudget", "success.many.yaml", _PDB_KEEPS_ALL),
    _polaris(
        "pdbDisruptionsIsZero",
        "success.none.yaml",
        "Broader: a budget with neither minAvailable nor maxUnavailable guards nothing; kube-score's "
        "poddisruptionbudget-has-policy fails it.",
    ),
    *(
        _polaris("pdbMinAvailableGreaterThanHPAMinReplicas", case, _PDB_KEEPS_ALL)
        for case in (
            "success.equals.yaml",
            "success.hpa-no-match.yaml",
            "success.no-hpa.yaml",
            "success.no-min-replicas.yaml",
        )
    ),
    *(
        _polaris("pdbMinAvailableGreaterThanHPAMinReplicas", case, _PDB_MISSING)
        for case in (
            "success.no-match.yaml",
            "success.no-pdb.yaml",
            "success.pdb-no-match.yaml",
            "success.yaml",
        )
    ),
    _polaris(
        "runAsRootAllowed",
        "success.yaml",
        "Stricter: besides runAsNonRoot the pack wants runAsUser and runAsGroup of at least 10000 "
        "(kube-score's container-security-context-user-group-id).",
    ),
    _polaris(
        "topologySpreadConstraint",
        "success.yaml",
        "Stricter: the constraint's labelSelector (app: foo) selects none of the Deployment's pods, so it "
        "spreads nothing; the pack wants a constraint or anti-affinity that selects the workload's pods.",
    ),
    _kube_score(
        "pod-networkpolicy",
        "networkpolicy_test.go:TestNetworkPolicyEmptyPodSelector",
        "Stricter: namespace-wide policies isolate the pod, but the pack also wants a policy of its own "
        "that says who may call a long-running workload.",
    ),
    *(
        _kube_score(check, f"poddisruptionbudget_test.go:{test}", _PDB_KEEPS_ALL)
        for check, test in (
            ("statefulset-has-poddisruptionbudget", "TestStatefulSetPodDisruptionBudgetMatches"),
            ("statefulset-has-poddisruptionbudget", "TestStatefulSetPodDisruptionBudgetExpressionMatches"),
            ("deployment-has-poddisruptionbudget", "TestDeploymentPodDisruptionBudgetMatches"),
            ("deployment-has-poddisruptionbudget", "TestDeploymentPodDisruptionBudgetExpressionMatches"),
            ("deployment-has-poddisruptionbudget", "TestDeploymentPodDisruptionBudgetV1Matches"),
        )
    ),
    *(
        _kube_score("pod-probes", f"probe_test.go:{test}", _PROBES_EVERYWHERE)
        for test in (
            "TestProbesTargetedByServiceDifferentNamespace",
            "TestProbesTargetedByServiceNotTargeted",
            "TestProbesTargetedByServiceNotTargetedMultiLabels",
        )
    ),
    _kube_score(
        "pod-probes",
        "probe_test.go:TestProbesMultipleContainers",
        "Stricter: each serving container needs both probes of its own; kube-score counts a readiness "
        "probe on one container and a liveness probe on another as the pod having both.",
    ),
    *(
        _kube_score(
            "container-seccomp-profile",
            f"security_test.go:{test}",
            "Stricter: the pod has only a seccomp annotation (PodSecurityPolicy's defaultProfileName); "
            "kubelets ignore seccomp annotations since Kubernetes 1.25, so the pod runs unconfined.",
        )
        for test in ("TestContainerSeccompAllGood", "TestContainerSeccompAllGoodAnnotation")
    ),
    _kube_score(
        "container-security-context-user-group-id",
        "security_test.go:TestContainerSecurityContextUserGroupIDAllGood",
        "Stricter: besides the high user and group IDs the pack wants runAsNonRoot: true, as Pod "
        "Security's restricted profile does.",
    ),
)
