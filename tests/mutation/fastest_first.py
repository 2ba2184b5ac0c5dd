"""A pytest plugin for ``make mutate``: the quickest test modules first, the quickest tests first.

mutmut runs a mutant's tests with ``-x``: the first failure decides. Ordered by the durations
mutmut measured in its clean run, a mutant that a unit test kills never waits for a test
that starts and kills servers. Tests of one module stay together, so its module fixtures
are set up once. Loaded through ``PYTEST_ADDOPTS`` by the runner (``tests/mutation``), so
mutmut's own configuration, and with it its stored verdicts, stay as they are.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

# mutmut keeps the duration of every test, by node id, next to its mutated tree.
STATS = Path("mutants") / "mutmut-stats.json"


def durations() -> dict[str, float]:
    if not STATS.exists():
        return {}  # mutmut's first, measuring run: nothing to order by yet
    measured = json.loads(STATS.read_text())["duration_by_test"]
    return {str(test): float(seconds) for test, seconds in measured.items()}


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    seconds = durations()
    if not seconds:
        return
    per_module: dict[str, float] = defaultdict(float)
    for item in items:
        per_module[item.nodeid.split("::", 1)[0]] += seconds.get(item.nodeid, 0.0)
    items.sort(key=lambda item: (per_module[item.nodeid.split("::", 1)[0]], seconds.get(item.nodeid, 0.0)))
