"""The schema check names the object and the field, and refuses versions it has no schemas for."""

from __future__ import annotations

from typing import Any

import pytest

from preview.validate import UnsupportedVersionError, schema_version, validate_manifests

DEPLOYMENT: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "shop"},
    "spec": {
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "web", "image": "nginx:1.27.2"}]},
        },
    },
}


def test_a_valid_object_has_no_problems() -> None:
    result = validate_manifests([DEPLOYMENT], "1.37")
    assert result.problems == [] and result.checked == 1


def test_every_problem_names_the_object_and_the_field() -> None:
    broken = {**DEPLOYMENT, "spec": {**DEPLOYMENT["spec"], "replicas": "three"}}
    container = {"name": "web", "image": "nginx:1.27.2", "imagePullPolcy": "Always"}
    broken["spec"]["template"] = {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [container]}}
    problems = [str(p) for p in validate_manifests([broken], "1.37").problems]
    assert problems == [
        "Deployment shop/web: spec.replicas: 'three' is not of type 'integer', 'null'",
        "Deployment shop/web: spec.template.spec.containers[0]: "
        "Additional properties are not allowed ('imagePullPolcy' was unexpected)",
    ]


def test_kinds_without_a_schema_are_listed_not_passed_silently() -> None:
    monitor = {"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor", "metadata": {"name": "m"}}
    result = validate_manifests([monitor], "1.37")
    assert result.checked == 0 and result.unchecked == ["ServiceMonitor m (monitoring.coreos.com/v1)"]


def test_versions_resolve_to_their_installed_schemas_or_fail_clearly() -> None:
    assert schema_version("v1.36.3").startswith("1.36")
    with pytest.raises(UnsupportedVersionError, match=r"--kubernetes-version 1\.9"):
        schema_version("1.9")
