"""Every Kubernetes object the program declares is valid, strict, for Kubernetes 1.30 and the latest."""

from __future__ import annotations

import kubernetes_validate
import pytest
from kubernetes_validate.utils import latest_version

from preview.manifests import kubernetes_manifest
from preview.synth import Synthesis
from preview.validate import validate_manifests

VERSIONS = ("1.30.0", latest_version())


@pytest.mark.parametrize("version", VERSIONS)
def test_every_kubernetes_object_validates_strictly(synthesis: Synthesis, version: str) -> None:
    objects = [kubernetes_manifest(r) for r in synthesis.resources if r.is_kubernetes and r.custom]
    assert len(objects) >= 20

    result = validate_manifests(objects, version)

    # Built-in kinds against the Kubernetes schemas, custom resources against their CRDs'.
    assert [str(problem) for problem in result.problems] == []
    assert result.unchecked == []
    assert result.checked == len(objects)


def test_a_certificate_is_checked_against_cert_managers_published_schema(synthesis: Synthesis) -> None:
    (certificate,) = [r for r in synthesis.resources if r.type == "kubernetes:cert-manager.io/v1:Certificate"]
    manifest = kubernetes_manifest(certificate)
    manifest["spec"]["dnsName"] = manifest["spec"].pop("dnsNames")
    manifest["spec"]["issuerRef"].pop("name")
    problems = validate_manifests([manifest], VERSIONS[-1]).problems
    assert sorted((problem.path, problem.message) for problem in problems) == [
        ("spec", "Additional properties are not allowed ('dnsName' was unexpected)"),
        ("spec.issuerRef", "'name' is a required property"),
    ]


def test_schema_validation_catches_a_misspelled_field(synthesis: Synthesis) -> None:
    deployment = next(r for r in synthesis.resources if r.type == "kubernetes:apps/v1:Deployment")
    manifest = kubernetes_manifest(deployment)
    manifest["spec"]["template"]["spec"]["containers"][0]["imagePullPolice"] = "Always"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(manifest, VERSIONS[-1], strict=True)
