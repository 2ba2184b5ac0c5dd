"""``--against-ref``: the base revision rendered by its own code in a temporary git worktree."""

from __future__ import annotations

import functools
import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.settings.stack_file import PROJECT_ROOT, secret_placeholder
from tests.support.preview_command import run_preview

GIT = ["git", "-c", "user.name=preview-test", "-c", "user.email=preview-test@example.invalid"]


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        [*GIT, *args], cwd=repo, capture_output=True, text=True, check=True, timeout=60
    ).stdout


# Two versions of a `pulumi config set --secret redisPassword` value (ciphertexts only).
CIPHERTEXTS = (
    "v1:AAAABFirstCipherTextOfTheRedisPassword0001",
    "v1:AAAABSecondCipherTextOfTheRedisPassword002",
)
PASSWORD_KEY = "technovastore-scaling:redisPassword"


def commit_config(clone: Path, change: Callable[[dict[str, Any]], None], message: str) -> None:
    config_file = clone / "Pulumi.staging.yaml"
    document = yaml.safe_load(config_file.read_text())
    change(document["config"])
    config_file.write_text(yaml.safe_dump(document))
    git(clone, "commit", "--quiet", "-am", message)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clone of this repository, then: staging's frontend may scale to 5; a password; another one."""
    clone = tmp_path_factory.mktemp("repo") / "clone"
    subprocess.run(["git", "clone", "--quiet", str(PROJECT_ROOT), str(clone)], check=True, timeout=120)
    commit_config(
        clone,
        lambda config: config["technovastore-scaling:services"]["frontend"].update(maxReplicas=5),
        "Let staging's frontend scale to 5",
    )
    for ciphertext in CIPHERTEXTS:
        commit_config(
            clone, functools.partial(set_secure, ciphertext=ciphertext), "Rotate the Redis password"
        )
    return clone


def set_secure(config: dict[str, Any], ciphertext: str) -> None:
    config[PASSWORD_KEY] = {"secure": ciphertext}


def test_the_diff_against_an_earlier_commit_shows_the_change(repo: Path) -> None:
    result = run_preview("--stack", "staging", "--against-ref", "HEAD~3", "--format", "json", cwd=repo)
    assert result.returncode == 0, result.stderr
    changes = json.loads(result.stdout)["changes"]
    hpa = [c for c in changes if c["type"] == "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"]
    assert hpa == [
        {
            "op": "update",
            "type": "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
            "name": "technovastore-staging/frontend",
            "urn": "urn:pulumi:staging::technovastore-scaling::technovastore:platform:Platform"
            "$technovastore:service:AutoscaledService$kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
            "::frontend-hpa",
            "fields": [{"path": "spec.maxReplicas", "old": 3, "new": 5}],
        }
    ]
    # The temporary worktree is gone again.
    assert git(repo, "worktree", "list").count("\n") == 1


def test_a_rotated_secret_is_seen_across_the_two_previews_and_shown_nowhere(repo: Path) -> None:
    """The base preview is another process: digests of one key compare, no value is printed."""
    result = run_preview(
        "--stack", "staging", "--against-ref", "HEAD~1", "--format", "json", "--strict", cwd=repo
    )
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["secretsCompared"] is True
    [secret] = [c for c in report["changes"] if c["type"] == "kubernetes:core/v1:Secret"]
    assert secret["op"] == "replace" and secret["deleteFirst"] is True
    changed = {f["path"] for f in secret["fields"] if f.get("secretChanged")}
    assert "stringData.admin-password" in changed and "stringData.app-password" not in changed
    assert [danger["key"] for danger in report["danger"]] == ["rotate:Secret/redis-credentials"]
    output = result.stdout + result.stderr
    for ciphertext in CIPHERTEXTS:
        assert ciphertext not in output and secret_placeholder(PASSWORD_KEY, ciphertext) not in output
    # Nothing rotated between a commit and itself: the same digests.
    same = run_preview("--stack", "staging", "--against-ref", "HEAD", "--format", "json", cwd=repo)
    assert json.loads(same.stdout)["changes"] == [] and json.loads(same.stdout)["secretsCompared"] is True


def test_an_unknown_revision_exits_2(repo: Path) -> None:
    unknown = run_preview("--stack", "staging", "--against-ref", "no-such-branch", cwd=repo)
    assert (
        unknown.returncode == 2 and "no-such-branch" in unknown.stderr and "Traceback" not in unknown.stderr
    )
