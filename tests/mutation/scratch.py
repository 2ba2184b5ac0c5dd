"""A scratch copy of the project for one group, with mutmut configured for that group.

mutmut writes its mutated tree (``mutants/``) and its bookkeeping next to the configuration it
reads, so each group gets its own copy of the project's files (as git sees them, uncommitted
edits included) and a ``pyproject.toml`` with that group's ``[tool.mutmut]`` table. The
working tree is only read.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

from tests.mutation.groups import Group


def project_files(root: Path) -> list[str]:
    """Every file git tracks or would track (uncommitted and untracked-but-not-ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=root,
        capture_output=True,
        check=True,
    ).stdout.decode()
    # A file deleted but not yet committed is still listed by --cached.
    return sorted(name for name in listed.split("\0") if name and (root / name).is_file())


def copy_project(root: Path, destination: Path, files: Iterable[str]) -> None:
    for name in files:
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / name, target)


def packages(files: Iterable[str]) -> list[str]:
    """The top-level Python packages and modules: what mutmut copies into ``mutants/``.

    Every one is listed (not only the group's), because the tests import the whole program
    and mutmut takes the unmutated originals off ``sys.path``; ``only_mutate`` narrows the
    mutations to the group's files.
    """
    listed = set(files)
    tops = set()
    for name in listed:
        parts = Path(name).parts
        if parts[0] == "tests":
            continue
        if len(parts) == 1 and name.endswith(".py"):
            tops.add(name)
        elif len(parts) > 1 and f"{parts[0]}/__init__.py" in listed:
            tops.add(parts[0])
    return sorted(tops)


def others(files: Iterable[str], sources: Iterable[str]) -> list[str]:
    """Top-level entries the tests read that are not sources (stack files, README, scripts)."""
    excluded = {*sources, "tests", "pyproject.toml"}
    return sorted({Path(name).parts[0] for name in files} - excluded)


def toml_list(values: Iterable[str]) -> str:
    # A JSON string of plain ASCII is a valid TOML basic string.
    return "[" + ", ".join(json.dumps(value) for value in values) + "]"


def test_paths(root: Path, patterns: Iterable[str]) -> list[str]:
    """Each pattern expanded against ``root``; a pattern that matches nothing is an error."""
    paths: list[str] = []
    for pattern in patterns:
        found = sorted(path.relative_to(root).as_posix() for path in root.glob(pattern))
        if not found:
            raise FileNotFoundError(f"no tests match {pattern}")
        paths.extend(found)
    return paths


def mutmut_table(group: Group, sources: list[str], also_copy: list[str], tests: list[str]) -> str:
    return "\n".join(
        [
            "",
            "[tool.mutmut]",
            f"source_paths = {toml_list(sources)}",
            f"also_copy = {toml_list(also_copy)}",
            f"only_mutate = {toml_list(group.mutate)}",
            f"pytest_add_cli_args_test_selection = {toml_list(tests)}",
            # The shared cache directory would mix runs of the mutated tree with the real one.
            'pytest_add_cli_args = ["-p", "no:cacheprovider"]',
            # The copy is no git repository; every run starts from a fresh copy anyway.
            "use_git_change_detection = false",
            "",
        ]
    )


def prepare(root: Path, destination: Path, group: Group) -> None:
    """A fresh copy of the project in ``destination``, configured to mutate ``group``."""
    if destination.exists():
        shutil.rmtree(destination)
    refresh(root, destination, group)


def refresh(root: Path, destination: Path, group: Group) -> None:
    """The project's files copied over ``destination`` (mutmut's ``mutants/`` and its verdicts
    stay), configured to mutate ``group``."""
    files = project_files(root)
    copy_project(root, destination, files)
    sources = packages(files)
    table = mutmut_table(group, sources, others(files, sources), test_paths(root, group.tests))
    pyproject = destination / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + table)
