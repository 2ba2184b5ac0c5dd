"""Run mutmut per module group and write the scores to build/bench/mutation.json.

``python -m tests.mutation [GROUP ...]`` (``make mutate``, ``make mutate GROUPS=cache_manager``).
Groups not run keep their figures from an earlier run in the JSON file. Exit status: 0 every
group run met its goal, 1 one did not (its surviving mutants are printed, with the change each
makes), 2 mutmut could not run or an argument or ``equivalent.toml`` is wrong.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import time
import tomllib
from collections import Counter
from contextlib import AbstractContextManager, chdir, nullcontext
from pathlib import Path
from typing import Any

from mutmut.mutation.diff_apply import get_diff_for_mutant

from tests.bench import goal
from tests.mutation import results, scratch
from tests.mutation.groups import Group, by_name
from tests.support.shared_servers import Starter, serving

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "build" / "bench" / "mutation.json"
SCRATCH = ROOT / "build" / "mutation"


def run_mutmut(
    workdir: Path, max_children: int, environment: dict[str, str], mutants: list[str] | None = None
) -> int:
    """mutmut in ``workdir`` at the lowest CPU priority (the machine is shared with test runs).

    Without ``mutants`` it runs every mutant that has no result yet (all of them in a fresh
    copy); with names, exactly those again.
    """
    mutmut = Path(sys.executable).parent / "mutmut"
    command = ["nice", "-n", "19", str(mutmut), "run", "--max-children", str(max_children), *(mutants or [])]
    addopts = f"{os.environ.get('PYTEST_ADDOPTS', '')} -p tests.mutation.fastest_first".strip()
    with open(workdir / "mutmut.log", "a") as log:
        return subprocess.run(
            command,
            cwd=workdir,
            env={**os.environ, **environment, "PYTEST_ADDOPTS": addopts},
            stdout=log,
            stderr=subprocess.STDOUT,
            check=False,
        ).returncode


def shared_servers(group: Group) -> AbstractContextManager[dict[str, str]]:
    """The group's shared servers, running for the whole block (none when it names none)."""
    if not group.servers:
        return nullcontext({})
    module, _, attribute = group.servers.partition(":")
    starters: dict[str, Starter] = getattr(importlib.import_module(module), attribute)
    return serving(starters)


def module_of(path: str) -> str:
    return path.removesuffix(".py").replace("/", ".").removesuffix(".__init__")


def judge(
    workdir: Path, files: dict[str, results.FileResult], equivalents: dict[str, results.Equivalent]
) -> tuple[dict[str, dict[str, str]], list[str]]:
    """Mark the reviewed equivalents; return the other undetected mutants (status and change)
    and the equivalence entries of these files that no longer match a surviving mutant."""
    undetected: dict[str, dict[str, str]] = {}
    matched: set[str] = set()
    with chdir(workdir):
        for path, result in files.items():
            for name, status in result.statuses.items():
                if status in (*results.DETECTED, *results.NOT_SCORED):
                    continue
                change = results.changed_lines(get_diff_for_mutant(name, path=path))
                entry = equivalents.get(name)
                if entry is not None and entry.change == change and status == "survived":
                    result.equivalent.add(name)
                    matched.add(name)
                else:
                    undetected[name] = {"status": status, "change": change}
    modules = {module_of(path) for path in files}
    stale = sorted(name for name in equivalents if name.rpartition(".")[0] in modules and name not in matched)
    return undetected, stale


def run_group(
    group: Group, equivalents: dict[str, results.Equivalent], max_children: int, *, again: bool = False
) -> dict[str, Any]:
    """One group's run: fresh, or ``again`` in the copy of an earlier run (see ``rerun``)."""
    workdir = SCRATCH / group.slug
    started = time.monotonic()
    with shared_servers(group) as environment:
        if again:
            status = rerun(group, workdir, max_children, environment)
        else:
            status = fresh_run(group, workdir, max_children, environment)
    seconds = time.monotonic() - started
    if status != 0:
        raise RuntimeError(f"mutmut exited {status}; see {workdir / 'mutmut.log'}")
    files = results.read_run(workdir / "mutants")
    if not files:
        raise RuntimeError(f"mutmut produced no mutants for {', '.join(group.mutate)}")
    undetected, stale = judge(workdir, files, equivalents)
    total: Counter[str] = Counter()
    for result in files.values():
        total.update(result.counts())
    figures = results.summary(total)
    return {
        **figures,
        "goal": group.goal,
        "met": figures["score"] is not None and figures["score"] >= group.goal,
        "seconds": round(seconds, 1),
        "tests": list(group.tests),
        "files": {path: results.summary(result.counts()) for path, result in sorted(files.items())},
        "undetected": undetected,
        "stale_equivalents": stale,
    }


def fresh_run(group: Group, workdir: Path, max_children: int, environment: dict[str, str]) -> int:
    scratch.prepare(ROOT, workdir, group)
    return run_mutmut(workdir, max_children, environment)


def rerun(group: Group, workdir: Path, max_children: int, environment: dict[str, str]) -> int:
    """The project's current files over the earlier copy, then mutmut on what is left to decide.

    mutmut keeps its verdicts and its test-to-function map in the copy: mutants of functions
    whose code changed, and new tests, are run afresh in the first pass; the second runs the
    mutants no test detected last time against the tests as they are now. A detected mutant
    stays detected (tests only grow); a fresh run (without ``--again``) checks everything.
    """
    previous = results.read_run(workdir / "mutants") if (workdir / "mutants").is_dir() else {}
    if not previous:
        raise FileNotFoundError(f"no earlier run of {group.name} in {workdir} to continue")
    undetected = [
        name
        for result in previous.values()
        for name, status in result.statuses.items()
        if status not in (*results.DETECTED, *results.NOT_SCORED, "not checked")
    ]
    scratch.refresh(ROOT, workdir, group)
    status = run_mutmut(workdir, max_children, environment)
    if status == 0 and undetected:
        status = run_mutmut(workdir, max_children, environment, undetected)
    return status


def write(figures_by_group: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Merge into the JSON file: groups not run this time keep their earlier figures."""
    previous = json.loads(OUTPUT.read_text()) if OUTPUT.exists() else {}
    groups = {**previous.get("groups", {}), **figures_by_group}
    document = {
        "groups": groups,
        "goals": {
            name: goal(figures["score"] or 0.0, f">= {figures['goal']}", figures["met"])
            for name, figures in groups.items()
        },
        "load_average": round(os.getloadavg()[0], 2),
    }
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    return document


def report(name: str, figures: dict[str, Any]) -> None:
    score = "n/a" if figures["score"] is None else f"{figures['score']:.1%}"
    verdict = "met" if figures["met"] else "NOT met"
    print(
        f"{name}: {score} ({figures['detected']} of {figures['mutants']} detected, "
        f"{figures.get('equivalent', 0)} equivalent) in {figures['seconds']:.0f} s; "
        f"goal {figures['goal']:.0%} {verdict}",
        flush=True,
    )
    for mutant, found in figures["undetected"].items():
        print(f"  {found['status']}: {mutant}")
        for line in found["change"].splitlines():
            print(f"      {line}")
    for mutant in figures["stale_equivalents"]:
        print(f"  equivalent.toml entry no longer matches a surviving mutant: {mutant}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.mutation", description=__doc__)
    parser.add_argument("groups", nargs="*", help="group names or slugs (default: every group)")
    parser.add_argument("--max-children", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--again",
        action="store_true",
        help="continue the group's last run: only mutants not yet detected, or in changed code",
    )
    args = parser.parse_args(argv)
    try:
        groups = by_name(args.groups)
        equivalents = results.load_equivalents()
    except (KeyError, ValueError, tomllib.TOMLDecodeError) as error:
        print(f"mutation: {error}", file=sys.stderr)
        return 2
    figures_by_group: dict[str, dict[str, Any]] = {}
    status = 0
    for group in groups:
        print(f"== {group.name} (tests: {' '.join(group.tests)})", flush=True)
        try:
            figures = run_group(group, equivalents, args.max_children, again=args.again)
        except (RuntimeError, FileNotFoundError) as error:
            print(f"{group.name}: could not run: {error}", file=sys.stderr)
            status = 2
            continue
        figures_by_group[group.name] = figures
        report(group.name, figures)
        if not figures["met"] or figures["stale_equivalents"]:
            status = status or 1
    if figures_by_group:
        write(figures_by_group)
        print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
