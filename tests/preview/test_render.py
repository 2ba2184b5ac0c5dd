"""Both stacks render to valid manifests, deterministically, with plain integers."""

from __future__ import annotations

from pathlib import Path

import yaml

from preview.manifests import rendered_documents
from preview.policy_run import run_pack
from preview.rendering import INDEX_FILE, rendering_of, write_rendering
from preview.synth import Synthesis
from preview.validate import DEFAULT_KUBERNETES_VERSION, supported_versions, validate_manifests
from tests.support.stacks import synthesize_stack


def _kubernetes_documents(synthesis: Synthesis) -> list[dict]:
    documents = rendered_documents(synthesis.resources)
    return [doc for path, doc in documents.items() if path.startswith("kubernetes/")]


def test_the_default_kubernetes_version_has_schemas_installed() -> None:
    assert DEFAULT_KUBERNETES_VERSION in supported_versions()


def test_every_kubernetes_object_passes_the_strict_schemas(synthesis: Synthesis) -> None:
    manifests = _kubernetes_documents(synthesis)
    result = validate_manifests(manifests, DEFAULT_KUBERNETES_VERSION)
    assert [str(problem) for problem in result.problems] == []
    assert result.unchecked == []
    assert result.checked == len(manifests) > 0


def test_every_stack_passes_the_policy_pack(synthesis: Synthesis) -> None:
    findings = run_pack(synthesis.resources, synthesis.stack)
    assert [str(finding) for finding in findings if finding.mandatory] == []


def test_the_same_config_gives_the_same_bytes(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    write_rendering(rendering_of(synthesize_stack("production").resources), first)
    write_rendering(rendering_of(synthesize_stack("production").resources), second)
    files = sorted(path.relative_to(first) for path in first.rglob("*.yaml"))
    assert len(files) > 10
    assert files == sorted(path.relative_to(second) for path in second.rglob("*.yaml"))
    assert all((first / name).read_bytes() == (second / name).read_bytes() for name in files)


def test_numbers_are_integers_and_the_index_names_every_file(tmp_path: Path) -> None:
    synthesis = synthesize_stack("staging")
    write_rendering(rendering_of(synthesis.resources), tmp_path)
    hpa = yaml.safe_load(
        (tmp_path / "kubernetes/horizontalpodautoscaler_technovastore-staging_api-gateway.yaml").read_text()
    )
    assert hpa["spec"]["maxReplicas"] == 4 and isinstance(hpa["spec"]["maxReplicas"], int)
    index = yaml.safe_load((tmp_path / INDEX_FILE).read_text())
    files = {entry["file"]: entry["urn"] for entry in index["resources"] if "file" in entry}
    assert set(files) == {str(p.relative_to(tmp_path)) for p in tmp_path.glob("*/*.yaml")}
    # Every resource, components included, under the URN the engine gives it.
    assert [entry["urn"] for entry in index["resources"]] == [r.urn for r in sorted(
        synthesis.resources, key=lambda r: (r.depth, r.urn))]  # fmt: skip
    assert files["kubernetes/horizontalpodautoscaler_technovastore-staging_api-gateway.yaml"] == (
        "urn:pulumi:staging::technovastore-scaling::technovastore:platform:Platform"
        "$technovastore:service:AutoscaledService$kubernetes:autoscaling/v2:HorizontalPodAutoscaler::api-gateway-hpa"
    )


def test_a_rerun_into_the_same_folder_removes_files_of_resources_that_are_gone(tmp_path: Path) -> None:
    stale = tmp_path / "kubernetes" / "deployment_old_gone.yaml"
    stale.parent.mkdir(parents=True)
    stale.write_text("kind: Deployment\n")
    write_rendering(rendering_of(synthesize_stack("staging").resources), tmp_path)
    assert not stale.exists()
