"""Tolerant readers for Kubernetes objects as Pulumi hands them to policies.

Props use wire (camelCase) names and arrive as Mapping/Sequence proxies during a real
preview, so every reader checks shapes with the abstract types and never assumes a field.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

CLUSTER_SCOPED_KINDS = frozenset(
    {
        "Namespace",
        "Node",
        "PersistentVolume",
        "StorageClass",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "PriorityClass",
        "IngressClass",
        "RuntimeClass",
        "MutatingWebhookConfiguration",
        "ValidatingWebhookConfiguration",
        "APIService",
        "CSIDriver",
    }
)


def mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def sequence(value: Any) -> Sequence[Any]:
    return value if isinstance(value, Sequence) and not isinstance(value, str | bytes) else ()


def dig(value: Any, *path: str) -> Any:
    """``value[path[0]][path[1]]...`` or None as soon as a level is missing or not a mapping."""
    for key in path:
        if not isinstance(value, Mapping) or key not in value:
            return None
        value = value[key]
    return value


def to_plain(value: Any) -> Any:
    """A deep plain-dict/list copy (proxies and tuples included), for remediations."""
    if isinstance(value, Mapping):
        return {str(key): to_plain(item) for key, item in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [to_plain(item) for item in value]
    return value


def kind_of(resource_type: str, props: Mapping[str, Any]) -> str | None:
    """The kind of a Kubernetes object (the typed resources send ``apiVersion`` and ``kind``).

    Anything else from the provider (Helm releases, YAML bundles) has no kind and is ignored.
    """
    if not resource_type.startswith("kubernetes:") or not isinstance(props, Mapping):
        return None
    kind = props.get("kind")
    return kind if isinstance(kind, str) and kind else None


def policy_types(spec: Mapping[str, Any]) -> set[str]:
    """A NetworkPolicy's policyTypes, defaulted as the API server does when omitted."""
    declared = {str(t) for t in sequence(spec.get("policyTypes"))}
    if declared:
        return declared
    return {"Ingress", *(["Egress"] if sequence(spec.get("egress")) else [])}


def as_int(value: Any) -> int | None:
    """Integers arrive as floats from the engine (``3.0``); booleans are not numbers."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def object_name(props: Mapping[str, Any]) -> str | None:
    name = dig(props, "metadata", "name")
    return name if isinstance(name, str) else None


def object_namespace(props: Mapping[str, Any]) -> str | None:
    namespace = dig(props, "metadata", "namespace")
    return namespace if isinstance(namespace, str) else None


@dataclass(frozen=True)
class Container:
    container: Mapping[str, Any]
    init: bool

    @property
    def name(self) -> str:
        name = self.container.get("name")
        return name if isinstance(name, str) else "<unnamed>"

    @property
    def label(self) -> str:
        return f"{'init container' if self.init else 'container'} {self.name!r}"

    @property
    def command_line(self) -> str:
        """``command`` and ``args`` as one line, as ``ps`` would show them."""
        return " ".join(
            str(word) for key in ("command", "args") for word in sequence(self.container.get(key))
        )

    def security(self, key: str) -> Any:
        return dig(self.container, "securityContext", key)


def containers(spec: Mapping[str, Any], *, include_init: bool = True) -> Iterator[Container]:
    for item in sequence(spec.get("containers")):
        if isinstance(item, Mapping):
            yield Container(item, init=False)
    if include_init:
        for item in sequence(spec.get("initContainers")):
            if isinstance(item, Mapping):
                yield Container(item, init=True)


def effective_security(pod_spec: Mapping[str, Any], container: Container, key: str) -> Any:
    """A container's security setting, falling back to the pod's (as the kubelet does)."""
    value = container.security(key)
    if value is None:
        value = dig(pod_spec, "securityContext", key)
    return value


def selector_matches(selector: Any, labels: Mapping[str, Any]) -> bool:
    """Does a LabelSelector (``matchLabels`` / ``matchExpressions``) select these labels?

    An empty selector selects everything (as NetworkPolicy and PDB podSelectors do).
    """
    selector = mapping(selector)
    for key, value in mapping(selector.get("matchLabels")).items():
        if labels.get(key) != value:
            return False
    for expression in sequence(selector.get("matchExpressions")):
        if not _expression_matches(mapping(expression), labels):
            return False
    return True


def _expression_matches(expression: Mapping[str, Any], labels: Mapping[str, Any]) -> bool:
    key, operator = str(expression.get("key")), expression.get("operator")
    values = [str(v) for v in sequence(expression.get("values"))]
    present = key in labels
    if operator == "In":
        return present and str(labels[key]) in values
    if operator == "NotIn":
        return not present or str(labels[key]) not in values
    if operator == "Exists":
        return present
    if operator == "DoesNotExist":
        return not present
    return False


def is_empty_selector(selector: Any) -> bool:
    selector = mapping(selector)
    return not mapping(selector.get("matchLabels")) and not sequence(selector.get("matchExpressions"))


_QUANTITY = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$")
_QUANTITY_SCALE: dict[str | None, Decimal] = {
    None: Decimal(1),
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "k": Decimal(10**3),
    "M": Decimal(10**6),
    "G": Decimal(10**9),
    "T": Decimal(10**12),
    "P": Decimal(10**15),
    "E": Decimal(10**18),
    **{suffix: Decimal(1024**power) for power, suffix in enumerate(("Ki", "Mi", "Gi", "Ti", "Pi", "Ei"), 1)},
}


def quantity(value: Any) -> Decimal | None:
    """A Kubernetes resource quantity (``500m``, ``1Gi``, ``2``, ``1e3``) as a number, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return Decimal(str(value))
    match = _QUANTITY.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        return None
    return Decimal(match.group(1)) * _QUANTITY_SCALE[match.group(2)]


def shown(value: Any) -> str:
    """A value as a message quotes it: plain Python (never an engine proxy's repr)."""
    return repr(to_plain(value))


def type_name(value: Any) -> str:
    """What a YAML reader would call the value's type."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, Mapping):
        return "mapping"
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return "list"
    return "null" if value is None else type(value).__name__
