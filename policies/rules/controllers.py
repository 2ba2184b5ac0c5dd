"""How controllers run their pods: spread over nodes, selected by their own selector, rolled out
without downtime; Jobs and CronJobs that finish and give up; no bare Pods."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs, Severity

from policies.kube import as_int, dig, mapping, selector_matches, sequence, shown
from policies.spec import ADVISORY, Report, object_policy, pod_policy, resource_policy
from policies.workloads import REPLICATED_KINDS, PodTemplate

# Topology keys that put replicas on different nodes (kube-score's approved anti-affinity keys).
SPREAD_KEYS = frozenset(
    {
        "kubernetes.io/hostname",
        "topology.kubernetes.io/zone",
        "topology.kubernetes.io/region",
        "failure-domain.beta.kubernetes.io/zone",
        "failure-domain.beta.kubernetes.io/region",
    }
)
_WHEN_UNSATISFIABLE = ("DoNotSchedule", "ScheduleAnyway")


def _constraint_problem(constraint: Mapping[str, Any]) -> str | None:
    """Why a topologySpreadConstraint is invalid (the API or the scheduler rejects or ignores it)."""
    key = constraint.get("topologyKey")
    if key in (None, ""):
        return "has no topologyKey (a node label name)"
    if not isinstance(key, str):
        return f"has topologyKey {shown(key)}; it must be one node label name (a string)"
    if not mapping(constraint.get("labelSelector")):
        return "has no labelSelector, so it counts no pods"
    skew = as_int(constraint.get("maxSkew"))
    if skew is None or skew < 1:
        return f"has maxSkew {shown(constraint.get('maxSkew'))}; it must be 1 or more"
    if "minDomains" in constraint and (as_int(constraint.get("minDomains")) or 0) < 1:
        return f"has minDomains {shown(constraint.get('minDomains'))}; it must be 1 or more"
    if constraint.get("whenUnsatisfiable") not in _WHEN_UNSATISFIABLE:
        value = constraint.get("whenUnsatisfiable")
        return f"has whenUnsatisfiable {shown(value)}; use DoNotSchedule or ScheduleAnyway"
    return None


def _spreads_own_pods(term: Mapping[str, Any], labels: Mapping[str, Any]) -> bool:
    """A constraint or anti-affinity term on a spreading key that selects the workload's own pods."""
    key = term.get("topologyKey")
    selector = term.get("labelSelector")
    return (
        isinstance(key, str)
        and key in SPREAD_KEYS
        and bool(mapping(selector))
        and (selector_matches(selector, labels))
    )


def _anti_affinity_terms(pod_spec: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    anti = mapping(dig(pod_spec, "affinity", "podAntiAffinity"))
    required = [mapping(t) for t in sequence(anti.get("requiredDuringSchedulingIgnoredDuringExecution"))]
    preferred = [
        mapping(dig(t, "podAffinityTerm"))
        for t in sequence(anti.get("preferredDuringSchedulingIgnoredDuringExecution"))
    ]
    return required + preferred


def _topology_spread(args: ResourceValidationArgs, pod: PodTemplate, report: Report) -> None:
    constraints = [mapping(c) for c in sequence(pod.spec.get("topologySpreadConstraints"))]
    for index, constraint in enumerate(constraints):
        problem = _constraint_problem(constraint)
        if problem:
            report(f"topologySpreadConstraints[{index}] {problem}")
    if pod.kind not in REPLICATED_KINDS or pod.known_single:
        return  # one pod (or one per node, a DaemonSet) has nothing to spread
    terms = [*constraints, *_anti_affinity_terms(pod.spec)]
    if not any(_spreads_own_pods(term, pod.labels) for term in terms):
        report(
            "replicas may all land on one node; add a topologySpreadConstraint or a podAntiAffinity on "
            "kubernetes.io/hostname (or a zone) whose labelSelector matches the pod template's labels"
        )


def _selector_matches_template(args: ResourceValidationArgs, pod: PodTemplate, report: Report) -> None:
    if pod.kind not in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController"):
        return
    selector = pod.object_spec.get("selector")
    if pod.kind == "ReplicationController":
        if not mapping(selector):
            return  # defaults to the template's labels
        selector = {"matchLabels": dict(mapping(selector))}
    if not mapping(selector):
        report(
            "has no spec.selector; select the pods by their stable app.kubernetes.io/name and instance labels"
        )
    elif not selector_matches(selector, pod.labels):
        report(
            "spec.selector does not match the pod template's "
            "labels; make the template carry every selector label"
        )


def _no_bare_pods(args: ResourceValidationArgs, spec: Mapping[str, Any], report: Report) -> None:
    owners = sequence(dig(args.props, "metadata", "ownerReferences"))
    if not any(dig(owner, "controller") is True for owner in owners):
        report("a bare Pod is never rescheduled; run it from a Deployment, StatefulSet or Job")


def _rolling_update(args: ResourceValidationArgs, spec: Mapping[str, Any], report: Report) -> None:
    strategy = dig(spec, "strategy", "type")
    if strategy not in (None, "RollingUpdate"):
        report(
            f"updates with strategy {shown(strategy)}, which stops every pod before starting new ones; "
            "use RollingUpdate"
        )


def _job_restart_policy(args: ResourceValidationArgs, pod: PodTemplate, report: Report) -> None:
    if pod.kind not in ("Job", "CronJob"):
        return
    policy = pod.spec.get("restartPolicy")
    if policy not in ("Never", "OnFailure"):
        report(
            f"the pod template's restartPolicy is {policy or 'unset (Always)'}; a Job's pods need "
            "Never or OnFailure"
        )


def _cronjob_deadline(args: ResourceValidationArgs, spec: Mapping[str, Any], report: Report) -> None:
    deadline = as_int(spec.get("startingDeadlineSeconds"))
    if deadline is None or deadline < 0:
        report(
            "has no startingDeadlineSeconds; set one so a run that cannot start in time is skipped "
            "instead of piling up after an outage"
        )


POLICIES = [
    resource_policy(
        name="k8s-topology-spread",
        description=(
            "Replicated workloads spread over nodes: a topology spread constraint or pod anti-affinity "
            "on a node or zone key whose selector matches their own pods; every declared spread "
            "constraint is valid. Stricter than Polaris's topologySpreadConstraint, which accepts any "
            "constraint, even one that selects none of the workload's pods."
        ),
        severity=Severity.MEDIUM,
        enforcement=ADVISORY,
        validate=pod_policy(_topology_spread),
    ),
    resource_policy(
        name="k8s-selector-matches-template",
        description="A workload's selector selects its own pod template.",
        severity=Severity.HIGH,
        validate=pod_policy(_selector_matches_template),
    ),
    resource_policy(
        name="k8s-no-bare-pods",
        description="No bare Pods: every Pod is owned by a controller that reschedules it.",
        severity=Severity.MEDIUM,
        validate=object_policy(("Pod",), _no_bare_pods),
    ),
    resource_policy(
        name="k8s-rolling-update",
        description=(
            "Deployments roll out with RollingUpdate, never Recreate. Stricter than kube-score's "
            "deployment-strategy, which checks only Deployments behind a Service."
        ),
        severity=Severity.MEDIUM,
        validate=object_policy(("Deployment",), _rolling_update),
    ),
    resource_policy(
        name="k8s-job-restart-policy",
        description="Jobs and CronJobs run their pods with restartPolicy Never or OnFailure.",
        severity=Severity.HIGH,
        validate=pod_policy(_job_restart_policy),
    ),
    resource_policy(
        name="k8s-cronjob-starting-deadline",
        description="CronJobs set startingDeadlineSeconds, so a missed run is skipped, not queued.",
        severity=Severity.LOW,
        validate=object_policy(("CronJob",), _cronjob_deadline),
    ),
]
