"""Stack-level rules: what only shows when resources are seen together."""

from __future__ import annotations

import math
from typing import Any

from pulumi_policy import ReportViolation, Severity, StackValidationArgs

from policies.hpa import replica_bounds, scale_target
from policies.kube import as_int, mapping, selector_matches, sequence, shown
from policies.spec import settings, stack_policy
from policies.stackview import StackView, Workload, container_port_names, ignores, same_group
from policies.workloads import REPLICATED_KINDS


def _hpa_target_exists(args: StackValidationArgs, report: ReportViolation) -> None:
    view = StackView(args.resources)
    for hpa in view.of_kind("HorizontalPodAutoscaler"):
        api_version, kind, name = scale_target(hpa.spec)
        target = view.find(kind, name, hpa.namespace) if kind and name else None
        if target is None or (api_version is not None and not same_group(api_version, target.api_version)):
            report(
                f"{hpa.describe()}: scaleTargetRef {kind}/{name} is not declared in namespace "
                f"{hpa.namespace}; point it at a workload this stack declares",
                hpa.urn,
            )


def _hpa_target_unmanaged_replicas(args: StackValidationArgs, report: ReportViolation) -> None:
    view = StackView(args.resources)
    for workload in view.workloads:
        if view.hpa_for(workload) is None:
            continue
        if workload.pod.declared_replicas is not None and not ignores(workload.resource, "spec.replicas"):
            report(
                f"{workload.describe()}: the HPA owns the replica count but spec.replicas is set, so every "
                "`pulumi up` resets it; remove spec.replicas or add ignore_changes=['spec.replicas']",
                workload.urn,
            )


def minimum_replicas(view: StackView, workload: Workload) -> int:
    """The fewest pods the workload runs: its HPA's minReplicas, else spec.replicas (both default 1)."""
    hpa = view.hpa_for(workload)
    if hpa is not None:
        minimum, _ = replica_bounds(hpa.spec)
        return minimum
    replicas = workload.replicas
    return 1 if replicas is None else replicas


def _is_replicated(view: StackView, workload: Workload) -> bool:
    """May run several pods: an HPA scales it, or spec.replicas is not written as 0 or 1."""
    if workload.kind not in REPLICATED_KINDS:
        return False
    return view.hpa_for(workload) is not None or not workload.pod.known_single


_REPLICAS_CONFIG = {
    "minimum": {
        "type": "integer",
        "minimum": 1,
        "default": 2,
        "description": "fewest pods a Deployment or StatefulSet without an HPA runs (spec.replicas)",
    }
}


def _workload_replicas(args: StackValidationArgs, report: ReportViolation) -> None:
    floor = settings(args, _REPLICAS_CONFIG)["minimum"]
    view = StackView(args.resources)
    for workload in view.workloads:
        if workload.kind not in REPLICATED_KINDS or view.hpa_for(workload) is not None:
            continue  # an HPA's floor is k8s-hpa-min-replicas' business
        replicas = minimum_replicas(view, workload)
        if replicas < floor:
            written = (
                "spec.replicas" if workload.pod.declared_replicas is not None else "spec.replicas (default)"
            )
            report(
                f"{workload.describe()}: runs {replicas} pod(s) by {written}; run at least {floor} so one "
                "pod can fail or drain without an outage (or let an HPA scale it)",
                workload.urn,
            )


def _statefulset_service(args: StackValidationArgs, report: ReportViolation) -> None:
    view = StackView(args.resources)
    for workload in view.workloads:
        if workload.kind != "StatefulSet":
            continue
        name = workload.spec.get("serviceName")
        service = view.find("Service", name, workload.namespace) if isinstance(name, str) and name else None
        if name is None:
            problem = "sets no spec.serviceName"
        elif service is None:
            problem = f"serviceName {shown(name)} names no Service declared in namespace {workload.namespace}"
        elif service.spec.get("clusterIP") != "None":
            problem = f"its Service {name} is not headless (clusterIP: None)"
        elif not selector_matches(
            {"matchLabels": dict(mapping(service.spec.get("selector")))}, workload.pod.labels
        ):
            problem = f"its Service {name} does not select its pods"
        else:
            continue
        report(
            f"{workload.describe()}: {problem}; pods get stable DNS names only from a headless Service "
            "that selects them",
            workload.urn,
        )


def guaranteed_pods(budget: dict[str, Any], replicas: int) -> int | None:
    """How many of ``replicas`` pods the budget keeps (None: unknown form)."""
    min_available, max_unavailable = budget.get("minAvailable"), budget.get("maxUnavailable")
    if min_available is not None:
        return _absolute(min_available, replicas, round_up=True)
    if max_unavailable is not None:
        unavailable = _absolute(max_unavailable, replicas, round_up=True)
        return None if unavailable is None else replicas - unavailable
    return None


def _absolute(value: Any, replicas: int, *, round_up: bool) -> int | None:
    if isinstance(value, str) and value.endswith("%"):
        try:
            fraction = float(value[:-1]) / 100
        except ValueError:
            return None
        return math.ceil(fraction * replicas) if round_up else math.floor(fraction * replicas)
    return as_int(value)


def _pdb_covers_workloads(args: StackValidationArgs, report: ReportViolation) -> None:
    view = StackView(args.resources)
    pdbs = view.of_kind("PodDisruptionBudget")
    for workload in view.workloads:
        if not _is_replicated(view, workload):
            continue
        matching = [
            pdb
            for pdb in pdbs
            if pdb.namespace == workload.namespace
            and mapping(pdb.spec.get("selector"))
            and selector_matches(pdb.spec.get("selector"), workload.pod.labels)
        ]
        if not matching:
            report(
                f"{workload.describe()}: no PodDisruptionBudget selects its pods; add one whose selector "
                "matches the pod template labels, with maxUnavailable: 1",
                workload.urn,
            )
            continue
        minimum = minimum_replicas(view, workload)
        for pdb in matching:
            kept = guaranteed_pods(dict(mapping(pdb.spec)), minimum)
            if kept is not None and kept >= minimum:
                report(
                    f"{pdb.describe()}: keeps {kept} of "
                    f"{workload.describe()}'s minimum {minimum} pods, so no "
                    f"pod can ever be evicted; set minAvailable below {minimum} or maxUnavailable: 1",
                    pdb.urn,
                )


def _service_selects_pods(args: StackValidationArgs, report: ReportViolation) -> None:
    view = StackView(args.resources)
    for service in view.of_kind("Service"):
        selector = mapping(service.spec.get("selector"))
        if not selector or service.spec.get("type") == "ExternalName":
            continue  # endpoints managed by hand or by DNS
        targets = view.workloads_selected_by({"matchLabels": dict(selector)}, service.namespace)
        if not targets:
            report(
                f"{service.describe()}: selector {dict(selector)} matches no pods declared in namespace "
                f"{service.namespace}; fix the selector or declare the workload",
                service.urn,
            )
            continue
        names = set().union(*(container_port_names(w) for w in targets))
        for port in sequence(service.spec.get("ports")):
            target_port = mapping(port).get("targetPort")
            if isinstance(target_port, str) and target_port not in names:
                report(
                    f"{service.describe()}: targetPort {target_port!r} is not a named container port of the "
                    f"selected pods (they name {sorted(names)}); name the port or fix targetPort",
                    service.urn,
                )


POLICIES = [
    stack_policy(
        name="k8s-workload-replicas",
        description=(
            "Deployments and StatefulSets without an HPA run at least 2 pods (spec.replicas, which "
            "defaults to 1)."
        ),
        severity=Severity.HIGH,
        validate=_workload_replicas,
        config=_REPLICAS_CONFIG,
    ),
    stack_policy(
        name="k8s-statefulset-headless-service",
        description="Every StatefulSet's serviceName is a headless Service that selects its pods.",
        severity=Severity.MEDIUM,
        validate=_statefulset_service,
    ),
    stack_policy(
        name="k8s-hpa-target-exists",
        description="Every HPA scales a workload that the stack declares.",
        severity=Severity.HIGH,
        validate=_hpa_target_exists,
    ),
    stack_policy(
        name="k8s-hpa-target-unmanaged-replicas",
        description="Workloads an HPA scales carry no managed spec.replicas (omitted or ignore_changes).",
        severity=Severity.HIGH,
        validate=_hpa_target_unmanaged_replicas,
    ),
    stack_policy(
        name="k8s-pdb-covers-replicated-workloads",
        description=(
            "Every workload that may run several pods has a PDB matching its pods whose budget keeps "
            "fewer pods than its minimum (HPA minReplicas, else spec.replicas). Stricter than Polaris's "
            "pdbMinAvailableGreaterThanHPAMinReplicas and missingPodDisruptionBudget and kube-score's "
            "deployment-has-poddisruptionbudget and statefulset-has-poddisruptionbudget, which accept "
            "a budget that keeps every pod (minAvailable equal to the minimum), so none can be evicted."
        ),
        severity=Severity.HIGH,
        validate=_pdb_covers_workloads,
    ),
    stack_policy(
        name="k8s-service-selects-pods",
        description="Every Service selects pods that the stack declares, on ports they name.",
        severity=Severity.HIGH,
        validate=_service_selects_pods,
    ),
]
