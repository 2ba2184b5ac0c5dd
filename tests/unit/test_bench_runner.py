from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.bench import __main__ as runner


def only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, run: Any) -> None:
    monkeypatch.setattr(runner, "benchmarks", lambda: {"fake": run})
    monkeypatch.setattr(runner, "OUTPUT", tmp_path)


def test_the_cache_manager_benchmark_is_discovered() -> None:
    assert "cache_manager" in runner.benchmarks()


def test_met_goals_exit_0_and_figures_are_written(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    only(monkeypatch, tmp_path, lambda: {"speedup": 6.0, "goals": {"speedup": {"value": 6.0, "met": True}}})
    assert runner.main([]) == 0
    assert json.loads((tmp_path / "fake.json").read_text())["speedup"] == 6.0


def test_an_unmet_goal_exits_1(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: Any) -> None:
    only(
        monkeypatch, tmp_path, lambda: {"goals": {"speedup": {"value": 2.0, "target": ">= 5", "met": False}}}
    )
    assert runner.main(["fake"]) == 1
    assert "fake: goals not met: speedup" in capsys.readouterr().err
    assert (tmp_path / "fake.json").exists()  # the figures are written all the same


def test_goals_in_another_shape_are_reported_not_crashed_on(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: Any
) -> None:
    only(monkeypatch, tmp_path, lambda: {"goals": {"hit_ratio_min": 0.97}})
    assert runner.main(["fake"]) == 2
    assert "goals not reported with tests.bench.goal(): hit_ratio_min" in capsys.readouterr().err
