"""``python -m autoscaler`` exit codes for what can go wrong before any service is touched."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.support.ports import free_port


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "autoscaler", *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_bad_arguments_exit_2_without_a_traceback() -> None:
    done = run("--interval", "often")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    done = run("--interval", "0", "--once")
    assert done.returncode == 2 and "must be positive" in done.stderr


def test_an_unknown_stack_exits_2_naming_it() -> None:
    done = run("--stack", "nowhere", "--once", "--docker-host", "unix:///nonexistent.sock")
    assert done.returncode == 2 and "nowhere" in done.stderr and "Traceback" not in done.stderr


def test_no_engine_for_the_only_cycle_exits_2_with_a_warning_line() -> None:
    done = run("--once", "--docker-host", f"tcp://127.0.0.1:{free_port()}", "--api-timeout", "2")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    (line,) = [json.loads(text) for text in done.stderr.splitlines() if text.startswith("{")]
    assert (line["level"], line["event"]) == ("warning", "cycle skipped")


def test_help_exits_0() -> None:
    assert run("--help").returncode == 0
