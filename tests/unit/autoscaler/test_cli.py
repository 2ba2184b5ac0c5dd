"""``python -m autoscaler`` as a process: exit codes for what can go wrong before any service is
touched, and SIGTERM stopping it between cycles."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from autoscaler.labels import encode
from tests.support.engine_double import RULES
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
    done = run("--downscale-stabilization", "-1", "--once")
    assert done.returncode == 2 and "--downscale-stabilization" in done.stderr


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


class SlowEngine:
    """An Engine API stand-in on loopback: one autoscaled service, whose task list takes
    ``delay`` seconds to answer (so a signal can arrive in the middle of a cycle)."""

    def __init__(self, delay: float) -> None:
        self.port = free_port()
        self.task_calls = 0
        self.tasks_asked = threading.Event()
        service = {
            "ID": "svc-1",
            "Version": {"Index": 1},
            "Spec": {"Name": "api", "Labels": encode(RULES), "Mode": {"Replicated": {"Replicas": 2}}},
        }
        engine = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                body: Any = []
                if self.path.startswith("/v1.41/services"):
                    body = [service]
                elif self.path.startswith("/v1.41/tasks"):
                    engine.task_calls += 1
                    engine.tasks_asked.set()
                    time.sleep(delay)
                payload = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_sigterm_in_the_middle_of_a_cycle_finishes_it_then_exits_0() -> None:
    engine = SlowEngine(delay=2.0)
    try:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "autoscaler",
                "--docker-host",
                f"tcp://127.0.0.1:{engine.port}",
                "--interval",
                "1",
            ],
            stderr=subprocess.PIPE,
            text=True,
        )
        assert engine.tasks_asked.wait(60), "the autoscaler never asked for the service's tasks"
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    finally:
        engine.close()
    events = [json.loads(line)["event"] for line in stderr.splitlines() if line.startswith("{")]
    assert process.returncode == 0 and "Traceback" not in stderr
    # The signal is noted at once, the cycle under way still decides, and no other cycle starts.
    assert events.index("stopping") < events.index("decision") < events.index("stopped")
    assert engine.task_calls == 1


def test_an_engine_api_slower_than_the_timeout_skips_the_cycle_with_a_warning() -> None:
    engine = SlowEngine(delay=3.0)
    try:
        done = run("--once", "--docker-host", f"tcp://127.0.0.1:{engine.port}", "--api-timeout", "1")
    finally:
        engine.close()
    lines = [json.loads(text) for text in done.stderr.splitlines() if text.startswith("{")]
    assert done.returncode == 2 and "Traceback" not in done.stderr
    (skipped,) = [line for line in lines if line["event"] == "cycle skipped"]
    assert skipped["level"] == "warning" and "timed out" in skipped["reason"]
    assert not [line for line in lines if line["event"] == "decision"]
