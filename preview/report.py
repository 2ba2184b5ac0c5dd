"""A diff as text (terminal), markdown (a pull-request comment) or JSON (machines)."""

from __future__ import annotations

import difflib
import json
from collections.abc import Sequence
from typing import Any

from preview.diff import OPS, Diff, FieldChange, ResourceChange

FORMATS = ("text", "markdown", "json")
SYMBOLS = {"create": "+", "update": "~", "replace": "+-", "delete": "-"}
_MAX_VALUE = 160
# Half of GitHub's comment limit: one comment carries the staging and the production report.
MAX_MARKDOWN_CHARS = 30_000


def diff_json(diff: Diff) -> str:
    """``{"changes": [{"op", "type", "name", "fields": [{"path", "old", "new"}]}], "summary": {...}}``."""
    changes = [
        {
            "op": change.op,
            "type": change.type,
            "name": change.name,
            "fields": [{"path": f.path, "old": f.old, "new": f.new} for f in change.fields],
        }
        for change in diff.changes
    ]
    return json.dumps({"changes": changes, "summary": diff.summary}, indent=2, sort_keys=True) + "\n"


def summary_line(diff: Diff) -> str:
    counts = diff.summary
    parts = [f"{counts[op]} to {op}" for op in OPS if counts[op]]
    return f"{', '.join(parts) or 'no changes'} ({counts['unchanged']} unchanged)"


def value_text(value: Any) -> str:
    """A field value on one line: JSON, shortened; ``(absent)`` for a field that is not set."""
    if value is None:
        return "(absent)"
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 3] + "..."


def _is_text_block(change: FieldChange) -> bool:
    return isinstance(change.old, str) and isinstance(change.new, str) and "\n" in change.old + change.new


def text_lines_diff(old: str, new: str) -> list[str]:
    """Only the changed lines of a multi-line value (a rendered config file), unified style."""
    lines = difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0)
    return [line for line in lines if not line.startswith(("---", "+++", "@@"))]


def _field_text(change: FieldChange) -> list[str]:
    if _is_text_block(change):
        return [f"{change.path}:"] + [f"    {line}" for line in text_lines_diff(change.old, change.new)]
    return [f"{change.path}: {value_text(change.old)} => {value_text(change.new)}"]


def _change_header(change: ResourceChange) -> str:
    header = f"{SYMBOLS[change.op]:>2} {change.op:<8} {change.type}  {change.name}"
    if change.replace_because:
        header += f"  (cannot change in place: {', '.join(change.replace_because)})"
    return header


def diff_text(diff: Diff, title: str) -> str:
    lines = [title]
    for change in diff.changes:
        lines.append(_change_header(change))
        lines += [f"        {line}" for change_field in change.fields for line in _field_text(change_field)]
    lines.append(f"Diff: {summary_line(diff)}")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return "`" + text.replace("|", "\\|").replace("`", "'") + "`"


def _field_markdown(changes: Sequence[FieldChange]) -> list[str]:
    rows = ["| field | old | new |", "|---|---|---|"]
    blocks: list[str] = []
    for change in changes:
        if _is_text_block(change):
            rows.append(f"| {_cell(change.path)} | (text) | (text, see below) |")
            blocks += [f"`{change.path}`:", "```diff", *text_lines_diff(change.old, change.new), "```"]
        else:
            old, new = _cell(value_text(change.old)), _cell(value_text(change.new))
            rows.append(f"| {_cell(change.path)} | {old} | {new} |")
    return [*rows, "", *blocks]


def diff_markdown(diff: Diff, title: str, checks: Sequence[str] = ()) -> str:
    """A pull-request comment: summary first, then one collapsible section per changed resource."""
    lines = [f"### {title}", "", f"**{summary_line(diff)}**", ""]
    lines += [f"- {check}" for check in checks]
    if checks:
        lines.append("")
    if diff.empty:
        return "\n".join([*lines, "No resource changes."]) + "\n"
    lines += ["| | op | type | name |", "|---|---|---|---|"]
    lines += [f"| {SYMBOLS[c.op]} | {c.op} | `{c.type}` | `{c.name}` |" for c in diff.changes]
    detailed = [change for change in diff.changes if change.fields]
    for shown, change in enumerate(detailed):
        section = _details_markdown(change)
        if sum(len(line) + 1 for line in [*lines, *section]) > MAX_MARKDOWN_CHARS:
            # GitHub refuses comments over 65536 characters; the workflow posts two stacks in one.
            lines += [
                "",
                f"_Field details of {len(detailed) - shown} more resources left out (too long for a "
                "comment): run the preview locally or see the rendered manifests._",
            ]
            break
        lines += section
    return "\n".join(lines) + "\n"


def _details_markdown(change: ResourceChange) -> list[str]:
    lines = [
        "",
        f"<details><summary>{change.op} <code>{change.type}</code> <code>{change.name}</code></summary>",
        "",
    ]
    if change.replace_because:
        paths = ", ".join(f"`{path}`" for path in change.replace_because)
        lines += [f"Replaced: {paths} cannot change in place.", ""]
    return [*lines, *_field_markdown(change.fields), "</details>"]


def render_diff(diff: Diff, fmt: str, title: str, checks: Sequence[str] = ()) -> str:
    if fmt == "json":
        return diff_json(diff)
    if fmt == "markdown":
        return diff_markdown(diff, title, checks)
    return diff_text(diff, title)
