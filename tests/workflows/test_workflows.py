"""The GitHub workflows: they parse, actionlint accepts them, and every command they run exists."""

from __future__ import annotations

import importlib
import json
import os
import re
import shlex
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from preview import cli as preview_cli

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
LINTER = ROOT / "tools" / "actionlint" / "lint.cjs"
# Commands a workflow may run besides `make <target>`, the project's CLIs and scripts/.
SHELL_TOOLS = {"cat", "cp", "echo", "exit", "gh", "mkdir", "printf", "tee", "umask"}
# The Pulumi and Kubernetes CLIs, with the only subcommands the workflows may use.
CLI_SUBCOMMANDS = {
    "pulumi": {
        ("stack", "select"),
        ("stack", "init"),
        ("config", "cp"),
        ("config", "get"),
        ("stack", "output"),
    },
    "kubectl": {("delete", "persistentvolumeclaims"), ("delete", "namespace")},
}
# pulumi/actions' current major (7.0.0, May 2026: node24 runtime; `refresh` passes --refresh).
PULUMI_ACTIONS_MAJOR = 7
# The project's CLIs (`python -m <module>`) and how each parses its arguments.
CLIS: dict[str, Callable[[list[str]], Any]] = {
    "preview": preview_cli.parse_args,
    "checks": lambda argv: importlib.import_module("checks.cli").parser().parse_args(argv),
}
SAMPLE_VALUES = {"STACK": "pr-1", "BASE_REF": "origin/main", "PR_NUMBER": "1"}


def load(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the key `on` as True.
    document["on"] = document.pop(True, document.get("on"))
    return document


def workflow(name: str) -> dict[str, Any]:
    return load(ROOT / ".github" / "workflows" / name)


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [step for step in job["steps"] if str(step.get("uses", "")).startswith(action + "@")]


def actionlint(*paths: Path) -> tuple[int, list[dict[str, Any]]]:
    result = subprocess.run(
        ["node", str(LINTER), *map(str, paths)], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode in (0, 1), f"actionlint could not run (make actionlint): {result.stderr}"
    return result.returncode, json.loads(result.stdout)


def test_there_are_the_three_workflows() -> None:
    assert [path.name for path in WORKFLOWS] == ["deploy.yml", "preview.yml", "review-stack.yml"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_the_workflow_parses_and_has_triggers_and_jobs(path: Path) -> None:
    document = load(path)
    assert document["on"] and document["jobs"]
    assert all(job.get("runs-on") and job.get("steps") for job in document["jobs"].values())


BROKEN_WORKFLOW = """on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - if: secrets.TOKEN != ''
        run: echo ${{ github.event.pull_request.title }}
"""


@pytest.fixture(scope="module")
def lint_findings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    """actionlint over every workflow and a deliberately broken one, in one run (it takes seconds)."""
    broken = tmp_path_factory.mktemp("lint") / "broken.yml"
    broken.write_text(BROKEN_WORKFLOW)
    _, findings = actionlint(*WORKFLOWS, broken)
    by_file: dict[str, list[dict[str, Any]]] = {str(path): [] for path in [*WORKFLOWS, broken]}
    for finding in findings:
        by_file[finding["file"]].append(finding)
    return {Path(name).name: found for name, found in by_file.items()}


def test_actionlint_accepts_every_workflow(lint_findings: dict[str, list[dict[str, Any]]]) -> None:
    assert {name: found for name, found in lint_findings.items() if name != "broken.yml"} == {
        path.name: [] for path in WORKFLOWS
    }


def test_actionlint_is_the_real_linter(lint_findings: dict[str, list[dict[str, Any]]]) -> None:
    findings = lint_findings["broken.yml"]
    assert {finding["kind"] for finding in findings} == {"expression"}
    assert any('"secrets" is not allowed here' in finding["message"] for finding in findings)
    assert any("github.event.pull_request.title" in finding["message"] for finding in findings)  # injection


def remote_actions() -> Iterator[str]:
    for path in WORKFLOWS:
        for job in load(path)["jobs"].values():
            yield from (
                step["uses"] for step in job["steps"] if "uses" in step and not step["uses"].startswith("./")
            )


def test_the_pulumi_action_is_pinned_to_an_exact_release_of_the_current_major() -> None:
    pulumi_actions = [uses for uses in remote_actions() if uses.startswith("pulumi/actions@")]
    assert pulumi_actions and all(
        re.fullmatch(rf"pulumi/actions@v{PULUMI_ACTIONS_MAJOR}\.\d+\.\d+", uses) for uses in pulumi_actions
    )
    assert all(re.fullmatch(r"[\w-]+/[\w-]+@v\d+(\.\d+){0,2}", uses) for uses in remote_actions())


def test_every_pulumi_up_and_preview_refreshes_first() -> None:
    runs = [
        step
        for path in WORKFLOWS
        for job in load(path)["jobs"].values()
        for step in steps_using(job, "pulumi/actions")
        if step.get("with", {}).get("command") in ("up", "preview")
    ]
    assert len(runs) == 4 and all(step["with"]["refresh"] is True for step in runs)


FROM_THIS_REPOSITORY = "github.event.pull_request.head.repo.full_name == github.repository"


def test_pull_requests_get_the_offline_diff_as_one_comment_per_stack_and_a_summary() -> None:
    document = workflow("preview.yml")
    assert "pull_request" in document["on"]
    offline = document["jobs"]["offline"]
    scripts = "\n".join(step.get("run", "") for step in offline["steps"])
    assert "-m preview --stack staging" in scripts and "-m preview --stack production" in scripts
    assert scripts.count('--against-ref "$BASE_REF" --format markdown') == 2
    assert offline["env"]["BASE_REF"] == "origin/${{ github.base_ref }}"
    # Never "the last comment" (it may be pulumi/actions' own, or anyone's): one per stack and tool.
    assert "--edit-last" not in (ROOT / ".github" / "workflows" / "preview.yml").read_text()
    [comment] = [step for step in offline["steps"] if "scripts/pr-comment" in step.get("run", "")]
    assert list(commands(comment["run"])) == [
        ["scripts/pr-comment", "1", "offline-preview:staging", "build/preview-staging.md"],
        ["scripts/pr-comment", "1", "offline-preview:production", "build/preview-production.md"],
    ]
    # A fork's token is read-only: the comment is skipped, the summary and artifact always come.
    assert comment["if"] == f"always() && {FROM_THIS_REPOSITORY}"
    [summary] = [step for step in offline["steps"] if "GITHUB_STEP_SUMMARY" in step.get("run", "")]
    assert summary["if"] == "always()" and "build/preview-staging.md" in summary["run"]


def test_real_previews_run_only_for_this_repository_in_an_environment() -> None:
    pulumi = workflow("preview.yml")["jobs"]["pulumi"]
    assert pulumi["if"] == FROM_THIS_REPOSITORY
    assert pulumi["environment"] == "${{ matrix.stack }}-preview"
    assert set(pulumi["strategy"]["matrix"]["stack"]) == {"staging", "production"}
    assert pulumi["env"]["HAS_PULUMI_TOKEN"] == "${{ secrets.PULUMI_ACCESS_TOKEN != '' }}"
    [step] = steps_using(pulumi, "pulumi/actions")
    assert step["if"] == "env.HAS_PULUMI_TOKEN == 'true'"
    assert step["with"]["command"] == "preview" and step["with"]["diff"] is True
    assert step["with"]["comment-on-pr"] is True and step["with"]["edit-pr-comment"] is True
    assert step["with"]["policyPacks"] == "policies"
    # Without the token the job must not look like a preview that ran and found nothing.
    [skipped] = [s for s in pulumi["steps"] if s.get("if") == "env.HAS_PULUMI_TOKEN != 'true'"]
    assert "::warning" in skipped["run"] and "GITHUB_STEP_SUMMARY" in skipped["run"]
    # Every job that holds credentials is bound to an environment.
    for path in WORKFLOWS:
        for name, job in load(path)["jobs"].items():
            if "secrets." in json.dumps(job):
                assert job.get("environment"), f"{path.name}: job {name} uses secrets outside an environment"


def test_main_deploys_staging_checks_it_then_production_after_approval() -> None:
    document = workflow("deploy.yml")
    assert document["on"]["push"]["branches"] == ["main"]
    staging, production = document["jobs"]["staging"], document["jobs"]["production"]
    for job, stack in ((staging, "staging"), (production, "production")):
        [up] = steps_using(job, "pulumi/actions")
        assert up["with"]["command"] == "up" and up["with"]["stack-name"] == stack
        assert up["with"]["refresh"] is True
        position = job["steps"].index(up)
        later = [command for step in job["steps"][position:] for command in commands(step.get("run", ""))]
        # The runner is outside the cluster: the checks reach the pods through port-forwarding.
        assert [
            ".venv/bin/python",
            "-m",
            "checks",
            "--stack",
            stack,
            "--port-forward",
            "--format",
            "junit",
            "--output",
            f"build/checks/{stack}.xml",
        ] in later
        [upload] = steps_using(job, "actions/upload-artifact")
        assert upload["if"] == "always()" and upload["with"]["path"] == "build/checks/"
    assert production["needs"] == "staging" and production["environment"] == "production"
    assert document["concurrency"]["cancel-in-progress"] is False


def test_review_stacks_come_and_go_with_the_label_and_the_pull_request() -> None:
    document = workflow("review-stack.yml")
    assert set(document["on"]["pull_request"]["types"]) >= {"labeled", "synchronize", "closed"}
    assert document["env"]["STACK"] == "pr-${{ github.event.pull_request.number }}"
    up, destroy = document["jobs"]["up"], document["jobs"]["destroy"]
    assert "contains(github.event.pull_request.labels.*.name, 'review-stack')" in up["if"]
    assert "github.event.action != 'closed'" in up["if"] and FROM_THIS_REPOSITORY in up["if"]
    up_commands = [command for step in up["steps"] for command in commands(step.get("run", ""))]
    # Per-stack encryption: the stack is created by Pulumi from staging's config, never a file copy.
    assert [
        "pulumi",
        "stack",
        "init",
        "pr-1",
        "--copy-config-from",
        "staging",
        "--non-interactive",
    ] in up_commands
    assert not any(command[0] == "cp" for command in up_commands)
    [deploy] = steps_using(up, "pulumi/actions")[1:]
    assert deploy["with"]["command"] == "up" and deploy["with"]["refresh"] is True
    assert deploy["with"]["stack-name"] == "${{ env.STACK }}"
    assert [
        ".venv/bin/python",
        "-m",
        "checks",
        "--stack",
        "pr-1",
        "--port-forward",
        "--format",
        "junit",
        "--output",
        "build/checks/pr-1.xml",
    ] in up_commands
    assert "github.event.action == 'closed'" in destroy["if"]
    [remove] = [step for step in steps_using(destroy, "pulumi/actions") if step.get("with")]
    assert remove["with"]["command"] == "destroy" and remove["with"]["remove"] is True
    # After the destroy: the data volumes go and the namespace is waited for.
    after = [
        command
        for step in destroy["steps"][destroy["steps"].index(remove) :]
        for command in commands(step.get("run", ""))
    ]
    assert [command[:5] for command in after] == [
        ["kubectl", "--context", "1", "delete", "persistentvolumeclaims"],
        ["kubectl", "--context", "1", "delete", "namespace"],
    ]
    assert "--all" in after[0] and "--wait=true" in after[1]


# --- every command a workflow runs exists ---------------------------------------------------------


def make_targets() -> set[str]:
    return set(re.findall(r"^([A-Za-z][\w-]*):", (ROOT / "Makefile").read_text(), flags=re.MULTILINE))


def commands(script: str) -> Iterator[list[str]]:
    """Each simple command of a ``run:`` script, redirections dropped, variables given sample values."""
    script = re.sub(r"\$\{\{[^}]*\}\}", "1", script.replace("\\\n", " "))
    for line in script.splitlines():
        line = re.sub(r"\$\{?(\w+)\}?", lambda m: SAMPLE_VALUES.get(m.group(1), "1"), line)
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        command: list[str] = []
        tokens = list(lexer)
        index = 0
        while index < len(tokens):
            token = tokens[index]
            if token in ("|", "||", "&&", ";", "&"):
                if command:
                    yield command
                command = []
            elif token in (">", ">>", "<"):
                index += 1  # the redirection's target
            else:
                command.append(token)
            index += 1
        if command:
            yield command


def all_commands() -> Iterator[tuple[str, list[str]]]:
    for path in WORKFLOWS:
        for job in load(path)["jobs"].values():
            for step in job["steps"]:
                for command in commands(step.get("run", "")):
                    yield path.name, command
    for action in sorted((ROOT / ".github" / "actions").glob("*/action.yml")):
        for step in yaml.safe_load(action.read_text())["runs"]["steps"]:
            for command in commands(step.get("run", "")):
                yield str(action.relative_to(ROOT)), command


def test_the_command_splitter_sees_every_command() -> None:
    script = 'mkdir -p b && .venv/bin/python -m preview --stack "$STACK" > b/x.md\nmake setup | tee log'
    assert list(commands(script)) == [
        ["mkdir", "-p", "b"],
        [".venv/bin/python", "-m", "preview", "--stack", "pr-1"],
        ["make", "setup"],
        ["tee", "log"],
    ]


def _command_cases() -> list[Any]:
    return [
        pytest.param(workflow_name, command, id=f"{workflow_name}:{' '.join(command)[:70]}")
        for workflow_name, command in all_commands()
    ]


def test_the_workflows_run_commands() -> None:
    assert len(list(all_commands())) > 5


@pytest.mark.parametrize(("workflow_name", "command"), _command_cases())
def test_every_command_the_workflows_run_exists(workflow_name: str, command: list[str]) -> None:
    program, *args = command
    if program == "make":
        assert set(args) <= make_targets(), f"{workflow_name}: make {args}: no such target"
    elif program == ".venv/bin/python":
        assert args[0] == "-m", f"{workflow_name}: {command}"
        module = args[1]
        assert (ROOT / module / "__main__.py").exists(), f"{workflow_name}: no module {module}"
        CLIS[module](args[2:])  # argparse exits 2 on an unknown option or value
    elif program.startswith("scripts/"):
        script = ROOT / program
        assert script.is_file() and os.access(script, os.X_OK), (
            f"{workflow_name}: {program} is not executable"
        )
    elif program in CLI_SUBCOMMANDS:
        words = tuple(arg for arg in args if not arg.startswith("-") and arg != "1")[:2]
        assert words in CLI_SUBCOMMANDS[program], f"{workflow_name}: {program} {' '.join(words)}"
    else:
        assert program in SHELL_TOOLS, f"{workflow_name}: unknown command {program}"


def test_the_command_check_rejects_what_a_cli_does_not_accept() -> None:
    with pytest.raises(SystemExit):
        CLIS["preview"](["--stack", "staging", "--format", "yaml"])
    assert "no-such-target" not in make_targets() and {"setup", "test", "actionlint"} <= make_targets()
