"""Pod hardening: Pod Security's restricted profile and then some, on every kind that runs pods.

Each rule reads the pod through policies.workloads (Pod, Deployment, ..., CronJob alike) and
the containers with init containers included: an init container runs on the same node with
the same kernel.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pulumi_policy import ResourceValidationArgs, Severity

from policies.kube import (
    Container,
    as_int,
    containers,
    dig,
    effective_security,
    mapping,
    sequence,
    shown,
    to_plain,
)
from policies.spec import Report, kubernetes_kind, pod_policy, resource_policy, settings
from policies.workloads import PodTemplate, pod_template


def _no_privileged(args: ResourceValidationArgs, pod: PodTemplate, report: Report) -> None:
    for c in containers(pod.spec):
        if c.security("privileged") is True:
            report(f"{c.label} runs privileged; set securityContext.privileged to false")


def _no_host_process(args: ResourceValidationArgs, pod: PodTemplate, report: Report) -> None:
    if dig(pod.spec, "securityContext", "windowsOptions", "hostProcess") is True:
        report("the pod runs as a Windows HostProcess (full access to the node); remove hostProcess")
    for c in containers(pod.spec):
        if dig(c.container, "securityContext", "windowsOptions", "hostProcess") is True:
            report(f"{c.label} runs as a Windows HostProcess (full access to the node); remove hostProcess")


def _default_proc_mount(args: ResourceValidationArgs, pod: PodTemplate, report: Report) -> None:
    for c in containers(pod.spec):
        mount = c.security("procMount")
        if mount is not None and mount != "Default":
            report(f"{c.label} sets procMount {shown(mount)}, unmasking /proc; remove it (Default)")


def _no_privilege_escalation(args: ResourceValidationArgs, pod: PodTemplate, report: Report) -> None:
    for c in containers(pod.spec):
        if c.security("allowPrivilegeEscalation") is not False:
            report(
                f"{c.label} may escalate privileges; set securityContext.allowPrivilegeEscalation to false"
            )


_IDS_CONFIG = {
    "minimumId": {
        "type": "integer",
        "minimum": 1,
        "default": 10000,
        "description": "lowest runAsUser and runAsGroup (IDs below collide with the node's users)",
    }
}


def _run_as_non_root(args: ResourceValidationArgs, pod: PodTemplate, report: Report) -> None:
    floor = settings(args, _IDS_CONFIG)["minimumId"]
    for c in containers(pod.spec):
        if effective_security(pod.spec, c, "runAsNonRoot") is not True:
            report(f"{c.label} may run as root; set runAsNonRoot: true (pod or container securityContext)")
        for field in ("runAsUser", "runAsGroup"):
            value = effective_security(pod.spec, c, field)
            number = as_int(value)
            if number is None or number < floor:
                shown = "unset" if value is None else repr(value)
                report(f"{c.label} has {field} {shown}; set it to an ID of at least {floor}")


def _read_only_root(args: ResourceValidationArgs, pod: PodTemplate, report: Report) -> None:
    for c in containers(pod.spec):
        if c.security("readOnlyRootFilesystem") is not True:
            report(
                f"{c.label} has a writable root filesystem; set securityContext.readOnlyRootFilesystem "
                "to true and mount an emptyDir where it must write"
            )


# Restricted Pod Security allows adding back only this one, spelled exactly so.
_ALLOWED_ADDED_CAPABILITIES = frozenset({"NET_BIND_SERVICE"})


def _drop_all_capabilities(args: ResourceValidationArgs, pod: PodTemplate, report: Report) -> None:
    for c in containers(pod.spec):
        capabilities = mapping(c.security("capabilities"))
        if "ALL" not in [x for x in sequence(capabilities.get("drop")) if isinstance(x, str)]:
            report(f"{c.label} keeps default capabilities; add securityContext.capabilities.drop: [ALL]")
        added = {str(x) for x in sequence(capabilities.get("add"))} - _ALLOWED_ADDED_CAPABILITIES
        if added:
            report(
                f"{c.label} adds capabilities {sorted(added)}; remove them (only NET_BIND_SERVICE is allowed)"
            )


_SECCOMP_OK = ("RuntimeDefault", "Localhost")
_POD_SECCOMP_ANNOTATION = "seccomp.security.alpha.kubernetes.io/pod"
_CONTAINER_SECCOMP_ANNOTATION = "container.seccomp.security.alpha.kubernetes.io/"


def _seccomp_annotation(pod: PodTemplate, container: Container) -> Any:
    return pod.annotations.get(_CONTAINER_SECCOMP_ANNOTATION + container.name) or pod.annotations.get(
        _POD_SECCOMP_ANNOTATION
    )


def _seccomp(args: ResourceValidationArgs, pod: PodTemplate, report: Report) -> None:
    pod_profile = dig(pod.spec, "securityContext", "seccompProfile", "type")
    for c in containers(pod.spec):
        profile = dig(c.container, "securityContext", "seccompProfile", "type") or pod_profile
        if profile in _SECCOMP_OK:
            continue
        annotation = _seccomp_annotation(pod, c)
        if profile is None and annotation is not None:
            report(
                f"{c.label} relies on the seccomp annotation ({shown(annotation)}), which kubelets "
                "ignore since Kubernetes 1.25; set securityContext.seccompProfile.type to RuntimeDefault"
            )
        else:
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
                f"volume {shown(volume.get('name'))} mounts a hostPath; use an emptyDir, PVC, ConfigMap "
                "or Secret"
            )


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


def _context(holder: dict[str, Any]) -> dict[str, Any] | None:
    """The holder's securityContext as a dict to edit (created when missing), None when malformed."""
    context = holder.setdefault("securityContext", {})
    return context if isinstance(context, dict) else None


def _set_seccomp(spec: dict[str, Any]) -> bool:
    changed = False
    pod_context = _context(spec)
    if pod_context is None:
        return False
    if dig(pod_context, "seccompProfile", "type") not in _SECCOMP_OK:
        pod_context["seccompProfile"] = {"type": "RuntimeDefault"}
        changed = True
    for container in _each_container(spec):
        context = _context(container)
        profile = dig(context, "seccompProfile", "type")
        if context is not None and profile is not None and profile not in _SECCOMP_OK:
            context["seccompProfile"] = {"type": "RuntimeDefault"}
            changed = True
    return changed


def _forbid_escalation(spec: dict[str, Any]) -> bool:
    changed = False
    for container in _each_container(spec):
        context = _context(container)
        if context is not None and context.get("allowPrivilegeEscalation") is not False:
            context["allowPrivilegeEscalation"] = False
            changed = True
    return changed


def _drop_all(spec: dict[str, Any]) -> bool:
    changed = False
    for container in _each_container(spec):
        context = _context(container)
        capabilities = context.setdefault("capabilities", {}) if context is not None else None
        drop = capabilities.setdefault("drop", []) if isinstance(capabilities, dict) else None
        if isinstance(drop, list) and "ALL" not in drop:
            drop.append("ALL")
            changed = True
    return changed


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
        name="k8s-no-host-process",
        description="No pod or container runs as a Windows HostProcess (full access to the node).",
        severity=Severity.CRITICAL,
        validate=pod_policy(_no_host_process),
    ),
    resource_policy(
        name="k8s-default-proc-mount",
        description="Containers keep the default, masked /proc (no procMount: Unmasked).",
        severity=Severity.HIGH,
        validate=pod_policy(_default_proc_mount),
    ),
    resource_policy(
        name="k8s-no-privilege-escalation",
        description=(
            "Every container sets allowPrivilegeEscalation: false (no setuid gains). Stricter than "
            "Polaris's privilegeEscalationAllowed, which also accepts the field on the pod, where "
            "Kubernetes has no such field."
        ),
        severity=Severity.HIGH,
        validate=pod_policy(_no_privilege_escalation),
        remediate=_remediation(_forbid_escalation),
        remediation_steps="Set securityContext.allowPrivilegeEscalation: false on every container.",
    ),
    resource_policy(
        name="k8s-run-as-non-root",
        description=(
            "Every container runs as a non-root user and group: runAsNonRoot: true and runAsUser and "
            "runAsGroup of at least 10000. Stricter than Polaris's runAsRootAllowed, which accepts "
            "runAsNonRoot or any non-zero UID alone, and than kube-score's "
            "container-security-context-user-group-id, which accepts high IDs without runAsNonRoot."
        ),
        severity=Severity.HIGH,
        validate=pod_policy(_run_as_non_root),
        config=_IDS_CONFIG,
    ),
    resource_policy(
        name="k8s-read-only-root-filesystem",
        description=(
            "Every container has a read-only root filesystem; writes go to declared volumes. Stricter "
            "than Polaris's notReadOnlyRootFilesystem, which also accepts the field on the pod, where "
            "Kubernetes has no such field."
        ),
        severity=Severity.MEDIUM,
        validate=pod_policy(_read_only_root),
    ),
    resource_policy(
        name="k8s-drop-all-capabilities",
        description=(
            "Every container drops ALL Linux capabilities (spelled exactly so, as Pod Security does) and "
            "adds none but NET_BIND_SERVICE. Stricter than Polaris's insecureCapabilities, which accepts "
            "'all' in any case or a list of 15 named capabilities, and than its linuxHardening, which "
            "accepts dropping any one capability or seccomp or SELinux or AppArmor instead."
        ),
        severity=Severity.HIGH,
        validate=pod_policy(_drop_all_capabilities),
        remediate=_remediation(_drop_all),
        remediation_steps="Add securityContext.capabilities.drop: [ALL] to every container.",
    ),
    resource_policy(
        name="k8s-seccomp-runtime-default",
        description=(
            "Pods run under the RuntimeDefault (or a Localhost) seccomp profile, set in the "
            "securityContext. Stricter than Polaris's linuxHardening, which accepts seccomp or dropped "
            "capabilities or SELinux or AppArmor (the pack requires both seccomp and dropped "
            "capabilities), and than kube-score's container-seccomp-profile, which accepts the "
            "seccomp annotations that kubelets ignore since Kubernetes 1.25."
        ),
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
]
