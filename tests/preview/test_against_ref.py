"""``--against-ref``: the base revision rendered by its own code in a temporary git worktree."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from components.settings.stack_file import PROJECT_ROOT
from tests.support.preview_command import run_preview

GIT = ["git", "-c", "user.name=preview-test", "-c", "user.email=preview-test@example.invalid"]


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        [*GIT, *args], cwd=repo, capture_output=True, text=True, check=True, timeout=60
    ).stdout


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clone of this repository with one more commit: staging's frontend may scale to 5."""
    clone = tmp_path_factory.mktemp("repo") / "clone"
    subprocess.run(["git", "clone", "--quiet", str(PROJECT_ROOT), str(clone)], check=True, timeout=120)
    config_file = clone / "Pulumi.staging.yaml"
    document = yaml.safe_load(config_file.read_text())
    document["config"]["technovastore-scaling:services"]["frontend"]["maxReplicas"] = 5
    config_file.write_text(yaml.safe_dump(document))
    git(clone, "commit", "--quiet", "-am", "Let staging's frontend scale to 5")
    return clone


def test_the_diff_against_the_previous_commit_shows_the_change(repo: Path) -> None:
    result = run_preview("--stack", "staging", "--against-ref", "HEAD~1", "--format", "json", cwd=repo)
    assert result.returncode == 0, result.stderr
    changes = json.loads(result.stdout)["changes"]
    hpa = [c for c in changes if c["type"] == "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"]
    assert hpa == [
        {
            "op": "update",
            "type": "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
            "name": "technovastore-staging/frontend",
            "fields": [{"path": "spec.maxReplicas", "old": 3, "new": 5}],
        }
    ]
    # The temporary worktree is gone again.
    assert git(repo, "worktree", "list").count("\n") == 1


def test_the_same_revision_gives_an_empty_diff_and_an_unknown_one_exit_2(repo: Path) -> None:
    same = run_preview("--stack", "staging", "--against-ref", "HEAD", "--format", "json", cwd=repo)
    assert same.returncode == 0 and json.loads(same.stdout)["changes"] == []
    unknown = run_preview("--stack", "staging", "--against-ref", "no-such-branch", cwd=repo)
    assert (
        unknown.returncode == 2 and "no-such-branch" in unknown.stderr and "Traceback" not in unknown.stderr
    )
