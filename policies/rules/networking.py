"""Networking: default-deny namespaces, a NetworkPolicy per workload, no stray exposure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity, StackValidationArgs

from components.kubernetes.conventions import TIER_LABEL
from policies.kube import dig, is_empty_selector, mapping, policy_types, sequence, shown
from policies.spec import Report, object_policy, resource_policy, settings, stack_policy
from policies.stackview import KubeObject, StackView, Workload

_PUBLIC_TIERS_CONFIG = {
    "publicTiers": {
        "type": "array",
        "items": {"type": "string"},
        "default": ["cdn"],
        "description": f"values of the {TIER_LABEL} label whose pods may be reached from anywhere",
    }
}
_ANY_ADDRESS = ("0.0.0.0/0", "::/0")


def _no_node_port(args: ResourceValidationArgs, spec: Mapping[str, Any], report: Report) -> None:
    if spec.get("type") == "NodePort":
        report("type NodePort opens a port on every node; use ClusterIP (or a LoadBalancer for the CDN)")


def _allows_any_peer(rule: Mapping[str, Any], peers_key: str) -> bool:
    if peers_key not in rule:
        return True
    peers = sequence(rule.get(peers_key))
    if not peers:
        return True
    for peer in peers:
        peer = mapping(peer)
        if not peer or dig(peer, "ipBlock", "cidr") in _ANY_ADDRESS:
            return True
    return False


def _selects_only_public_tiers(pod_selector: Any, public: list[str]) -> bool:
    tier = dig(pod_selector, "matchLabels", TIER_LABEL)
    if tier is not None:
        return tier in public
    for expression in sequence(dig(pod_selector, "matchExpressions")):
        expression = mapping(expression)
        if expression.get("key") == TIER_LABEL and expression.get("operator") == "In":
            return bool(sequence(expression.get("values"))) and all(v in public for v in expression["values"])
    return False


def _scoped_rules(args: ResourceValidationArgs, spec: Mapping[str, Any], report: Report) -> None:
    public = list(settings(args, _PUBLIC_TIERS_CONFIG)["publicTiers"])
    for index, rule in enumerate(sequence(spec.get("ingress"))):
        rule = mapping(rule)
        if not _allows_any_peer(rule, "from"):
            continue
        if not sequence(rule.get("ports")):
            report(f"ingress rule {index} admits any source on any port; list sources or ports")
        elif not _selects_only_public_tiers(spec.get("podSelector"), public):
            report(
                f"ingress rule {index} admits any source but the policy selects pods outside the "
                f"public tiers {public}; restrict 'from' to the callers"
            )
    for index, rule in enumerate(sequence(spec.get("egress"))):
        rule = mapping(rule)
        if _allows_any_peer(rule, "to") and not sequence(rule.get("ports")):
            report(f"egress rule {index} allows any destination on any port; list them")


def _namespaces_with_workloads(view: StackView) -> dict[str | None, list[Workload]]:
    result: dict[str | None, list[Workload]] = {}
    for workload in view.workloads:
        result.setdefault(workload.namespace, []).append(workload)
    return result


def _is_default_deny(spec: Mapping[str, Any]) -> bool:
    return (
        is_empty_selector(spec.get("podSelector"))
        and {"Ingress", "Egress"} <= policy_types(spec)
        and not sequence(spec.get("ingress"))
        and not sequence(spec.get("egress"))
    )


def _default_deny(args: StackValidationArgs, report: ReportViolation) -> None:
    view = StackView(args.resources)
    policies = view.of_kind("NetworkPolicy")
    for namespace, workloads in _namespaces_with_workloads(view).items():
        if not any(p.namespace == namespace and _is_default_deny(p.spec) for p in policies):
            report(
                f"namespace {namespace}: {len(workloads)} workload(s) "
                "but no default-deny NetworkPolicy; add one "
                "with podSelector {} and policyTypes [Ingress, Egress] and no rules",
                workloads[0].urn,
            )


def _workload_network_policy(args: StackValidationArgs, report: ReportViolation) -> None:
    view = StackView(args.resources)
    for workload in view.workloads:
        missing = [t for t in ("Ingress", "Egress") if not view.isolating_policies(workload, t)]
        if missing:
            report(
                f"{workload.describe()}: no NetworkPolicy restricts its pods' {' or '.join(missing).lower()}"
                " traffic; add a default-deny for the namespace and policies that allow what it needs",
                workload.urn,
            )
        elif workload.serving and not view.ingress_policies_for(workload):
            report(
                f"{workload.describe()}: no NetworkPolicy selects its pods for ingress (only namespace-wide "
                "ones); add one that says who may call it",
                workload.urn,
            )


def _policy_selects_pods(args: StackValidationArgs, report: ReportViolation) -> None:
    view = StackView(args.resources)
    for policy in view.of_kind("NetworkPolicy"):
        selector = policy.spec.get("podSelector")
        if is_empty_selector(selector):
            continue  # namespace-wide: a default-deny guards pods yet to come too
        if not view.workloads_selected_by(selector, policy.namespace):
            report(
                f"{policy.describe()}: podSelector matches no pod declared in namespace {policy.namespace}; "
                "fix the selector or drop the policy",
                policy.urn,
            )


def _ingress_tls(args: ResourceValidationArgs, spec: Mapping[str, Any], report: Report) -> None:
    entries = [mapping(entry) for entry in sequence(spec.get("tls"))]
    if not entries:
        report("serves plain HTTP (no spec.tls); add a tls entry with the certificate's Secret")
        return
    if any(not sequence(entry.get("hosts")) for entry in entries):
        return  # a tls entry without hosts covers every host of the Ingress
    covered = [str(host) for entry in entries for host in sequence(entry.get("hosts"))]
    for rule in map(mapping, sequence(spec.get("rules"))):
        host = rule.get("host")
        if isinstance(host, str) and not any(host_matches(pattern, host) for pattern in covered):
            report(
                f"host {shown(host)} is not in any spec.tls hosts, so it is served over plain HTTP; add it"
            )


def host_matches(pattern: str, host: str) -> bool:
    """Does a TLS host entry (possibly ``*.example.com``) cover ``host``?"""
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and "." not in host[: -len(pattern) + 1]
    return pattern == host


def ingress_backends(ingress: KubeObject) -> list[tuple[str, Any, Any]]:
    """(path, service name, service port) of every backend an Ingress routes to, as its API version
    spells them (networking.k8s.io/v1: backend.service; the v1beta1 versions: serviceName and
    servicePort); a backend without a service (a resource backend) is left out, one of the wrong shape
    comes back with name None."""
    legacy = str(ingress.props.get("apiVersion")).endswith("v1beta1")
    candidates = [("(default backend)", ingress.spec.get("defaultBackend" if not legacy else "backend"))]
    for rule in map(mapping, sequence(ingress.spec.get("rules"))):
        for path in map(mapping, sequence(dig(rule, "http", "paths"))):
            candidates.append((str(path.get("path") or "/"), path.get("backend")))
    found = []
    for where, backend in candidates:
        backend = mapping(backend)
        if not backend or "resource" in backend:
            continue
        if legacy:
            found.append((where, backend.get("serviceName"), backend.get("servicePort")))
        else:
            port = mapping(dig(backend, "service", "port"))
            found.append((where, dig(backend, "service", "name"), port.get("number") or port.get("name")))
    return found


def _service_has_port(service: KubeObject, port: Any) -> bool:
    for declared in map(mapping, sequence(service.spec.get("ports"))):
        number = declared.get("port")
        if port is not None and (port == declared.get("name") or str(port) == str(number)):
            return True
    return False


def _ingress_targets_service(args: StackValidationArgs, report: ReportViolation) -> None:
    view = StackView(args.resources)
    for ingress in view.of_kind("Ingress"):
        for path, name, port in ingress_backends(ingress):
            service = view.find("Service", name, ingress.namespace) if isinstance(name, str) else None
            if service is None or not _service_has_port(service, port):
                report(
                    f"{ingress.describe()}: path {path} routes to service {name} port {port}, which is not "
                    f"declared in namespace {ingress.namespace}; point it at a declared Service and port",
                    ingress.urn,
                )


def _load_balancer_public_only(args: StackValidationArgs, report: ReportViolation) -> None:
    view = StackView(args.resources)
    public = list(settings(args, _PUBLIC_TIERS_CONFIG)["publicTiers"])
    for service in view.of_kind("Service"):
        if service.spec.get("type") != "LoadBalancer":
            continue
        selector = {"matchLabels": dict(mapping(service.spec.get("selector")))}
        targets = view.workloads_selected_by(selector, service.namespace)
        private = [w.describe() for w in targets if w.pod.labels.get(TIER_LABEL) not in public]
        if not targets or private:
            report(
                f"{service.describe()}: a LoadBalancer exposes "
                f"{private or 'unknown pods'} to the internet; only "
                f"the public tiers {public} may be exposed: use type ClusterIP",
                service.urn,
            )


POLICIES = [
    resource_policy(
        name="k8s-no-node-port-services",
        description="No NodePort Services (they open a port on every node).",
        severity=Severity.MEDIUM,
        validate=object_policy(("Service",), _no_node_port),
    ),
    resource_policy(
        name="k8s-network-policy-scoped-rules",
        description=(
            "NetworkPolicy rules name their peers; only public tiers admit any source, and only on ports."
        ),
        severity=Severity.HIGH,
        validate=object_policy(("NetworkPolicy",), _scoped_rules),
        config=_PUBLIC_TIERS_CONFIG,
    ),
    stack_policy(
        name="k8s-namespace-default-deny",
        description="Every namespace with workloads has a default-deny NetworkPolicy (ingress and egress).",
        severity=Severity.HIGH,
        validate=_default_deny,
    ),
    stack_policy(
        name="k8s-workload-network-policy",
        description=(
            "Every pod's ingress and egress are restricted by NetworkPolicies, and every long-running "
            "workload is selected by its own ingress NetworkPolicy. Stricter than kube-score's "
            "pod-networkpolicy, which accepts namespace-wide policies alone."
        ),
        severity=Severity.HIGH,
        validate=_workload_network_policy,
    ),
    stack_policy(
        name="k8s-network-policy-selects-pods",
        description="Every NetworkPolicy with a pod selector selects pods the stack declares.",
        severity=Severity.MEDIUM,
        validate=_policy_selects_pods,
    ),
    resource_policy(
        name="k8s-ingress-tls",
        description="Ingresses serve every host over TLS (spec.tls covers each rule's host).",
        severity=Severity.HIGH,
        validate=object_policy(("Ingress",), _ingress_tls),
    ),
    stack_policy(
        name="k8s-ingress-targets-service",
        description="Every Ingress backend names a Service the stack declares, on a port that Service has.",
        severity=Severity.HIGH,
        validate=_ingress_targets_service,
    ),
    stack_policy(
        name="k8s-load-balancer-public-tier-only",
        description="Only public-tier pods (the CDN) sit behind a LoadBalancer Service.",
        severity=Severity.HIGH,
        validate=_load_balancer_public_only,
        config=_PUBLIC_TIERS_CONFIG,
    ),
]
