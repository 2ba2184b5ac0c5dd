"""Object metadata and API versions: our namespace, the recommended labels, labels the API accepts,
API versions the target Kubernetes release still serves."""

from __future__ import annotations

import re
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from policies.kube import CLUSTER_SCOPED_KINDS, dig, mapping, object_name, object_namespace, shown, type_name
from policies.spec import (
    ADVISORY,
    Report,
    kubernetes_kind,
    pod_policy,
    resource_policy,
    settings,
    subject_reporter,
)
from policies.workloads import PodTemplate, pod_template

# The Kubernetes release the pack judges against (the preview validates against the same one).
TARGET_KUBERNETES_VERSION = "1.37"


def _namespaced(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    kind = kubernetes_kind(args)
    if kind is None or kind in CLUSTER_SCOPED_KINDS or kind.endswith("List"):
        return
    if object_namespace(args.props) in (None, "", "default"):
        report = subject_reporter(args, report_violation)
        report("lands in the 'default' namespace; set metadata.namespace to the stack's namespace")


INSTANCE_LABEL = "app.kubernetes.io/instance"
_LABELS_CONFIG = {
    "labels": {
        "type": "array",
        "items": {"type": "string"},
        "default": [
            "app.kubernetes.io/name",
            INSTANCE_LABEL,
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
    places = [("metadata.labels", workload_labels)]
    if pod.kind != "Pod":  # a bare Pod is its own template
        places.append(("the pod template", pod.labels))
    for where, labels in places:
        missing = [label for label in required if label not in labels]
        if missing:
            report(
                f"{where} lacks the recommended labels {missing}; "
                "add them (components/kubernetes/conventions.py: labels() does)"
            )
    name, instance = object_name(args.props), workload_labels.get(INSTANCE_LABEL)
    if instance is not None and name is not None and instance != name:
        report(
            f"metadata.labels {INSTANCE_LABEL} is {shown(instance)}, not its name {name!r}; make them equal"
        )


# Label syntax as the API validates it: a name of <= 63 characters, an optional DNS-subdomain prefix.
_LABEL_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def label_problem(key: Any, value: Any) -> str | None:
    """Why the API would reject this label, or None."""
    if not isinstance(key, str):
        return "has a key that is not a string"
    prefix, _, name = key.rpartition("/")
    if prefix and (len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix)):
        return f"key {shown(key)} has an invalid prefix (a DNS subdomain)"
    if len(name) > 63 or not _LABEL_NAME.match(name):
        return f"key {shown(key)} is not a valid label name"
    if not isinstance(value, str):
        return f"{shown(key)} has a {type_name(value)} value; label values are strings (quote it)"
    if len(value) > 63 or not _LABEL_VALUE.match(value):
        return f"{shown(key)} has the value {shown(value)}, which is not a valid label value"
    return None


def _labels_valid(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if kubernetes_kind(args) is None:
        return
    report = subject_reporter(args, report_violation)
    template = pod_template(kubernetes_kind(args), args.props)
    places = [("metadata.labels", mapping(dig(args.props, "metadata", "labels")))]
    if template is not None and template.spec_path != ("spec",):
        places.append(("the pod template's labels", template.labels))
    for where, labels in places:
        for key, value in labels.items():
            problem = label_problem(key, value)
            if problem:
                report(f"{where}: {problem}; the API server rejects the object")


# (apiVersion, kind) -> (the stable apiVersion, the release that serves it).
_DEPRECATED: dict[tuple[str, str], tuple[str, str]] = {
    **{("extensions/v1beta1", k): ("apps/v1", "1.9") for k in ("Deployment", "DaemonSet", "ReplicaSet")},
    **{("apps/v1beta1", k): ("apps/v1", "1.9") for k in ("Deployment", "StatefulSet", "ReplicaSet")},
    **{
        ("apps/v1beta2", k): ("apps/v1", "1.9")
        for k in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")
    },
    ("extensions/v1beta1", "NetworkPolicy"): ("networking.k8s.io/v1", "1.8"),
    ("extensions/v1beta1", "Ingress"): ("networking.k8s.io/v1", "1.19"),
    ("networking.k8s.io/v1beta1", "Ingress"): ("networking.k8s.io/v1", "1.19"),
    ("networking.k8s.io/v1beta1", "IngressClass"): ("networking.k8s.io/v1", "1.19"),
    ("batch/v1beta1", "CronJob"): ("batch/v1", "1.21"),
    ("batch/v2alpha1", "CronJob"): ("batch/v1", "1.21"),
    ("policy/v1beta1", "PodDisruptionBudget"): ("policy/v1", "1.21"),
    ("autoscaling/v2beta1", "HorizontalPodAutoscaler"): ("autoscaling/v2", "1.23"),
    ("autoscaling/v2beta2", "HorizontalPodAutoscaler"): ("autoscaling/v2", "1.23"),
    **{
        ("rbac.authorization.k8s.io/v1beta1", k): ("rbac.authorization.k8s.io/v1", "1.8")
        for k in ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")
    },
    ("scheduling.k8s.io/v1beta1", "PriorityClass"): ("scheduling.k8s.io/v1", "1.14"),
    ("storage.k8s.io/v1beta1", "StorageClass"): ("storage.k8s.io/v1", "1.6"),
    ("storage.k8s.io/v1beta1", "CSIDriver"): ("storage.k8s.io/v1", "1.18"),
    ("apiextensions.k8s.io/v1beta1", "CustomResourceDefinition"): ("apiextensions.k8s.io/v1", "1.16"),
    **{
        ("admissionregistration.k8s.io/v1beta1", k): ("admissionregistration.k8s.io/v1", "1.16")
        for k in ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration")
    },
    ("discovery.k8s.io/v1beta1", "EndpointSlice"): ("discovery.k8s.io/v1", "1.21"),
    ("node.k8s.io/v1beta1", "RuntimeClass"): ("node.k8s.io/v1", "1.20"),
    ("certificates.k8s.io/v1beta1", "CertificateSigningRequest"): ("certificates.k8s.io/v1", "1.19"),
}
# Removed with no successor: (apiVersion, kind) -> the release that no longer serves it.
_REMOVED = {
    ("policy/v1beta1", "PodSecurityPolicy"): "1.25",
    ("extensions/v1beta1", "PodSecurityPolicy"): "1.16",
}

_VERSION_CONFIG = {
    "kubernetesVersion": {
        "type": "string",
        "pattern": r"^\d+\.\d+$",
        "default": TARGET_KUBERNETES_VERSION,
        "description": "the Kubernetes release the objects are meant for (major.minor)",
    }
}


def _release(version: str) -> tuple[int, int]:
    major, minor = version.split(".")
    return int(major), int(minor)


def _stable_api_version(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    kind, api_version = kubernetes_kind(args), args.props.get("apiVersion")
    if kind is None or not isinstance(api_version, str):
        return
    target = _release(settings(args, _VERSION_CONFIG)["kubernetesVersion"])
    report = subject_reporter(args, report_violation)
    if (api_version, kind) in _REMOVED and target >= _release(_REMOVED[(api_version, kind)]):
        removed = _REMOVED[(api_version, kind)]
        report(f"{api_version} {kind} is gone since Kubernetes {removed}, with no successor; drop it")
    elif (api_version, kind) in _DEPRECATED:
        stable, since = _DEPRECATED[(api_version, kind)]
        if target >= _release(since):
            report(f"uses the deprecated {api_version}; use {stable} (served since Kubernetes {since})")


POLICIES = [
    resource_policy(
        name="k8s-no-default-namespace",
        description="Namespaced objects name their namespace, and it is not 'default'.",
        severity=Severity.MEDIUM,
        validate=_namespaced,
    ),
    resource_policy(
        name="k8s-recommended-labels",
        description=(
            "Workloads and their pods carry the recommended app.kubernetes.io labels, and a workload's "
            "app.kubernetes.io/instance is its own name."
        ),
        severity=Severity.LOW,
        enforcement=ADVISORY,
        validate=pod_policy(_recommended_labels),
        config=_LABELS_CONFIG,
    ),
    resource_policy(
        name="k8s-label-values-valid",
        description="Every label key and value is one the API server accepts.",
        severity=Severity.MEDIUM,
        validate=_labels_valid,
    ),
    resource_policy(
        name="k8s-stable-api-version",
        description="Objects use an API version the target Kubernetes release serves, not a deprecated one.",
        severity=Severity.MEDIUM,
        validate=_stable_api_version,
        config=_VERSION_CONFIG,
    ),
]
