"""Run the benchmarks and write each one's figures to build/bench/<name>.json.

Every module in this package that defines ``run() -> dict`` is a benchmark; its file name
is the JSON name unless the module sets ``NAME``. Arguments select benchmarks by name.
Exit status: 0 all ran, 2 one could not run (it raised FileNotFoundError for a missing tool),
1 a benchmark's figures carry ``"goals"`` (``{name: {"value", "target", "met"}}``) not met.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

OUTPUT = Path("build/bench")


def benchmarks() -> dict[str, Callable[[], dict[str, Any]]]:
    found = {}
    package = Path(__file__).parent
    for module_info in sorted(pkgutil.iter_modules([str(package)]), key=lambda m: m.name):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__package__}.{module_info.name}")
        run = getattr(module, "run", None)
        if callable(run):
            found[getattr(module, "NAME", module_info.name)] = run
    return found


def main(selected: list[str]) -> int:
    available = benchmarks()
    unknown = sorted(set(selected) - set(available))
    if unknown:
        print(
            f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(available)}", file=sys.stderr
        )
        return 2
    OUTPUT.mkdir(parents=True, exist_ok=True)
    status = 0
    for name, run in available.items():
        if selected and name not in selected:
            continue
        print(f"== {name}", flush=True)
        try:
            figures = run()
        except FileNotFoundError as error:  # a missing tool: the benchmark says which
            print(f"{name}: could not run: {error}", file=sys.stderr)
            status = 2
            continue
        path = OUTPUT / f"{name}.json"
        path.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
        print(json.dumps(figures, indent=2, sort_keys=True))
        print(f"wrote {path}", flush=True)
        try:
            missed = unmet_goals(figures)
        except ValueError as error:
            print(f"{name}: {error}", file=sys.stderr)
            status = 2
            continue
        if missed:
            print(f"{name}: goals not met: {', '.join(missed)}", file=sys.stderr)
            status = status or 1
    return status


def unmet_goals(figures: dict[str, Any]) -> list[str]:
    goals = figures.get("goals", {})
    malformed = sorted(
        name for name, figure in goals.items() if not isinstance(figure, dict) or "met" not in figure
    )
    if malformed:
        raise ValueError(f"goals not reported with tests.bench.goal(): {', '.join(malformed)}")
    return [name for name, figure in goals.items() if not figure["met"]]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
