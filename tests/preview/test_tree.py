"""The resource tree: every resource under its recorded parent, whole, at any width."""

from __future__ import annotations

from pathlib import Path

from preview.synth import Synthesis
from preview.tree import resource_tree
from tests.support.preview_command import run_preview
from tests.support.stacks import synthesize_stack

# The staging tree as reviewed; a change to the program's structure changes this file with it.
STAGING_TREE = Path(__file__).parent / "staging-tree.txt"
BRANCHES = ("├── ", "└── ")


def test_the_staging_tree_is_pinned() -> None:
    synthesis = synthesize_stack("staging")
    assert resource_tree(synthesis.stack, synthesis.resources) == STAGING_TREE.read_text()


def test_every_resource_sits_under_its_recorded_parent(synthesis: Synthesis) -> None:
    by_label = {f"{r.type}  {r.name}": r for r in synthesis.resources}
    by_urn = {r.urn for r in synthesis.resources}
    lines = resource_tree(synthesis.stack, synthesis.resources).splitlines()
    assert lines[0] == f"stack {synthesis.stack}" and len(lines) == len(synthesis.resources) + 1
    open_parents: list[str | None] = [None]  # the resource open at each depth (None: the stack)
    for line in lines[1:]:
        branch = next(line.index(b) for b in BRANCHES if b in line)
        depth, label = branch // 4, line[branch + 4 :]
        resource = by_label[label]
        parent = open_parents[depth]
        assert resource.parent == parent or (parent is None and resource.parent not in by_urn)
        open_parents[depth + 1 :] = [resource.urn]


def test_off_a_terminal_no_line_is_cut() -> None:
    result = run_preview("--stack", "staging", environment={"COLUMNS": "40"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(STAGING_TREE.read_text())
    assert max(len(line) for line in result.stdout.splitlines()) > 80
