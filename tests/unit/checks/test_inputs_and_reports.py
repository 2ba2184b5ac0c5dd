"""Inputs resolution, exit codes, report formats and the run's time bound."""

from __future__ import annotations

import json
import threading
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from checks.cli import parser
from checks.concurrency import Deadline, run_concurrently
from checks.inputs import resolve
from checks.model import CheckResult, CouldNotRun, Status, exit_code
from checks.redis_client import Credentials
from checks.report import redact, render_json, render_junit

OK = CheckResult("cdn", "health", Status.OK, "/health answers 200", "http://cdn")
WARN = CheckResult("hit-ratio", "keyspace_hit_ratio", Status.WARN, "insufficient traffic", "cluster")
FAIL = CheckResult("redis-cluster", "open_slots", Status.FAIL, "slot 5 migrating <from> & to", "cluster")
SKIP = CheckResult("kubernetes", "api", Status.SKIP, "no kubeconfig", "ns")
ERROR = CheckResult("sentinel", "reachable", Status.ERROR, "could not query", "s:1")


def options(*argv: str) -> object:
    return parser().parse_args(list(argv))


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("REDIS_PASSWORD", "REDIS_USERNAME"):
        monkeypatch.delenv(name, raising=False)


def write_outputs(tmp_path: Path, outputs: dict[str, object]) -> str:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs))
    return str(path)


def test_exit_codes() -> None:
    assert exit_code([OK, WARN, SKIP]) == 0
    assert exit_code([OK, FAIL, WARN]) == 1
    assert exit_code([FAIL, ERROR]) == 2


def test_thresholds_and_expectations_come_from_the_stack_settings(tmp_path: Path) -> None:
    path = write_outputs(
        tmp_path, {"stack": "production", "endpoints": {"redisCluster": {"host": "r", "port": 6379}}}
    )
    targets = resolve(options("--stack", "production", "--outputs", path))
    assert targets.thresholds.min_hit_ratio == 0.85
    assert (targets.masters, targets.replicas_per_master) == (3, 1)
    assert (targets.sentinel_master, targets.sentinel_count, targets.sentinel_replicas) == ("sessions", 3, 2)
    assert targets.redis_cluster == ["r:6379"]
    assert targets.cdn_paths == ["/favicon.ico", "/manifest.json", "/robots.txt"]
    assert "Content-Security-Policy" in targets.cdn_security_headers
    flagged = resolve(
        options("--stack", "production", "--outputs", path, "--min-hit-ratio", "0.5", "--masters", "4")
    )
    assert (flagged.thresholds.min_hit_ratio, flagged.masters) == (0.5, 4)


def test_outputs_endpoints_in_either_shape(tmp_path: Path) -> None:
    endpoints = {
        "redisCluster": {
            "nodes": [{"host": "a", "port": 1}, "b:2"],
            "expectedMasters": 5,
            "replicasPerMaster": 2,
        },
        "sentinel": {"sentinels": ["s:26379"], "masterName": "carts", "replicas": 1},
        "cdn": {"host": "cdn.ns.svc", "port": 8080, "healthPath": "/healthz", "samplePaths": ["/a.js"]},
    }
    targets = resolve(
        options("--outputs", write_outputs(tmp_path, {"stack": "pr-7", "endpoints": endpoints}))
    )
    assert targets.stack == "pr-7"
    assert (targets.redis_cluster, targets.masters, targets.replicas_per_master) == (["a:1", "b:2"], 5, 2)
    assert (targets.sentinels, targets.sentinel_master, targets.sentinel_replicas) == (
        ["s:26379"],
        "carts",
        1,
    )
    assert (targets.cdn_url, targets.cdn_health_path, targets.cdn_paths) == (
        "http://cdn.ns.svc:8080",
        "/healthz",
        ["/a.js"],
    )


def test_password_from_the_environment_else_the_outputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_outputs(tmp_path, {"stack": "staging", "redisPassword": "from-outputs", "namespace": "ns"})
    assert resolve(options("--outputs", path)).credentials == Credentials("admin", "from-outputs")
    monkeypatch.setenv("REDIS_PASSWORD", "from-env")
    monkeypatch.setenv("REDIS_USERNAME", "metrics")
    assert resolve(options("--outputs", path)).credentials == Credentials("metrics", "from-env")
    hidden = write_outputs(tmp_path, {"stack": "staging", "redisPassword": "[secret]", "namespace": "ns"})
    monkeypatch.delenv("REDIS_PASSWORD")
    assert resolve(options("--outputs", hidden)).credentials.password is None
    assert "from-env" not in repr(Credentials("admin", "from-env"))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--stack", "production", "--outputs", "{path}"],
            "belong to stack 'staging', not to the requested stack",
        ),
        (["--redis-cluster", "a:1,b"], "--redis-cluster: 'b' is not host:port"),
        (["--sentinel", " , "], "--sentinel: no host:port given"),
        ([], "nothing to check"),
        (
            ["--redis-cluster", "a:1", "--min-hit-ratio", "1.5", "--max-replica-lag", "0"],
            "--min-hit-ratio 1.5: input should be less than or equal to 1; "
            "--max-replica-lag 0: input should be greater than or equal to 1",
        ),
        (
            ["--redis-cluster", "a:1", "--cache-metrics", "file:///etc/passwd"],
            "--cache-metrics: 'file:///etc/passwd' is not an http\\(s\\) URL of a metrics endpoint",
        ),
    ],
)
def test_inputs_that_cannot_run(
    tmp_path: Path, argv: list[str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")  # no Pulumi CLI
    path = write_outputs(tmp_path, {"stack": "staging"})
    with pytest.raises(CouldNotRun, match=message):
        resolve(options(*[arg.replace("{path}", path) for arg in argv]))


def test_junit_is_well_formed_and_counts_every_status() -> None:
    root = ET.fromstring(render_junit([OK, WARN, FAIL, SKIP, ERROR], "staging"))
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("5", "1", "1")
    suites = {suite.get("name"): suite for suite in root.iter("testsuite")}
    failure = suites["redis-cluster"].find("testcase/failure")
    assert failure is not None and failure.get("message") == "slot 5 migrating <from> & to"
    assert suites["kubernetes"].find("testcase/skipped") is not None
    assert suites["sentinel"].find("testcase/error") is not None
    warning = suites["hit-ratio"].find("testcase/system-out")
    assert warning is not None and warning.text == "warn: insufficient traffic (cluster)"


def test_json_report_and_redaction() -> None:
    leaked = CheckResult("sentinel", "reachable", Status.ERROR, "server said: s3cret!", "s3cret!@host")
    document = json.loads(render_json(redact([leaked, OK], ["s3cret!", ""]), "staging", 2))
    assert document["summary"] == {"ok": 1, "fail": 0, "warn": 0, "skip": 0, "error": 1}
    assert document["results"][0] == {
        "family": "sentinel",
        "name": "reachable",
        "status": "error",
        "message": "server said: ***",
        "target": "***@host",
    }


def test_calls_still_running_at_the_deadline_are_reported_not_awaited() -> None:
    release = threading.Event()
    outcomes = run_concurrently({"quick": lambda: 42, "stuck": lambda: release.wait(60)}, Deadline(0.3))
    try:
        assert outcomes["quick"] == 42
        assert isinstance(outcomes["stuck"], TimeoutError)
        assert "run's time bound (0.3 s)" in str(outcomes["stuck"])
    finally:
        release.set()


def test_a_call_timeout_never_outlives_the_run() -> None:
    deadline = Deadline(0.0)
    assert deadline.cap(5.0) == 0.05
    assert Deadline(60).cap(2.0) == 2.0
