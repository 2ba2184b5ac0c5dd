"""Inputs: the program's own stack outputs, and every way the checks can be unable to run."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.checks.conftest import PASSWORD, Deployment, joined, run_checks
from tests.support.ports import free_port
from tests.support.stacks import synthesize_stack

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def staging_outputs() -> dict[str, Any]:
    """The stack outputs the real program exports for staging (offline synthesis)."""
    return synthesize_stack("staging").outputs


def on_loopback(outputs: dict[str, Any], deployment: Deployment) -> dict[str, Any]:
    """The program's outputs with every endpoint moved to the loopback deployment."""
    local = json.loads(json.dumps(outputs))
    endpoints = local["endpoints"]
    endpoints["cdn"].update(host="127.0.0.1", port=deployment.cdn.port)
    endpoints["redisCluster"]["nodes"] = [joined(deployment.cluster.nodes[:1])]
    endpoints["sentinel"]["sentinels"] = [f"{host}:{port}" for host, port in deployment.group.sentinels]
    return local


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m checks`` as operators run it: a separate process."""
    environment = {**os.environ, "REDIS_PASSWORD": PASSWORD, "KUBECONFIG": "/nonexistent", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "checks", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_programs_own_outputs_drive_the_checks(
    deployment: Deployment,
    staging_outputs: dict[str, Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(on_loopback(staging_outputs, deployment)))
    run = run_checks(capsys, "--stack", "staging", "--outputs", str(path), "--min-lookups", "1")
    assert run.document["stack"] == "staging"
    assert run.not_ok() <= {("hit-ratio", "keyspace_hit_ratio")}
    assert set(run.statuses("cdn").values()) == {"ok"}
    assert run.result("redis-cluster", "topology")["status"] == "ok"
    assert run.result("sentinel", "peers")["status"] == "ok"
    # The namespace comes from the outputs; no kubeconfig here, so the family says it skipped.
    assert run.result("kubernetes", "api")["target"] == "technovastore-staging"


def test_outputs_of_another_stack(staging_outputs: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(staging_outputs))
    done = cli("--stack", "production", "--outputs", str(path))
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"checks: could not run: the outputs in {path} belong to stack 'staging', not to the requested stack "
        "'production'"
    )
    assert "Traceback" not in done.stderr and done.stdout == ""


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "is not JSON (Expecting property name enclosed in double quotes at line 1)"),
        ('["a list"]', "are not this program's stack outputs (no 'stack' output)"),
        ('{"stack": "staging", "endpoints": []}', "'endpoints' must be an object"),
    ],
)
def test_a_garbage_outputs_file(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "outputs.json"
    path.write_text(content)
    done = cli("--outputs", str(path))
    assert done.returncode == 2
    assert expected in done.stderr
    assert "Traceback" not in done.stderr


def test_a_missing_outputs_file(tmp_path: Path) -> None:
    done = cli("--outputs", str(tmp_path / "absent.json"))
    assert done.returncode == 2
    assert "cannot read the outputs file" in done.stderr and "No such file or directory" in done.stderr


def test_an_unreachable_host(capsys: pytest.CaptureFixture[str]) -> None:
    port = free_port()
    run = run_checks(capsys, "--redis-cluster", f"127.0.0.1:{port}")
    assert run.code == 2, run.document
    result = run.result("redis-cluster", "reachable")
    assert result["status"] == "error"
    assert result["message"] == f"could not query the cluster nodes: 127.0.0.1:{port}: connection refused"


def test_a_wrong_password(
    deployment: Deployment, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = "not-the-password-" + PASSWORD[:6]
    monkeypatch.setenv("REDIS_PASSWORD", wrong)
    capsys.readouterr()
    run = run_checks(capsys, *deployment.flags())
    assert run.code == 2, run.document
    for family in ("redis-cluster", "sentinel"):
        result = run.result(family, "reachable")
        assert result["status"] == "error"
        assert "authentication as user 'admin' failed (invalid username-password pair" in result["message"]
    assert wrong not in json.dumps(run.document)


def test_nothing_to_check() -> None:
    done = cli(env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 2
    assert "nothing to check" in done.stderr and "Traceback" not in done.stderr


def test_a_bad_address_flag() -> None:
    done = cli("--redis-cluster", "127.0.0.1")
    assert done.returncode == 2
    assert "--redis-cluster: '127.0.0.1' is not host:port" in done.stderr


@pytest.fixture
def silent_server() -> Iterator[int]:
    """Accepts connections and never answers: a hung node."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=5)
        for connection in accepted:
            connection.close()
        listener.close()


def test_a_hung_node_is_bounded_by_the_call_timeout(
    silent_server: int, capsys: pytest.CaptureFixture[str]
) -> None:
    from checks.cli import main

    capsys.readouterr()
    code = main(
        ["--format", "json", "--redis-cluster", f"127.0.0.1:{silent_server}", "--call-timeout", "0.5"]
    )
    document = json.loads(capsys.readouterr().out)
    assert code == 2
    (reachable,) = [r for r in document["results"] if r["name"] == "reachable"]
    assert reachable["message"] == f"could not query the cluster nodes: 127.0.0.1:{silent_server}: timed out"
