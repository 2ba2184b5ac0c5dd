"""A program that fails part-way must not leave work behind for the next synthesis."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from preview.synth import synthesize
from tests.support.stacks import stack_config

FAILING_PROGRAM = """
import asyncio
import pulumi
import pulumi_kubernetes as k8s

async def slow_label():
    await asyncio.sleep(30)
    return "late"

k8s.core.v1.Namespace(
    "half-declared",
    metadata={"name": "x", "labels": {"a": pulumi.Output.from_input(asyncio.ensure_future(slow_label()))}},
)
raise RuntimeError("the program failed part-way")
"""


def test_a_failed_run_leaves_no_pending_work_and_the_next_run_is_whole(tmp_path: Path) -> None:
    program = tmp_path / "program.py"
    program.write_text(FAILING_PROGRAM)
    with pytest.raises(RuntimeError, match="failed part-way"):
        synthesize("staging", {}, program=program)
    leftovers = [task for task in asyncio.all_tasks(asyncio.get_event_loop()) if not task.done()]
    assert leftovers == []
    synthesis = synthesize("staging", stack_config("staging"))
    assert synthesis.outputs["stack"] == "staging"
    assert any(r.name == "namespace-namespace" for r in synthesis.resources)
