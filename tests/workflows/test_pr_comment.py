"""scripts/pr-comment: one comment per stack and tool, found by its marker, updated in place.

Run against a stand-in for ``gh`` that keeps a pull request's comments in a file and applies
``--jq`` filters with the real jq, as gh does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "pr-comment"

FAKE_GH = """
import json, os, subprocess, sys
state = os.environ["FAKE_GH_STATE"]
comments = json.load(open(state))
args = sys.argv[1:]
assert args[0] == "api", args
method = args[args.index("--method") + 1] if "--method" in args else "GET"
path = next(a for a in args[1:] if a.startswith("repos/"))
if method == "GET":
    page = json.dumps(comments)
    jq = args[args.index("--jq") + 1]
    filtered = subprocess.run(["jq", "-r", jq], input=page, capture_output=True, text=True, check=True)
    sys.stdout.write(filtered.stdout)
else:
    body = args[args.index("-f") + 1].removeprefix("body=")
    if method == "PATCH":
        comment_id = int(path.rsplit("/", 1)[1])
        next(c for c in comments if c["id"] == comment_id)["body"] = body
    else:
        comments.append({"id": 100 + len(comments), "body": body})
    json.dump(comments, open(state, "w"))
    print("{}")
"""


@pytest.fixture
def pull_request(tmp_path: Path) -> dict[str, Any]:
    """A pull request with two comments already: someone's, and pulumi/actions' own."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text(f"#!{sys.executable}\n{FAKE_GH}")
    gh.chmod(0o755)
    state = tmp_path / "comments.json"
    state.write_text(
        json.dumps(
            [
                {"id": 1, "body": "Looks good to me"},
                {"id": 2, "body": "#### :tropical_drink: `preview` on technovastore-scaling/staging\n..."},
            ]
        )
    )
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "FAKE_GH_STATE": str(state),
        "GITHUB_REPOSITORY": "technovastore/scaling",
    }
    return {"env": env, "state": state, "dir": tmp_path}


def comment(pull_request: dict[str, Any], tool: str, text: str) -> subprocess.CompletedProcess[str]:
    body = pull_request["dir"] / f"{tool.replace(':', '-')}.md"
    body.write_text(text)
    return subprocess.run(
        [str(SCRIPT), "7", tool, str(body)],
        env=pull_request["env"],
        capture_output=True,
        text=True,
        check=False,
    )


def bodies(pull_request: dict[str, Any]) -> list[str]:
    return [c["body"] for c in json.loads(pull_request["state"].read_text())]


def test_each_stack_gets_its_own_comment_updated_in_place(pull_request: dict[str, Any]) -> None:
    assert comment(pull_request, "offline-preview:staging", "staging v1").returncode == 0
    assert comment(pull_request, "offline-preview:production", "production v1").returncode == 0
    second = comment(pull_request, "offline-preview:staging", "staging v2")
    assert second.returncode == 0 and second.stdout.startswith("updated comment 102")
    found = bodies(pull_request)
    assert found[:2] == [
        "Looks good to me",
        "#### :tropical_drink: `preview` on technovastore-scaling/staging\n...",
    ]
    assert found[2:] == [
        "<!-- technovastore:offline-preview:staging -->\nstaging v2",
        "<!-- technovastore:offline-preview:production -->\nproduction v1",
    ]


def test_a_missing_argument_is_a_usage_error(pull_request: dict[str, Any]) -> None:
    done = subprocess.run(
        [str(SCRIPT), "7"], env=pull_request["env"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2 and done.stderr.startswith("usage: scripts/pr-comment")


def test_the_scripts_pass_shellcheck() -> None:
    scripts = sorted(str(path) for path in (ROOT / "scripts").iterdir() if path.is_file())
    done = subprocess.run(["shellcheck", *scripts], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout
    assert os.access(SCRIPT, os.X_OK)
