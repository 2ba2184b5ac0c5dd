"""Run every benchmark module of this package (or the named ones) and write its figures.

A benchmark is a module here with ``run() -> dict``. Its result goes to
``build/bench/<module>.json``. A result may carry ``"goals"``: ``{name: {"value", "target",
"met"}}``; the run exits 1 when a goal is not met, 2 when a benchmark could not run.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
import time
from pathlib import Path
from typing import Any

import tests.bench as package

OUT = Path("build/bench")


def discover() -> list[str]:
    return sorted(name for _, name, is_pkg in pkgutil.iter_modules(package.__path__) if not is_pkg)


def run_one(name: str) -> dict[str, Any]:
    module = importlib.import_module(f"tests.bench.{name}")
    started = time.monotonic()
    result: dict[str, Any] = module.run()
    result.setdefault("seconds", round(time.monotonic() - started, 1))
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{name}.json").write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    return result


def unmet(result: dict[str, Any]) -> list[str]:
    return [goal for goal, figure in result.get("goals", {}).items() if not figure.get("met")]


def main(argv: list[str]) -> int:
    available = [name for name in discover() if name != "__main__"]
    names = argv or available
    unknown = sorted(set(names) - set(available))
    if unknown:
        print(
            f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(available)}", file=sys.stderr
        )
        return 2
    failed: list[str] = []
    broken: list[str] = []
    for name in names:
        try:
            result = run_one(name)
        except Exception as error:  # report and keep going: one broken bench must not hide the others
            print(f"{name}: could not run: {type(error).__name__}: {error}", file=sys.stderr)
            broken.append(name)
            continue
        for goal, figure in result.get("goals", {}).items():
            status = "ok" if figure.get("met") else "NOT MET"
            print(f"{name}.{goal}: {figure.get('value')} (target {figure.get('target')}) {status}")
        failed += [f"{name}.{goal}" for goal in unmet(result)]
        print(f"{name}: figures in {OUT / (name + '.json')}")
    if failed:
        print(f"goals not met: {', '.join(failed)}", file=sys.stderr)
    if broken:
        return 2
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
