"""`make test` runs the suite on pytest-xdist workers (`--dist loadgroup`): every test that uses
the private Docker Engine must land on one worker, or a second worker starts a second engine
and waits for the machine lock the first one holds (tests/support/docker_engine.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.support.docker_engine import ENGINE_TEST_PATHS, SKIP_ENV

ROOT = Path(__file__).resolve().parents[2]
# Tests that use no engine, so the scheduler has other work to hand out.
OTHER_TESTS = "tests/unit/test_images.py"


def test_every_engine_test_runs_on_one_xdist_worker() -> None:
    # The engine fixture skips at once here: only where each test ran matters.
    env = {**os.environ, SKIP_ENV: "1"}
    xdist = ["-n", "2", "--dist", "loadgroup"]  # as `make test` runs the suite
    finished = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            *xdist,
            "-p",
            "no:cacheprovider",
            "-v",
            *ENGINE_TEST_PATHS,
            OTHER_TESTS,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
    ran = re.findall(r"^\[(gw\d+)\] \[ *\d+%\] (?:PASSED|SKIPPED|FAILED|ERROR) (\S+)", finished.stdout, re.M)
    engine_workers = {worker for worker, test in ran if test.startswith(ENGINE_TEST_PATHS)}
    engine_tests = [test for _, test in ran if test.startswith(ENGINE_TEST_PATHS)]
    assert len(engine_tests) >= 20, finished.stdout[-3000:]
    assert len(engine_workers) == 1, sorted((w, t) for w, t in ran if t.startswith(ENGINE_TEST_PATHS))
