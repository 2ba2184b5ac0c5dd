"""Stack config mistakes are errors, never silent defaults or tracebacks (finding 10)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from components.settings import PROJECT, SettingsError, load_settings
from components.settings.stack_file import read_stack_config
from preview.cli import main as preview_main
from tests.support.stacks import stack_config


def problems(config: dict[str, str], stack: str = "staging", **options: object) -> list[str]:
    with pytest.raises(SettingsError) as raised:
        load_settings(config, stack, **options)  # type: ignore[arg-type]
    return [str(problem) for problem in raised.value.problems]


def test_a_key_under_a_misspelt_project_prefix_is_an_error_naming_it() -> None:
    config = {**stack_config("staging"), "technovastore-scalng:namespace": "technovastore"}
    assert problems(config) == [
        "technovastore-scalng:namespace: is not a key of this project or of a provider it uses "
        f"({PROJECT}, cloudflare, kubernetes, pulumi, random); did you mean {PROJECT}:namespace?"
    ]


def test_a_misspelt_key_never_echoes_its_value() -> None:
    (problem,) = problems({"technovastre-scaling:redisPassword": "hunter2-planted"})
    assert "hunter2-planted" not in problem and f"did you mean {PROJECT}:redisPassword?" in problem


def test_a_plaintext_redis_password_is_refused_with_the_command_that_fixes_it() -> None:
    config = {**stack_config("production"), f"{PROJECT}:redisPassword": "correct-horse-battery"}
    (problem,) = problems(config, "production")
    assert problem == (
        f"{PROJECT}:redisPassword: must be a secret, not plain text in the stack file: "
        "pulumi config set --secret redisPassword <value> --stack production"
    )
    settings = load_settings(config, "production", secret_keys={f"{PROJECT}:redisPassword"})
    assert settings.redis_password is not None


def write_stack_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "Pulumi.staging.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "- technovastore-scaling:namespace\n- x\n",
            "the file must be a mapping with a 'config' key, not a list",
        ),
        ("just words\n", "the file must be a mapping with a 'config' key, not a string"),
        ("config: [a, b]\n", "'config' must be a mapping, not a list"),
    ],
)
def test_a_stack_file_that_is_not_a_mapping_is_a_clean_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, expected: str
) -> None:
    path = write_stack_file(tmp_path, text)
    assert preview_main(["--stack", "staging", "--config-file", str(path)]) == 2
    error = capsys.readouterr().err
    assert error == f"error: Pulumi.staging.yaml: {expected}\n"


def test_a_key_given_twice_in_the_stack_file_is_a_clean_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_stack_file(tmp_path, f"config:\n  {PROJECT}:namespace: a\n  {PROJECT}:namespace: b\n")

    assert preview_main(["--stack", "staging", "--config-file", str(path)]) == 2
    assert capsys.readouterr().err == (
        f"error: Pulumi.staging.yaml line 3: key '{PROJECT}:namespace' is defined more than once\n"
    )


def test_numeric_cpu_and_memory_quantities_are_accepted(tmp_path: Path) -> None:
    text = (
        "config:\n"
        f"  {PROJECT}:redis:\n"
        "    resources:\n"
        "      requests: {cpu: 0.5, memory: 1073741824}\n"
        "      limits: {cpu: 2, memory: 1073741824}\n"
    )
    config = read_stack_config("staging", config_file=write_stack_file(tmp_path, text))
    resources = load_settings(config.values, "staging").redis.resources
    assert (resources.requests.cpu, resources.limits.cpu) == ("0.5", "2")
    assert resources.limits.memory == "1073741824"


@pytest.mark.parametrize("value", [True, "two", -1, 0])
def test_a_quantity_that_is_not_one_is_still_refused(value: object) -> None:
    redis = {
        "resources": {"requests": {"cpu": value, "memory": "1Gi"}, "limits": {"cpu": 2, "memory": "1Gi"}}
    }
    (problem,) = problems({f"{PROJECT}:redis": json.dumps(redis)})
    assert problem.startswith(f"{PROJECT}:redis.resources.requests.cpu = ")


def test_a_nested_secure_value_marks_its_key_secret_and_never_reaches_the_settings(tmp_path: Path) -> None:
    text = f"config:\n  {PROJECT}:checks:\n    minLookups: {{secure: v1:AAAA}}\n"
    config = read_stack_config("staging", config_file=write_stack_file(tmp_path, text))
    assert config.secret_keys == [f"{PROJECT}:checks"]
    assert "v1:AAAA" not in config.values[f"{PROJECT}:checks"]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        # A misspelt secret key under the right prefix: `pulumi up` hands the program the
        # decrypted value, and the error would print it to the deployment log.
        ("redisPasword", "hunter2-planted"),
        ("cdnTlsPrivatekey", "-----BEGIN PRIVATE KEY-----planted"),
        # A secret key whose value has the wrong shape.
        ("redisPassword", '{"user": "hunter2-planted"}'),
        ("redisPassword", '["hunter2-planted"]'),
    ],
)
def test_a_problem_with_a_secret_or_unknown_key_never_echoes_its_value(key: str, value: str) -> None:
    full_key = f"{PROJECT}:{key}"
    config = {**stack_config("staging"), full_key: value}
    (problem,) = problems(config, secret_keys={full_key})
    assert problem.startswith(f"{full_key}: ")
    assert "planted" not in problem
    # In plain text (refused for a secret key) the value is not echoed either.
    assert not [text for text in problems(config) if "planted" in text]


def test_a_misspelt_nested_key_still_shows_its_value() -> None:
    """Values of ordinary settings help find the mistake: only secrets and unknown top-level keys hide."""
    config = {**stack_config("staging"), f"{PROJECT}:redis": json.dumps({"clustr": {"masters": 3}})}
    (problem,) = problems(config)
    assert (
        problem == f"{PROJECT}:redis.clustr = {{'masters': 3}}: is not a known setting (check the spelling)"
    )


@pytest.mark.parametrize("name", ["apiToken", "apiKey", "apiUserServiceKey"])
def test_a_plaintext_cloudflare_credential_is_refused_without_echoing_it(name: str) -> None:
    """pulumi-cloudflare's schema marks these provider settings secret (the SDK wraps them in
    ``Output.secret``): in plain text they sit in git like a plaintext redisPassword would."""
    key = f"cloudflare:{name}"
    config = {**stack_config("staging"), key: "cf-token-planted"}
    (problem,) = problems(config)
    assert problem == (
        f"{key}: must be a secret, not plain text in the stack file: "
        f"pulumi config set --secret {key} <value> --stack staging"
    )
    assert load_settings(config, "staging", secret_keys={key}).stack == "staging"
