"""Copy the peers' published fixtures into this folder, with the verdicts their own tests assert.

Run from the repository root with local clones of the two projects::

    python -m tests.policies.peers.import_fixtures --polaris PATH --kube-score PATH

- Polaris: ``test/checks/<check>/{failure,success}*.yaml`` of every built-in check (the
  ``mutated*`` files are expected remediation output, not inputs; the folders with a
  ``check.yaml`` hold custom-check examples, not built-in checks). Its test runs one check per
  folder: a ``failure`` file must fail it, a ``success`` file must pass it.
- kube-score: every ``score/testdata/*.yaml``, and from ``score/*_test.go`` each
  ``testExpectedScore`` / ``testExpectedScoreWithConfig`` call: file, check name, asserted grade
  and the run configuration it sets.

Each peer's commit and licence text are copied next to its fixtures (SOURCE.yaml, LICENSE).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
GRADES = {"GradeCritical": 1, "GradeWarning": 5, "GradeAlmostOK": 7, "GradeAllOK": 10, "0": 0}
_CALL = re.compile(r"\btestExpectedScore(WithConfig)?\(")
_FUNC = re.compile(r"^func (\w+)\(", re.M)
_LOOP = re.compile(r"range \[\]string\{([^}]*)\}")
_FIELD = re.compile(r"(\w+):\s*(config\.Semver\{[^}]*\}|true|false|\d+)")


def _commit(repo: Path) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()


def _source(repo: Path, name: str, url: str, licence: str, paths: list[str], checks: list[str]) -> None:
    target = HERE / name
    (target / "SOURCE.yaml").write_text(
        yaml.safe_dump(
            {
                "repository": url,
                "commit": _commit(repo),
                "licence": licence,
                "copied": paths,
                "checks": checks,
            },
            sort_keys=False,
        )
    )
    shutil.copy(repo / "LICENSE", target / "LICENSE")


def import_polaris(repo: Path) -> int:
    target = HERE / "polaris"
    shutil.rmtree(target / "checks", ignore_errors=True)
    copied = 0
    for folder in sorted((repo / "test" / "checks").iterdir()):
        if (folder / "check.yaml").exists():
            continue  # a custom-check example, not a built-in check
        for fixture in sorted(folder.glob("*.yaml")):
            if fixture.name.startswith(("failure", "success")):
                destination = target / "checks" / folder.name / fixture.name
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(fixture, destination)
                copied += 1
    _source(
        repo,
        "polaris",
        "https://github.com/FairwindsOps/polaris",
        "Apache-2.0",
        ["test/checks/<built-in check>/failure*.yaml", "test/checks/<built-in check>/success*.yaml"],
        sorted(p.stem for p in (repo / "pkg" / "config" / "checks").glob("*.yaml")),
    )
    return copied


def _call_arguments(text: str, start: int) -> str:
    """The text between the parentheses of the call whose ``(`` is at ``start - 1``."""
    depth, index = 1, start
    while depth:
        depth += {"(": 1, ")": -1}.get(text[index], 0)
        index += 1
    return text[start : index - 1]


def _configuration(arguments: str) -> dict[str, Any]:
    config: dict[str, Any] = {}
    for key, value in _FIELD.findall(arguments):
        if value.startswith("config.Semver"):
            numbers = dict(re.findall(r"(Major|Minor):\s*(\d+)", value))
            config[key] = f"{numbers.get('Major', '0')}.{numbers.get('Minor', '0')}"
        elif value in ("true", "false"):
            config[key] = value == "true"
        else:
            config[key] = int(value)
    return config


def _expectations_in(go_file: Path) -> list[dict[str, Any]]:
    text = go_file.read_text()
    functions = [(m.start(), m.group(1)) for m in _FUNC.finditer(text)]
    found = []
    for call in _CALL.finditer(text):
        enclosing = [name for start, name in functions if start < call.start()]
        if not enclosing or not enclosing[-1].startswith("Test"):
            continue  # the helpers' own definitions and their calls of each other
        test = enclosing[-1]
        body = text[next(s for s, n in functions if n == test) : call.start()]
        arguments = _call_arguments(text, call.end())
        strings = re.findall(r'"((?:[^"\\]|\\.)*)"', arguments)
        grade = arguments.rsplit(",", 1)[1].strip().removeprefix("scorecard.")
        config = _configuration(arguments) if call.group(1) else {"KubernetesVersion": "1.18"}
        file_expression = re.search(r'(?:testFile\()?("[^)]*?\.yaml")', arguments)
        assert file_expression, arguments
        expression = file_expression.group(1)
        variants = [""]
        if '+v+"' in expression:
            loop = _LOOP.findall(body)
            variants = re.findall(r'"([^"]+)"', loop[-1])
        for variant in variants:
            filename = "".join(re.findall(r'"([^"]*)"', expression.replace('+v+"', f'"{variant}"+"')))
            found.append(
                {
                    "test": f"{go_file.name}:{test}" + (f"/{variant}" if variant else ""),
                    "file": filename,
                    "check": strings[-1],
                    "grade": GRADES[grade],
                    "config": dict(config),
                }
            )
    return found


def import_kube_score(repo: Path) -> int:
    target = HERE / "kube-score"
    shutil.rmtree(target / "testdata", ignore_errors=True)
    (target / "testdata").mkdir(parents=True)
    for fixture in sorted((repo / "score" / "testdata").glob("*.yaml")):
        shutil.copy(fixture, target / "testdata" / fixture.name)
    expectations = [e for go in sorted((repo / "score").glob("*_test.go")) for e in _expectations_in(go)]
    header = (
        "# Generated by tests/policies/peers/import_fixtures.py from kube-score's score/*_test.go:\n"
        "# each testExpectedScore(WithConfig) call: fixture, check name, asserted grade\n"
        "# (1 critical, 5 warning, 7 almost ok, 10 all ok, 0 skipped) and the run configuration.\n"
    )
    (target / "expectations.yaml").write_text(
        header + yaml.safe_dump(expectations, sort_keys=False, width=120)
    )
    _source(
        repo,
        "kube-score",
        "https://github.com/zegl/kube-score",
        "MIT",
        ["score/testdata/*.yaml", "score/*_test.go (asserted grades, in expectations.yaml)"],
        re.findall(r"^\| ([a-z0-9-]+) \|", (repo / "README_CHECKS.md").read_text(), re.M),
    )
    return len(expectations)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--polaris", type=Path, required=True, help="a clone of FairwindsOps/polaris")
    parser.add_argument("--kube-score", type=Path, required=True, help="a clone of zegl/kube-score")
    args = parser.parse_args(argv)
    print(f"polaris: {import_polaris(args.polaris)} fixtures")
    print(f"kube-score: {import_kube_score(args.kube_score)} asserted grades")
    return 0


if __name__ == "__main__":
    sys.exit(main())
