"""Access to the Kubernetes API: no token a pod does not need, no exec into pods, no cluster-admin.

Rules are matched as the RBAC authorizer matches them (``*`` for groups, resources and verbs,
``*/exec`` for a subresource of any resource). Kubernetes' own bootstrap objects are exempt,
as in Polaris: roles and bindings named ``system:...``, the ``cluster-admin`` binding and the
``cluster-admin``, ``admin`` and ``edit`` roles, which the API server reconciles itself.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity, StackValidationArgs

from policies.kube import mapping, object_name, sequence
from policies.spec import Report, object_policy, resource_policy, stack_policy
from policies.stackview import KubeObject, StackView

_BOOTSTRAP_ROLES = ("cluster-admin", "admin", "edit")
# What Kubernetes' built-in user-facing ClusterRoles allow, for bindings to roles the stack does not declare.
_BUILT_IN_EXEC = {"cluster-admin": True, "admin": True, "edit": True, "view": False}
_EVERY_VERB = frozenset({"get", "list", "watch", "create", "update", "patch", "delete"})


def _strings(rule: Mapping[str, Any], key: str) -> set[str]:
    return {str(item) for item in sequence(rule.get(key))}


def grants_exec_or_attach(rule: Mapping[str, Any]) -> bool:
    """Does a PolicyRule let its subject exec or attach into pods (create, or get over a WebSocket)?"""
    resources = _strings(rule, "resources")
    return (
        bool(_strings(rule, "apiGroups") & {"", "*"})
        and bool(resources & {"*", "pods/exec", "pods/attach", "*/exec", "*/attach"})
        and bool(_strings(rule, "verbs") & {"*", "create", "get"})
    )


def grants_everything(rule: Mapping[str, Any]) -> bool:
    """Every verb on every resource of every group: cluster-admin by another name."""
    verbs = _strings(rule, "verbs")
    return (
        "*" in _strings(rule, "apiGroups")
        and "*" in _strings(rule, "resources")
        and ("*" in verbs or verbs >= _EVERY_VERB)
    )


def _rules(role: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [mapping(rule) for rule in sequence(role.get("rules"))]


def _is_bootstrap(kind: str, name: str | None) -> bool:
    if name is None:
        return False
    if name.startswith("system:"):
        return True
    return (kind == "ClusterRole" and name in _BOOTSTRAP_ROLES) or (
        kind == "ClusterRoleBinding" and name == "cluster-admin"
    )


def _role_exec(args: ResourceValidationArgs, spec: Mapping[str, Any], report: Report) -> None:
    kind = str(args.props.get("kind"))
    if _is_bootstrap(kind, object_name(args.props)):
        return
    for index, rule in enumerate(_rules(args.props)):
        if grants_exec_or_attach(rule):
            report(
                f"rules[{index}] lets its subjects exec or attach into pods (a shell in every container); "
                "drop pods/exec and pods/attach (and * resources) from the rule"
            )


def _bindings(view: StackView) -> list[KubeObject]:
    return [b for kind in ("RoleBinding", "ClusterRoleBinding") for b in view.of_kind(kind)]


def _role_of(view: StackView, binding: KubeObject) -> tuple[str, str, KubeObject | None]:
    """(kind, name, the declared role or None) of a binding's roleRef."""
    ref = mapping(binding.props.get("roleRef"))
    kind, name = str(ref.get("kind") or "?"), str(ref.get("name") or "?")
    namespace = binding.namespace if kind == "Role" else None
    return kind, name, view.find(kind, name, namespace)


def _bindings_to_check(view: StackView) -> Iterator[tuple[KubeObject, str, str, KubeObject | None]]:
    """(binding, role kind, role name, the declared role or None) of every non-bootstrap binding."""
    for binding in _bindings(view):
        if not _is_bootstrap(binding.kind, binding.name):
            yield (binding, *_role_of(view, binding))


def _binding_exec(args: StackValidationArgs, report: ReportViolation) -> None:
    for binding, kind, name, role in _bindings_to_check(StackView(args.resources)):
        if role is None:
            known = _BUILT_IN_EXEC.get(name) if kind == "ClusterRole" else None
            if known is False:
                continue
            problem = (
                f"binds the built-in ClusterRole {name}, which allows pods/exec and pods/attach"
                if known
                else f"binds {kind} {name}, which this stack does not declare, so what it allows is unknown"
            )
        elif role.props.get("aggregationRule"):
            # The controller fills its rules from every ClusterRole in the cluster that matches its
            # selectors (declared here or not): what it allows cannot be read from the stack.
            problem = (
                f"binds {kind} {name}, which aggregates other ClusterRoles by label, so what it allows "
                "is unknown"
            )
        elif any(grants_exec_or_attach(rule) for rule in _rules(role.props)):
            problem = f"binds {kind} {name}, which allows exec or attach into pods"
        else:
            continue
        report(f"{binding.describe()}: {problem}; bind a role without them", binding.urn)


def _binding_cluster_admin(args: StackValidationArgs, report: ReportViolation) -> None:
    for binding, kind, name, role in _bindings_to_check(StackView(args.resources)):
        if kind == "ClusterRole" and name == "cluster-admin":
            problem = "grants cluster-admin"
        elif role is not None and any(grants_everything(rule) for rule in _rules(role.props)):
            problem = f"binds {kind} {name}, which allows every verb on every resource (cluster-admin)"
        else:
            continue
        report(f"{binding.describe()}: {problem}; bind a role that lists what the subjects need", binding.urn)


def _service_account(pod_spec: Mapping[str, Any]) -> str:
    for key in ("serviceAccountName", "serviceAccount"):
        name = pod_spec.get(key)
        if isinstance(name, str) and name:
            return name
    return "default"


def _token_mounted(view: StackView, pod_spec: Mapping[str, Any], namespace: str | None) -> str | None:
    """Why the pod gets an API token (None when it does not): the pod's field, else its ServiceAccount's."""
    pod_setting = pod_spec.get("automountServiceAccountToken")
    if pod_setting is False:
        return None
    account = _service_account(pod_spec)
    if pod_setting is True:
        return "sets automountServiceAccountToken: true"
    declared = view.find("ServiceAccount", account, namespace)
    if declared is not None and declared.props.get("automountServiceAccountToken") is False:
        return None
    where = "does not disable it" if declared is not None else "is not declared here (the default mounts it)"
    return f"leaves automountServiceAccountToken unset and its ServiceAccount {account} {where}"


def _no_token(args: StackValidationArgs, report: ReportViolation) -> None:
    view = StackView(args.resources)
    for workload in view.workloads:
        reason = _token_mounted(view, workload.pod.spec, workload.namespace)
        if reason:
            report(
                f"{workload.describe()}: the pod mounts a Kubernetes API token it does not need: it "
                f"{reason}; set automountServiceAccountToken: false on the pod or its ServiceAccount",
                workload.urn,
            )


POLICIES = [
    stack_policy(
        name="k8s-no-service-account-token",
        description=(
            "Pods do not mount a Kubernetes API token (none of them calls the API): the pod or its "
            "ServiceAccount sets automountServiceAccountToken: false."
        ),
        severity=Severity.MEDIUM,
        validate=_no_token,
    ),
    resource_policy(
        name="k8s-rbac-no-pod-exec-attach",
        description=(
            "No Role or ClusterRole allows exec or attach into pods (pods/exec, pods/attach). Stricter "
            "than Polaris's clusterrolePodExecAttach and rolePodExecAttach, which also exempt the GKE "
            "add-on name gce:podsecuritypolicy:calico-sa."
        ),
        severity=Severity.HIGH,
        validate=object_policy(("Role", "ClusterRole"), _role_exec),
    ),
    stack_policy(
        name="k8s-rbac-binding-no-pod-exec-attach",
        description=(
            "No RoleBinding or ClusterRoleBinding grants a role that allows exec or attach into pods, "
            "or a role the stack does not declare or that aggregates others by label (its rules cannot be "
            "checked). Stricter than Polaris's "
            "clusterrolebindingPodExecAttach, rolebindingClusterRolePodExecAttach and "
            "rolebindingRolePodExecAttach, which also exempt the GKE add-on name "
            "gce:podsecuritypolicy:calico-sa."
        ),
        severity=Severity.HIGH,
        validate=_binding_exec,
    ),
    stack_policy(
        name="k8s-rbac-no-cluster-admin",
        description=(
            "No RoleBinding or ClusterRoleBinding grants cluster-admin or a role that allows every verb "
            "on every resource. Stricter than Polaris's clusterrolebindingClusterAdmin, "
            "rolebindingClusterAdminClusterRole and rolebindingClusterAdminRole, which also exempt the "
            "GKE add-on name gce:podsecuritypolicy:calico-sa."
        ),
        severity=Severity.CRITICAL,
        validate=_binding_cluster_admin,
    ),
]
