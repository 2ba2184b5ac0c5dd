"""Workloads and pods: restricted Pod Security and then some, resources, probes, placement."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from policies.kube import (
    CLUSTER_SCOPED_KINDS,
    SERVING_KINDS,
    Container,
    PodTemplate,
    as_int,
    containers,
    dig,
    effective_security,
    mapping,
    object_namespace,
    pod_template,
    selector_matches,
    sequence,
    to_plain,
)
from policies.spec import (
    ADVISORY,
    Report,
    kubernetes_kind,
    object_policy,
    pod_policy,
    resource_policy,
    settings,
    subject_reporter,
)


def _no_privileged(args: ResourceValidationArgs, pod: PodTemplate, report: Report) -> None:
    for c in containers(pod.spec):
        if c.security("privileged") is True:
            report(f"{c.label} runs privileged; set securityContext.privileged to false")


def _no_privilege_escalation(args: ResourceValidationArgs, pod: PodTemplate, report: Report) -> None:
    for c in containers(pod.spec):
        if c.security("allowPrivilegeEscalation") is not False:
            report(
                f"{c.label} may escalate privileges; set securityContext.allowPrivilegeEscalation to false"
            )


def _run_as_non_root(args: ResourceValidationArgs, pod: PodTemplate, report: Report) -> None:
    for c in containers(pod.spec):
        if effective_security(pod.spec, c, "runAsNonRoot") is not True:
            report(f"{c.label} may run as root; set runAsNonRoot: true (pod or container securityContext)")
        elif as_int(effective_security(pod.spec, c, "runAsUser")) == 0:
            report(f"{c.label} sets runAsUser 0; run as a non-zero UID")


def _read_only_root(args: ResourceValidationArgs, pod: PodTemplate, report: Report) -> None:
    for c in containers(pod.spec):
        if c.security("readOnlyRootFilesystem") is not True:
            report(
                f"{c.label} has a writable root filesystem; set securityContext.readOnlyRootFilesystem "
                "to true and mount an emptyDir where it must write"
            )


# Restricted Pod Security allows adding back only this one.
_ALLOWED_ADDED_CAPABILITIES = frozenset({"NET_BIND_SERVICE"})


def _drop_all_capabilities(args: ResourceValidationArgs, pod: PodTemplate, report: Report) -> None:
    for c in containers(pod.spec):
        capabilities = mapping(c.security("capabilities"))
        if "ALL" not in [str(x) for x in sequence(capabilities.get("drop"))]:
            report(f"{c.label} keeps default capabilities; add securityContext.capabilities.drop: [ALL]")
        added = {str(x) for x in sequence(capabilities.get("add"))} - _ALLOWED_ADDED_CAPABILITIES
        if added:
            report(
                f"{c.label} adds capabilities {sorted(added)}; remove them (only NET_BIND_SERVICE is allowed)"
            )


_SECCOMP_OK = ("RuntimeDefault", "Localhost")


def _seccomp(args: ResourceValidationArgs, pod: PodTemplate, report: Report) -> None:
    pod_profile = dig(pod.spec, "securityContext", "seccompProfile", "type")
    for c in containers(pod.spec):
        profile = dig(c.container, "securityContext", "seccompProfile", "type") or pod_profile
        if profile not in _SECCOMP_OK:
            report(
                f"{c.label} has seccomp profile {profile or 'unset'}; set the pod's "
                "securityContext.seccompProfile.type to RuntimeDefault"
            )


def _no_host_namespaces(args: ResourceValidationArgs, pod: PodTemplate, report: Report) -> None:
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.spec.get(field) is True:
            report(f"the pod shares the node's namespace ({field}: true); remove {field}")


def _no_host_ports_or_paths(args: ResourceValidationArgs, pod: PodTemplate, report: Report) -> None:
    for c in containers(pod.spec):
        for port in sequence(c.container.get("ports")):
            host_port = as_int(dig(port, "hostPort"))
            if host_port:
                report(f"{c.label} binds host port {host_port}; remove hostPort, use a Service")
    for volume in map(mapping, sequence(pod.spec.get("volumes"))):
        if volume.get("hostPath") is not None:
            report(
                f"volume {volume.get('name')!r} mounts a hostPath; use an emptyDir, PVC, ConfigMap or Secret"
            )


def _no_token_automount(args: ResourceValidationArgs, pod: PodTemplate, report: Report) -> None:
    if pod.spec.get("automountServiceAccountToken") is not False:
        report(
            "the pod mounts a service account token it does not need; set automountServiceAccountToken: false"
        )


def _requests_and_limits(args: ResourceValidationArgs, pod: PodTemplate, report: Report) -> None:
    for c in containers(pod.spec):
        resources = mapping(c.container.get("resources"))
        missing = [
            f"{section}.{resource}"
            for section in ("requests", "limits")
            for resource in ("cpu", "memory")
            if mapping(resources.get(section)).get(resource) in (None, "")
        ]
        if missing:
            report(f"{c.label} has no resources {', '.join(missing)}; set CPU and memory requests and limits")


def _serving_containers(args: ResourceValidationArgs, pod: PodTemplate) -> list[Container]:
    if kubernetes_kind(args) not in SERVING_KINDS:
        return []
    return list(containers(pod.spec, include_init=False))


def _probes(args: ResourceValidationArgs, pod: PodTemplate, report: Report) -> None:
    for c in _serving_containers(args, pod):
        for probe in ("readinessProbe", "livenessProbe"):
            if not mapping(c.container.get(probe)):
                report(f"{c.label} has no {probe}; add one that checks what the container serves")


def _probe_action(probe: Any) -> Any:
    probe = mapping(probe)
    return to_plain({key: probe.get(key) for key in ("httpGet", "tcpSocket", "exec", "grpc") if key in probe})


def _liveness_differs(args: ResourceValidationArgs, pod: PodTemplate, report: Report) -> None:
    for c in _serving_containers(args, pod):
        readiness, liveness = c.container.get("readinessProbe"), c.container.get("livenessProbe")
        if mapping(readiness) and mapping(liveness) and _probe_action(readiness) == _probe_action(liveness):
            report(
                f"{c.label} uses the same check for liveness and readiness; a dependency outage would "
                "restart healthy pods: make liveness a cheaper, local check"
            )


def _topology_spread(args: ResourceValidationArgs, pod: PodTemplate, report: Report) -> None:
    kind = kubernetes_kind(args)
    if kind not in ("Deployment", "StatefulSet"):
        return
    replicas = as_int(dig(args.props, "spec", "replicas"))
    if replicas is not None and replicas < 2:
        return  # a single replica has nothing to spread
    spread_keys = {dig(c, "topologyKey") for c in sequence(pod.spec.get("topologySpreadConstraints"))}
    anti_affinity = mapping(dig(pod.spec, "affinity", "podAntiAffinity"))
    if "kubernetes.io/hostname" not in spread_keys and not anti_affinity:
        report(
            "replicas may all land on one node; add a topologySpreadConstraint on "
            "kubernetes.io/hostname or a podAntiAffinity"
        )


def _selector_matches_template(args: ResourceValidationArgs, pod: PodTemplate, report: Report) -> None:
    if kubernetes_kind(args) not in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"):
        return
    selector = dig(args.props, "spec", "selector")
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
    report("a bare Pod is never rescheduled; run it from a Deployment, StatefulSet or Job")


def _namespaced(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    kind = kubernetes_kind(args)
    if kind is None or kind in CLUSTER_SCOPED_KINDS or kind.endswith("List"):
        return
    if object_namespace(args.props) in (None, "", "default"):
        report = subject_reporter(args, report_violation)
        report("lands in the 'default' namespace; set metadata.namespace to the stack's namespace")


_LABELS_CONFIG = {
    "labels": {
        "type": "array",
        "items": {"type": "string"},
        "default": [
            "app.kubernetes.io/name",
            "app.kubernetes.io/instance",
            "app.kubernetes.io/component",
            "app.kubernetes.io/part-of",
            "app.kubernetes.io/managed-by",
        ],
        "description": "labels every workload and its pod template carry",
    }
}


def _recommended_labels(args: ResourceValidationArgs, pod: PodTemplate, report: Report) -> None:
    required = settings(args, _LABELS_CONFIG)["labels"]
    workload_labels = mapping(dig(args.props, "metadata", "labels"))
    for where, labels in (("metadata.labels", workload_labels), ("the pod template", pod.labels)):
        missing = [label for label in required if label not in labels]
        if missing:
            report(f"{where} lacks the recommended labels {missing}; add them (components/k8s.labels does)")


def _edit_pod_spec(
    args: ResourceValidationArgs, edit: Callable[[dict[str, Any]], bool]
) -> dict[str, Any] | None:
    """Apply ``edit`` to a plain copy of the pod spec; the new props, or None when nothing changed."""
    template = pod_template(kubernetes_kind(args), args.props)
    if template is None:
        return None
    props = to_plain(args.props)
    spec: Any = props
    for key in template.spec_path:
        spec = spec.setdefault(key, {}) if isinstance(spec, dict) else None
    if not isinstance(spec, dict) or not edit(spec):
        return None
    return props


def _each_container(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for key in ("containers", "initContainers") for c in spec.get(key) or [] if isinstance(c, dict)]


def _set_seccomp(spec: dict[str, Any]) -> bool:
    changed = False
    pod_context = spec.setdefault("securityContext", {})
    if dig(pod_context, "seccompProfile", "type") not in _SECCOMP_OK:
        pod_context["seccompProfile"] = {"type": "RuntimeDefault"}
        changed = True
    for container in _each_container(spec):
        profile = dig(container, "securityContext", "seccompProfile", "type")
        if profile is not None and profile not in _SECCOMP_OK:
            container["securityContext"]["seccompProfile"] = {"type": "RuntimeDefault"}
            changed = True
    return changed


def _forbid_escalation(spec: dict[str, Any]) -> bool:
    changed = False
    for container in _each_container(spec):
        context = container.setdefault("securityContext", {})
        if context.get("allowPrivilegeEscalation") is not False:
            context["allowPrivilegeEscalation"] = False
            changed = True
    return changed


def _drop_all(spec: dict[str, Any]) -> bool:
    changed = False
    for container in _each_container(spec):
        capabilities = container.setdefault("securityContext", {}).setdefault("capabilities", {})
        drop = capabilities.setdefault("drop", [])
        if "ALL" not in drop:
            drop.append("ALL")
            changed = True
    return changed


def _no_automount(spec: dict[str, Any]) -> bool:
    if spec.get("automountServiceAccountToken") is False:
        return False
    spec["automountServiceAccountToken"] = False
    return True


def _remediation(edit: Callable[[dict[str, Any]], bool]) -> Callable[[ResourceValidationArgs], Any]:
    return lambda args: _edit_pod_spec(args, edit)


POLICIES = [
    resource_policy(
        name="k8s-no-privileged-containers",
        description="No container runs privileged (full access to the node).",
        severity=Severity.CRITICAL,
        validate=pod_policy(_no_privileged),
    ),
    resource_policy(
        name="k8s-no-privilege-escalation",
        description="Every container sets allowPrivilegeEscalation: false (no setuid gains).",
        severity=Severity.HIGH,
        validate=pod_policy(_no_privilege_escalation),
        remediate=_remediation(_forbid_escalation),
        remediation_steps="Set securityContext.allowPrivilegeEscalation: false on every container.",
    ),
    resource_policy(
        name="k8s-run-as-non-root",
        description="Every container runs as a non-root user (runAsNonRoot, never UID 0).",
        severity=Severity.HIGH,
        validate=pod_policy(_run_as_non_root),
    ),
    resource_policy(
        name="k8s-read-only-root-filesystem",
        description="Every container has a read-only root filesystem; writes go to declared volumes.",
        severity=Severity.MEDIUM,
        validate=pod_policy(_read_only_root),
    ),
    resource_policy(
        name="k8s-drop-all-capabilities",
        description="Every container drops ALL Linux capabilities and adds none but NET_BIND_SERVICE.",
        severity=Severity.HIGH,
        validate=pod_policy(_drop_all_capabilities),
        remediate=_remediation(_drop_all),
        remediation_steps="Add securityContext.capabilities.drop: [ALL] to every container.",
    ),
    resource_policy(
        name="k8s-seccomp-runtime-default",
        description="Pods run under the RuntimeDefault (or a Localhost) seccomp profile.",
        severity=Severity.MEDIUM,
        validate=pod_policy(_seccomp),
        remediate=_remediation(_set_seccomp),
        remediation_steps="Set the pod's securityContext.seccompProfile.type to RuntimeDefault.",
    ),
    resource_policy(
        name="k8s-no-host-namespaces",
        description="Pods do not share the node's network, PID or IPC namespace.",
        severity=Severity.CRITICAL,
        validate=pod_policy(_no_host_namespaces),
    ),
    resource_policy(
        name="k8s-no-host-ports-or-paths",
        description="Pods bind no host ports and mount no hostPath volumes.",
        severity=Severity.HIGH,
        validate=pod_policy(_no_host_ports_or_paths),
    ),
    resource_policy(
        name="k8s-no-service-account-token",
        description="Pods do not automount a Kubernetes API token (none of them calls the API).",
        severity=Severity.MEDIUM,
        validate=pod_policy(_no_token_automount),
        remediate=_remediation(_no_automount),
        remediation_steps="Set automountServiceAccountToken: false in the pod spec.",
    ),
    resource_policy(
        name="k8s-resource-requests-and-limits",
        description="Every container declares CPU and memory requests and limits.",
        severity=Severity.HIGH,
        validate=pod_policy(_requests_and_limits),
    ),
    resource_policy(
        name="k8s-readiness-and-liveness-probes",
        description="Every serving container has a readiness and a liveness probe.",
        severity=Severity.MEDIUM,
        validate=pod_policy(_probes),
    ),
    resource_policy(
        name="k8s-liveness-differs-from-readiness",
        description="Liveness and readiness probes check different things.",
        severity=Severity.LOW,
        enforcement=ADVISORY,
        validate=pod_policy(_liveness_differs),
    ),
    resource_policy(
        name="k8s-topology-spread",
        description="Replicated workloads spread over nodes (topology spread or pod anti-affinity).",
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
        description="No bare Pods: every pod is owned by a controller that reschedules it.",
        severity=Severity.MEDIUM,
        validate=object_policy(("Pod",), _no_bare_pods),
    ),
    resource_policy(
        name="k8s-no-default-namespace",
        description="Namespaced objects name their namespace, and it is not 'default'.",
        severity=Severity.MEDIUM,
        validate=_namespaced,
    ),
    resource_policy(
        name="k8s-recommended-labels",
        description="Workloads and their pods carry the recommended app.kubernetes.io labels.",
        severity=Severity.LOW,
        enforcement=ADVISORY,
        validate=pod_policy(_recommended_labels),
        config=_LABELS_CONFIG,
    ),
]
