"""The pack as the Pulumi CLI runs it: a program that serves the analyzer protocol over gRPC.

The test starts policies/__main__.py the way the CLI's policy host does (runpy, run_name
"__main__", working directory policies/), reads the port it prints, asks for the pack's
metadata and analyzes one resource, then stops the process group.
"""

from __future__ import annotations

import ast
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from policies.rules import ALL_POLICIES
from tests.policies.builders import deployment, edited, first_container

PACK_DIR = Path(__file__).resolve().parents[2] / "policies"
RUN_LIKE_THE_CLI = "import runpy, sys; runpy.run_path(sys.argv[1], run_name='__main__')"


def test_pack_module_builds_the_pack_only_when_run_as_a_program() -> None:
    tree = ast.parse((PACK_DIR / "__main__.py").read_text())
    guarded = [
        node for node in tree.body if isinstance(node, ast.If) and "__name__" in ast.unparse(node.test)
    ]
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and ast.unparse(n.func) == "PolicyPack"]
    assert len(calls) == 1
    assert guarded and any(calls[0] in list(ast.walk(node)) for node in guarded)


@pytest.fixture
def pack_channel() -> Iterator[grpc.Channel]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_")}
    process = subprocess.Popen(
        [sys.executable, "-u", "-c", RUN_LIKE_THE_CLI, "."],
        cwd=PACK_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None and process.stderr is not None
        port = process.stdout.readline().decode().strip()
        assert port.isdigit(), process.stderr.read().decode() if process.poll() is not None else port
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        grpc.channel_ready_future(channel).result(timeout=10)
        yield channel
        channel.close()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
        process.stdout and process.stdout.close()
        process.stderr and process.stderr.close()


def test_the_served_pack_lists_every_policy(pack_channel: grpc.Channel) -> None:
    info = analyzer_pb2_grpc.AnalyzerStub(pack_channel).GetAnalyzerInfo(empty_pb2.Empty(), timeout=10)
    assert info.name == "technovastore-policies"
    assert [p.name for p in info.policies] == [p.name for p in ALL_POLICIES]
    assert all(p.description and p.severity for p in info.policies)


def test_the_served_pack_reports_a_privileged_container(pack_channel: grpc.Channel) -> None:
    broken = edited(deployment(), lambda i: first_container(i)["securityContext"].update(privileged=True))
    properties = struct_pb2.Struct()
    properties.update(json.loads(json.dumps(broken.inputs)))
    request = analyzer_pb2.AnalyzeRequest(
        type=broken.type, properties=properties, urn=broken.urn, name=broken.name
    )
    response = analyzer_pb2_grpc.AnalyzerStub(pack_channel).Analyze(request, timeout=10)
    names = {d.policyName for d in response.diagnostics}
    assert names == {"k8s-no-privileged-containers"}, [d.message for d in response.diagnostics]
    assert "set securityContext.privileged to false" in response.diagnostics[0].message
