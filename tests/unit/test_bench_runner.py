from __future__ import annotations

import json
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from tests.bench import __main__ as runner


def fake_benchmark(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, result: dict[str, Any]) -> None:
    module = types.ModuleType("tests.bench.fake")
    module.run = lambda: result  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tests.bench.fake", module)
    monkeypatch.setattr(runner, "discover", lambda: ["fake"])
    monkeypatch.setattr(runner, "OUT", tmp_path)


def test_benchmark_modules_are_discovered() -> None:
    assert "cache_manager" in runner.discover()


def test_figures_are_written_and_met_goals_exit_0(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_benchmark(monkeypatch, tmp_path, {"speedup": 6.0, "goals": {"speedup": {"value": 6.0, "met": True}}})
    assert runner.main([]) == 0
    written = json.loads((tmp_path / "fake.json").read_text())
    assert written["speedup"] == 6.0
    assert "seconds" in written


def test_an_unmet_goal_exits_1(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: Any) -> None:
    fake_benchmark(
        monkeypatch, tmp_path, {"goals": {"speedup": {"value": 2.0, "target": ">= 5", "met": False}}}
    )
    assert runner.main(["fake"]) == 1
    assert "goals not met: fake.speedup" in capsys.readouterr().err


def test_unknown_benchmarks_exit_2(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: Any) -> None:
    fake_benchmark(monkeypatch, tmp_path, {})
    assert runner.main(["nope"]) == 2
    assert "unknown benchmark(s): nope" in capsys.readouterr().err


def test_a_benchmark_that_cannot_run_exits_2(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_benchmark(monkeypatch, tmp_path, {})

    def broken() -> dict[str, Any]:
        raise RuntimeError("redis-server not installed")

    monkeypatch.setattr(sys.modules["tests.bench.fake"], "run", broken)
    assert runner.main([]) == 2
