"""``python -m preview``: exit codes, messages, the diff formats."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.settings.stack_file import PROJECT_ROOT
from preview import cli
from preview.synth import synthesize

PROGRAMS = Path(__file__).parent / "programs"


def staging_config_with(tmp_path: Path, change: Any, stack: str = "staging") -> Path:
    """A copy of Pulumi.<stack>.yaml with ``change(config)`` applied to its config mapping."""
    document = yaml.safe_load((PROJECT_ROOT / f"Pulumi.{stack}.yaml").read_text())
    change(document["config"])
    path = tmp_path / f"Pulumi.{stack}.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_staging_previews_cleanly_and_writes_its_rendering(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run(capsys, "--stack", "staging", "--out", str(tmp_path))
    assert code == 0, out + err
    assert "resources in stack staging" in out and "HorizontalPodAutoscaler" in out
    objects = len(list(tmp_path.glob("kubernetes/*.yaml")))
    assert objects > 20
    assert f"schema (Kubernetes {cli.DEFAULT_KUBERNETES_VERSION}): {objects} objects, 0 problems" in out
    assert "policy pack: 0 mandatory" in out


def test_the_diff_of_staging_against_its_own_rendering_is_empty(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert run(capsys, "--stack", "staging", "--out", str(tmp_path))[0] == 0
    code, out, _ = run(capsys, "--stack", "staging", "--against", str(tmp_path), "--format", "json")
    assert code == 0
    resources = len(list(tmp_path.glob("*/*.yaml")))
    assert json.loads(out) == {
        "danger": [],
        "renames": [],
        "changes": [],
        "summary": {"create": 0, "import": 0, "update": 0, "replace": 0, "delete": 0, "unchanged": resources},
        # A rendering written by --out alone carries no digests: this run's key is its own.
        "secretsCompared": False,
    }
    code, out, _ = run(capsys, "--stack", "staging", "--against", str(tmp_path), "--format", "markdown")
    assert f"**no changes ({resources} unchanged)**" in out and "No resource changes." in out


def test_a_changed_config_file_shows_in_all_three_formats(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    base = tmp_path / "base"
    assert run(capsys, "--stack", "staging", "--out", str(base))[0] == 0

    def raise_limit(config: dict[str, Any]) -> None:
        config["technovastore-scaling:services"]["order-service"]["maxReplicas"] = 4

    config = staging_config_with(tmp_path, raise_limit)
    common = ("--stack", "staging", "--config-file", str(config), "--against", str(base))
    code, out, _ = run(capsys, *common, "--format", "json")
    report = json.loads(out)
    hpa = next(
        c for c in report["changes"] if c["type"] == "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
    )
    assert code == 0 and hpa == {
        "op": "update",
        "type": "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
        "name": "technovastore-staging/order-service",
        "urn": "urn:pulumi:staging::technovastore-scaling::technovastore:platform:Platform"
        "$technovastore:service:AutoscaledService$kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
        "::order-service-hpa",
        "fields": [{"path": "spec.maxReplicas", "old": 3, "new": 4}],
    }
    # The autoscaler and the namespace quota change in place; the autoscaling dashboard's ConfigMap
    # is replaced (pulumi-kubernetes replaces ConfigMap data).
    assert (report["summary"]["update"], report["summary"]["replace"]) == (2, 1)
    _, markdown, _ = run(capsys, *common, "--format", "markdown")
    unchanged = len(list(base.glob("*/*.yaml"))) - 3
    assert "| `spec.maxReplicas` | `3` | `4` |" in markdown
    assert f"**2 to update, 1 to replace ({unchanged} unchanged)**" in markdown
    _, text, _ = run(capsys, *common)
    assert (
        " ~ update   kubernetes:autoscaling/v2:HorizontalPodAutoscaler  technovastore-staging/order-service"
        in text
    )
    assert "spec.maxReplicas: 3 => 4" in text


def test_a_broken_config_exits_2_naming_the_key(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    def break_it(config: dict[str, Any]) -> None:
        config["technovastore-scaling:services"]["api-gateway"]["maxReplicas"] = "lots"

    code, out, err = run(
        capsys, "--stack", "staging", "--config-file", str(staging_config_with(tmp_path, break_it))
    )
    assert code == 2 and out == ""
    assert "technovastore-scaling:services.api-gateway.maxReplicas = 'lots'" in err
    assert "Traceback" not in err


def test_bad_invocations_exit_2_without_a_traceback(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(capsys, "--stack", "staging", "--kubernetes-version", "1.9")
    assert code == 2 and "--kubernetes-version 1.9: no schemas installed" in err
    code, _, err = run(capsys, "--stack", "staging", "--against", str(tmp_path))
    assert code == 2 and "holds no rendering" in err
    code, _, err = run(capsys, "--stack", "nightly")
    assert code == 2 and "no config file for stack 'nightly'" in err
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--stack", "staging", "--format", "json"])
    assert exit_info.value.code == 2 and "--format json needs --against" in capsys.readouterr().err


def test_a_change_the_policy_pack_forbids_exits_1_naming_policy_and_resource(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    def single_replica(config: dict[str, Any]) -> None:
        config["technovastore-scaling:services"]["api-gateway"]["minReplicas"] = 1

    config = staging_config_with(tmp_path, single_replica, stack="production")
    code, out, _ = run(capsys, "--stack", "production", "--config-file", str(config))
    assert code == 1
    assert "policy pack: 1 mandatory" in out
    [finding] = [line for line in out.splitlines() if "[mandatory]" in line]
    assert "k8s-hpa-min-replicas" in finding and "technovastore/api-gateway" in finding
    assert "minReplicas is 1" in finding


def test_an_object_the_schema_rejects_exits_1_naming_resource_and_field(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli, "synthesize", partial(synthesize, program=PROGRAMS / "secret_and_invalid.py"))
    config = tmp_path / "Pulumi.staging.yaml"
    config.write_text(
        "config:\n  technovastore-scaling:redisPassword: {secure: v1:c2VjcmV0}\n"
        "  technovastore-scaling:invalidReplicas: three\n"
    )
    code, out, _ = run(capsys, "--stack", "staging", "--config-file", str(config))
    assert code == 1
    assert "invalid: Deployment demo/web: spec.replicas: 'three' is not of type 'integer', 'null'" in out


def test_the_swarm_stack_previews_its_docker_resources_with_their_engine_api_bodies(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run(capsys, "--stack", "swarm", "--out", str(tmp_path))
    assert code == 0, out + err
    assert "resources in stack swarm" in out and "docker:index/service:Service" in out
    assert "policy pack: 0 mandatory, 0 other violations" in out
    assert not list(tmp_path.glob("kubernetes/*.yaml"))
    cdn = yaml.safe_load((tmp_path / "docker" / "docker_cdn.yaml").read_text())
    spec = cdn["engineApi"]
    assert spec["Name"] == cdn["inputs"]["name"] == "technovastore-cdn"
    assert spec["UpdateConfig"]["Monitor"] == 30 * 10**9  # nanoseconds, as the Engine wants
    secret = yaml.safe_load(
        (tmp_path / "docker" / "docker_redis-credentials-admin-password.yaml").read_text()
    )
    assert secret["inputs"]["data"] == secret["engineApi"]["Data"] == "[secret]"
    rendered = "".join(path.read_text() for path in tmp_path.glob("*/*.yaml"))
    # Every generated password offline starts so (preview/synth.py: offline_password).
    assert "offline-preview-" not in rendered
