"""``python -m preview``: what a platform engineer runs, as a subprocess."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
import yaml

from components.settings.stack_file import PROJECT_ROOT, read_stack_config
from preview import cli
from tests.support.preview_command import run_preview


@pytest.mark.parametrize("stack", ["production", "staging"])
def test_prints_the_declared_resources_grouped_by_component(stack: str) -> None:
    result = run_preview("--stack", stack)
    assert result.returncode == 0, result.stderr
    assert f"stack {stack}" in result.stdout
    assert "technovastore:platform:Platform" in result.stdout
    assert "technovastore:service:AutoscaledService" in result.stdout
    # The four services and the CDN tier.
    assert "5  kubernetes:autoscaling/v2:HorizontalPodAutoscaler" in result.stdout
    tree_lines = result.stdout.splitlines()
    component = next(
        i for i, line in enumerate(tree_lines) if "AutoscaledService" in line and "api-gateway" in line
    )
    assert "api-gateway-deployment" in "\n".join(tree_lines[component : component + 8])


def test_out_writes_real_manifests_with_integers(tmp_path: Path) -> None:
    result = run_preview("--stack", "staging", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    hpa = yaml.safe_load(
        (
            tmp_path / "kubernetes" / "horizontalpodautoscaler_technovastore-staging_api-gateway.yaml"
        ).read_text()
    )
    assert (hpa["apiVersion"], hpa["kind"]) == ("autoscaling/v2", "HorizontalPodAutoscaler")
    assert hpa["spec"]["maxReplicas"] == 4 and isinstance(hpa["spec"]["maxReplicas"], int)
    assert list(hpa)[:3] == ["apiVersion", "kind", "metadata"]
    assert len(list((tmp_path / "kubernetes").glob("*.yaml"))) >= 28


def test_invalid_settings_exit_2_with_the_error_and_no_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    staging = (PROJECT_ROOT / "Pulumi.staging.yaml").read_text()
    (tmp_path / "Pulumi.staging.yaml").write_text(staging.replace("maxReplicas: 4", "maxReplicas: 1", 1))
    monkeypatch.setattr(cli, "read_stack_config", functools.partial(read_stack_config, root=tmp_path))
    assert cli.main(["--stack", "staging"]) == 2
    captured = capsys.readouterr()
    assert (
        "technovastore-scaling:services.api-gateway.maxReplicas = 1: must be >= minReplicas (2)"
        in captured.err
    )
    assert "Traceback" not in captured.err + captured.out


def test_unknown_stack_exits_2() -> None:
    result = run_preview("--stack", "qa")
    assert result.returncode == 2
    assert "no config file for stack 'qa'" in result.stderr
    assert "Traceback" not in result.stderr
