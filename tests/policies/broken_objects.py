"""Objects of every kind the pack reads, broken one field at a time: the field missing, null, or of
the wrong type. No rule may raise on any of them (tests/policies/test_generated_corpus.py)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from preview.synth import DeclaredResource
from tests.policies.builders import hpa, kube, service
from tests.policies.corpus import Stack, compliant_stack
from tests.policies.kinds import binding, role, rule


def _other_objects() -> Stack:
    """Kinds and API versions the compliant stack does not show, written out in full."""
    v1_hpa = kube(
        "HorizontalPodAutoscaler",
        "v1",
        {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
            "minReplicas": 2,
            "maxReplicas": 5,
            "targetCPUUtilizationPercentage": 70,
        },
        edit=lambda i: i.update(apiVersion="autoscaling/v1"),
    )
    legacy_ingress = kube(
        "Ingress",
        "legacy",
        {
            "backend": {"serviceName": "web", "servicePort": 80},
            "rules": [
                {
                    "host": "a.example.com",
                    "http": {
                        "paths": [{"path": "/", "backend": {"serviceName": "web", "servicePort": "http"}}]
                    },
                }
            ],
            "tls": [{"hosts": ["a.example.com"], "secretName": "t"}],
        },
        edit=lambda i: i.update(apiVersion="networking.k8s.io/v1beta1"),
    )
    return [
        hpa(
            "web",
            behavior={
                "scaleUp": {
                    "stabilizationWindowSeconds": 0,
                    "selectPolicy": "Max",
                    "policies": [{"type": "Pods", "value": 4, "periodSeconds": 15}],
                }
            },
        ),
        v1_hpa,
        legacy_ingress,
        role("cluster-reader", rule([""], ["pods"], ["get"]), kind="ClusterRole"),
        binding("cluster-read", "ClusterRole", "cluster-reader", kind="ClusterRoleBinding"),
        kube("ServiceAccount", "web", None, automountServiceAccountToken=False),
        kube("ConfigMap", "settings", None, data={"app.ini": "mode = fast\n"}),
        service("edge", type_="LoadBalancer"),
    ]


def every_kind() -> Stack:
    return [*compliant_stack(), *_other_objects()]


Path = tuple[Any, ...]


def paths(value: Any, prefix: Path = ()) -> Iterator[Path]:
    """Every key or index path inside ``value`` (not the root)."""
    children = (
        value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    )
    for key, child in children:
        yield (*prefix, key)
        yield from paths(child, (*prefix, key))


def _replaced(inputs: dict[str, Any], path: Path, value: Any, remove: bool) -> dict[str, Any]:
    broken = copy.deepcopy(inputs)
    holder: Any = broken
    for key in path[:-1]:
        holder = holder[key]
    if remove:
        del holder[path[-1]]
    else:
        holder[path[-1]] = value
    return broken


def _wrong_types(value: Any) -> tuple[Any, Any]:
    """Two values of another type than ``value``: one scalar, one container."""
    if isinstance(value, dict):
        return "not-a-mapping", ["not", "a", "mapping"]
    if isinstance(value, list):
        return "not-a-list", {"not": "a list"}
    if isinstance(value, str):
        return 7, [value]
    return "not-a-number", [value]


def broken_variants(item: DeclaredResource) -> Iterator[DeclaredResource]:
    """The object with each field in turn removed (the optional field left out), set to null, and
    set to a scalar and to a container of the wrong type."""
    for index, path in enumerate(paths(item.inputs)):
        original: Any = item.inputs
        for key in path:
            original = original[key]
        scalar, container = _wrong_types(original)
        changes = (
            ("missing", True, None),
            ("null", False, None),
            ("scalar", False, scalar),
            ("container", False, container),
        )
        for label, remove, value in changes:
            inputs = _replaced(item.inputs, path, value, remove)
            name = f"{item.name}-{label}-{index}"
            yield DeclaredResource(f"{item.urn}-{label}-{index}", item.type, name, None, True, inputs)
