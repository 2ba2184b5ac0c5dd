"""``python -m policies.scan``: exit codes, the three formats, locations, and the rendered stacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from pulumi_policy import ResourceValidationPolicy

from policies.rules import ALL_POLICIES
from policies.scan import CouldNotRun, main, scan_paths
from preview.policy_run import run_pack
from preview.rendering import rendering_of, write_rendering
from preview.synth import Synthesis
from tests.policies.corpus import compliant_stack

ROOT = Path(__file__).resolve().parents[2]
SARIF_SCHEMA = Path(__file__).resolve().parent / "sarif" / "sarif-schema-2.1.0.json"
PRIVILEGED_POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "debug", "namespace": "shop"},
    "spec": {
        "containers": [{"name": "sh", "image": "busybox:1.36", "securityContext": {"privileged": True}}]
    },
}


def write(path: Path, *documents: Any) -> Path:
    path.write_text(yaml.safe_dump_all(list(documents), sort_keys=False))
    return path


@pytest.fixture
def compliant(tmp_path: Path) -> Path:
    folder = tmp_path / "manifests"
    folder.mkdir()
    write(folder / "stack.yaml", *(resource.inputs for resource in compliant_stack()))
    return folder


def test_compliant_manifests_exit_0(compliant: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(compliant)]) == 0
    assert "0 mandatory, 0 remediate, 0 advisory violations" in capsys.readouterr().out


def test_a_mandatory_violation_exits_1_and_names_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    note = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "note", "namespace": "shop"}}
    manifest = write(tmp_path / "debug.yaml", note, PRIVILEGED_POD)
    assert main([str(manifest), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    privileged = [v for v in report["violations"] if v["policy"] == "k8s-no-privileged-containers"]
    line = manifest.read_text().splitlines().index("apiVersion: v1", 1) + 1
    assert privileged and privileged[0]["location"]["line"] == line
    assert privileged[0]["location"]["path"].endswith("debug.yaml")
    assert report["exitCode"] == 1 and report["summary"]["mandatory"] >= 1


@pytest.mark.parametrize(
    "argv_of,says",
    [
        (lambda tmp: [str(tmp / "missing.yaml")], "no such file or folder"),
        (lambda tmp: [str(write(tmp / "bad.yaml", {"a": 1}).with_name("bad.yaml")), "--stack", "qa"], "qa"),
        (lambda tmp: [str(tmp)], "no Kubernetes objects"),
    ],
    ids=["missing-path", "unknown-stack", "nothing-to-lint"],
)
def test_could_not_run_exits_2_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv_of: Any, says: str
) -> None:
    assert main(argv_of(tmp_path)) == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err


def test_a_file_that_is_not_yaml_exits_2_naming_file_and_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: [unclosed\n")
    done = subprocess.run(
        [sys.executable, "-m", "policies.scan", str(broken)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "broken.yaml:" in done.stderr and "not valid YAML" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_key_given_twice_exits_2_naming_the_key_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The API server and kubectl refuse it; keeping the last value would lint another object.
    twice = tmp_path / "twice.yaml"
    twice.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: shop}\ndata:\n  a: '1'\n  a: '2'\n"
    )

    assert main([str(twice)]) == 2
    assert "twice.yaml:6: not valid YAML (key 'a' is defined more than once)" in capsys.readouterr().err


def test_list_objects_are_linted_item_by_item(tmp_path: Path) -> None:
    listed = write(tmp_path / "list.yaml", {"apiVersion": "v1", "kind": "List", "items": [PRIVILEGED_POD]})
    report = scan_paths([listed])
    assert len(report.scan.resources) == 1
    privileged = [f for f in report.findings if f.policy == "k8s-no-privileged-containers"]
    assert privileged and privileged[0].location is not None and privileged[0].location.line > 1


def test_sarif_is_valid_sarif_2_1_0_as_github_code_scanning_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "debug.yaml", PRIVILEGED_POD)
    assert main(["debug.yaml", "--format", "sarif", "--stack", "staging"]) == 1
    log = json.loads(capsys.readouterr().out)
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(log)
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [p.name for p in ALL_POLICIES]
    assert all(0 < float(r["properties"]["security-severity"]) <= 10 for r in rules)
    assert run["results"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note")
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == "debug.yaml"  # relative to the checkout
        assert location["region"]["startLine"] >= 1
        assert result["partialFingerprints"]
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels["k8s-no-privileged-containers"] == "error"
    assert levels["k8s-seccomp-runtime-default"] == "note"  # remediated in staging


def test_the_preview_and_the_linter_agree_on_the_rendered_stack(synthesis: Synthesis, tmp_path: Path) -> None:
    """Both rendered stacks pass with 0 mandatory violations, and the linter finds what the preview does."""
    write_rendering(rendering_of(synthesis.resources), tmp_path)
    report = scan_paths([tmp_path], synthesis.stack)
    assert report.exit_code == 0
    assert report.counts()["mandatory"] == 0
    in_preview = {(f.policy, f.message) for f in run_pack(synthesis.resources, synthesis.stack)}
    assert {(f.policy, f.message) for f in report.findings} == in_preview


@pytest.mark.parametrize("fmt,expect", [("table", "1 objects in 1 files"), ("sarif", '"version": "2.1.0"')])
def test_output_goes_to_the_file_named(tmp_path: Path, fmt: str, expect: str) -> None:
    manifest = write(tmp_path / "debug.yaml", PRIVILEGED_POD)
    out = tmp_path / "reports" / f"scan.{fmt}"
    assert main([str(manifest), "--format", fmt, "--output", str(out)]) == 1
    assert expect in out.read_text()


def test_a_rule_that_raises_is_named_not_a_traceback(tmp_path: Path) -> None:
    def explode(args: Any, report: Any) -> None:
        raise TypeError("unhashable type: 'list'")

    broken_rule = ResourceValidationPolicy("k8s-explodes", "Raises on everything.", explode)
    manifest = write(tmp_path / "debug.yaml", PRIVILEGED_POD)
    with pytest.raises(CouldNotRun, match="policy k8s-explodes failed on these manifests: TypeError"):
        scan_paths([manifest], policies=[broken_rule])


def test_sarif_locations_are_uri_references_whatever_the_file_is_called(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """SARIF's ``artifactLocation.uri`` is a URI reference (RFC 3986): a space must be escaped,
    and an unescaped ``#`` starts a fragment, so ``k8s/pod #1.yaml`` would point at ``k8s/pod ``.
    A path under the working directory (the checkout) stays relative; one outside it is a file URI."""
    folder = tmp_path / "checkout" / "k8s manifests"
    folder.mkdir(parents=True)
    write(folder / "pod #1 50%.yaml", PRIVILEGED_POD)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    write(outside / "debug.yaml", PRIVILEGED_POD)
    monkeypatch.chdir(tmp_path / "checkout")
    for argument, expected_uri in [
        ("k8s manifests", "k8s%20manifests/pod%20%231%2050%25.yaml"),
        (str(folder), "k8s%20manifests/pod%20%231%2050%25.yaml"),
        (str(outside), (outside / "debug.yaml").as_uri()),
    ]:
        assert main([argument, "--format", "sarif"]) == 1
        results = json.loads(capsys.readouterr().out)["runs"][0]["results"]
        uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
        assert uris == {expected_uri}, argument


def test_a_statefulset_without_a_service_name_is_told_so(tmp_path: Path) -> None:
    """A hand-written StatefulSet often omits spec.serviceName: the message says so, not ``None``."""
    statefulset = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "db", "namespace": "shop"},
        "spec": {
            "selector": {"matchLabels": {"app": "db"}},
            "template": {
                "metadata": {"labels": {"app": "db"}},
                "spec": {"containers": [{"name": "db", "image": "postgres:16.3"}]},
            },
        },
    }
    report = scan_paths([write(tmp_path / "db.yaml", statefulset)])
    [finding] = [f for f in report.findings if f.policy == "k8s-statefulset-headless-service"]
    assert finding.message.startswith("StatefulSet shop/db: sets no spec.serviceName; ")
