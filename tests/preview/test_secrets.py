"""A secret planted in config appears in no output: console, --out files, diffs in every format."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

from components.settings.stack_file import PROJECT_ROOT, read_stack_config, secret_placeholder
from preview import cli
from preview.diff import diff_renderings
from preview.manifests import dump_yaml
from preview.policy_run import run_pack
from preview.report import render_diff
from preview.synth import synthesize
from tests.preview.conftest import baseline, rendering_of
from tests.support.stacks import synthesize_stack

PROGRAMS = Path(__file__).parent / "programs"
CIPHERTEXT = "v1:AAABAPlantedCipherTextThatMustNeverBeShown0123456789"
KEY = "technovastore-scaling:redisPassword"


def config_with_secret(tmp_path: Path, name: str, *, stack: str = "staging") -> Path:
    document = yaml.safe_load((PROJECT_ROOT / f"Pulumi.{stack}.yaml").read_text())
    document["config"][KEY] = {"secure": CIPHERTEXT}
    path = tmp_path / name
    path.write_text(yaml.safe_dump(document))
    return path


def every_output(capsys: pytest.CaptureFixture[str], tmp_path: Path, stack: str) -> str:
    """stdout and stderr of a preview with --out, and of its diff in every format, and the files."""
    base, new = tmp_path / "base", tmp_path / "new"
    assert cli.main(["--stack", stack, "--out", str(base)]) == 0
    config = config_with_secret(tmp_path, f"Pulumi.{stack}.yaml", stack=stack)
    texts = []
    for fmt in ("text", "markdown", "json"):
        argv = ["--stack", stack, "--config-file", str(config), "--out", str(new), "--against", str(base)]
        assert cli.main([*argv, "--format", fmt]) == 0
        captured = capsys.readouterr()
        texts += [captured.out, captured.err]
    texts += [path.read_text() for path in sorted(new.rglob("*.yaml"))]
    return "\n".join(texts)


def test_a_secure_value_and_what_it_stands_for_are_in_no_output_of_a_program_that_uses_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    program = PROGRAMS / "secret_and_invalid.py"
    config = config_with_secret(tmp_path, "planted.yaml")
    # The value the program sees offline does reach a Secret and a stack output...
    values = read_stack_config("staging", config_file=config)
    raw = synthesize("staging", values.values, secret_keys=values.secret_keys, program=program)
    placeholder = secret_placeholder(KEY, CIPHERTEXT)
    assert placeholder in json.dumps([r.inputs for r in raw.resources])
    # ...and still appears nowhere a person or a CI log sees.
    monkeypatch.setattr(cli, "synthesize", partial(synthesize, program=program))
    base, new = tmp_path / "base", tmp_path / "new"
    # The tiny program breaks pack rules (exit 1); what matters here is what it prints.
    assert cli.main(["--stack", "staging", "--config-file", str(config), "--out", str(base)]) == 1
    # A base where the Secret held another value: the diff has a secret field to show.
    secret_file = base / "kubernetes" / "secret_demo_redis-auth.yaml"
    secret_file.write_text(secret_file.read_text().replace("'[secret]'", "old-visible-value"))
    outputs = []
    for fmt in ("text", "markdown", "json"):
        argv = ["--stack", "staging", "--config-file", str(config), "--out", str(new), "--against", str(base)]
        assert cli.main([*argv, "--format", fmt]) == 1
        captured = capsys.readouterr()
        outputs += [captured.out, captured.err]
    files = [path.read_text() for path in sorted(new.rglob("*.yaml"))]
    everything = "\n".join(outputs + files)
    assert (
        "stringData.password" in everything and "old-visible-value" in everything and "[secret]" in everything
    )
    assert CIPHERTEXT not in everything and placeholder not in everything


@pytest.mark.parametrize("stack", ["staging", "production"])
def test_the_stacks_show_no_planted_secret(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, stack: str
) -> None:
    everything = every_output(capsys, tmp_path, stack)
    assert "resources in stack" in everything
    assert CIPHERTEXT not in everything
    assert secret_placeholder(KEY, CIPHERTEXT) not in everything


def test_a_policy_message_that_quotes_a_secret_is_masked() -> None:
    synthesis = synthesize(
        "staging",
        {KEY: "quoted-S3cret-value"},
        secret_keys=[KEY],
        program=PROGRAMS / "secret_and_invalid.py",
    )

    def quoting_runner(resources: Any, stack: str) -> list[Any]:
        message = "saw quoted-S3cret-value"
        return [SimpleNamespace(policy="p", enforcement_level="advisory", urn=None, message=message)]

    [finding] = run_pack(synthesis.resources, "staging", runner=quoting_runner)
    assert finding.message == "saw [secret]"


@pytest.mark.parametrize("stack", ["staging", "production"])
def test_a_password_set_as_plain_config_is_still_in_no_rendering_or_diff(stack: str) -> None:
    # Not marked secret by the config layer: the program itself must treat it as one.
    planted = "override-planted-password-4f1c"
    synthesis = synthesize_stack(stack, redisPassword=planted)
    # It does reach the stack's resources (the Redis credentials Secret)...
    assert planted in json.dumps([resource.inputs for resource in synthesis.resources])
    current = rendering_of(synthesis)
    diff = diff_renderings(baseline(stack), current)
    outputs = [dump_yaml(document) for document in current.documents.values()]
    outputs += [render_diff(diff, fmt, "t") for fmt in ("text", "markdown", "json")]
    assert planted not in "\n".join(outputs)
