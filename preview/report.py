"""A diff as text (terminal), markdown (a pull-request comment) or JSON (machines), danger first."""

from __future__ import annotations

import difflib
import json
from collections.abc import Sequence
from typing import Any

from preview.danger import Danger
from preview.diff import OPS, Diff
from preview.diff_fields import FieldChange
from preview.verdicts import ResourceChange

FORMATS = ("text", "markdown", "json")
SYMBOLS = {"create": "+", "import": "=", "update": "~", "replace": "+-", "delete": "-"}
_MAX_VALUE = 160
# Half of GitHub's comment limit: one comment carries the staging and the production report.
MAX_MARKDOWN_CHARS = 30_000
NO_DANGER = "nothing here deletes data or takes capacity away"


def diff_json(diff: Diff, dangers: Sequence[Danger] = ()) -> str:
    """``{"danger": [...], "renames": [...], "changes": [...], "summary": {...}, "secretsCompared"}``."""
    document = {
        "danger": [_danger_json(danger) for danger in dangers],
        "renames": [
            {
                "urn": r.urn,
                "oldUrn": r.old_urn,
                "type": r.type,
                "name": r.name,
                "add": r.code,
                "resources": r.resources,
            }
            for r in diff.renames
        ],
        "changes": [_change_json(change) for change in diff.changes],
        "summary": diff.summary,
        "secretsCompared": diff.secrets_compared,
    }
    # Danger first, as in the other formats: keys in the order written here.
    return json.dumps(document, indent=2) + "\n"


def _danger_json(danger: Danger) -> dict[str, Any]:
    return {
        "key": danger.key,
        "resource": danger.resource,
        "why": danger.why,
        "instead": danger.instead,
        "acknowledged": danger.acknowledged,
    }


def _change_json(change: ResourceChange) -> dict[str, Any]:
    fields = []
    for f in change.fields:
        entry: dict[str, Any] = {"path": f.path, "old": f.old, "new": f.new}
        if f.secret:
            entry["secretChanged"] = True
        fields.append(entry)
    result: dict[str, Any] = {
        "op": change.op,
        "type": change.type,
        "name": change.name,
        "urn": change.urn,
        "fields": fields,
    }
    optional = {
        "replaceBecause": list(change.replace_because),
        "deleteFirst": change.delete_first,
        "ignored": list(change.ignored),
        "blocked": change.blocked,
        "notes": list(change.notes),
    }
    return result | {key: value for key, value in optional.items() if value}


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
    suffix = "  (secret value changed)" if change.secret else ""
    return [f"{change.path}: {value_text(change.old)} => {value_text(change.new)}{suffix}"]


def _change_header(change: ResourceChange) -> str:
    header = f"{SYMBOLS[change.op]:>2} {change.op:<8} {change.type}  {change.name}"
    if change.replace_because:
        order = "deletes first" if change.delete_first else "creates first"
        header += f"  (cannot change in place: {', '.join(change.replace_because)}; {order})"
    return header


def _change_notes(change: ResourceChange) -> list[str]:
    notes = []
    if change.blocked:
        notes.append(f"refused: {change.blocked}")
    if change.ignored:
        notes.append(f"ignore_changes keeps as deployed: {', '.join(change.ignored)}")
    return notes + list(change.notes)


def danger_text(dangers: Sequence[Danger]) -> list[str]:
    if not dangers:
        return [f"Danger: none ({NO_DANGER})."]
    open_ = sum(1 for d in dangers if not d.acknowledged)
    lines = [f"DANGER: {len(dangers)} change(s) delete data or take capacity away ({open_} not acknowledged)"]
    for danger in dangers:
        status = (
            "acknowledged"
            if danger.acknowledged
            else f"not acknowledged: to allow it, add '{danger.key}' to the stack's acknowledge"
        )
        lines += [
            f"  !! {danger.key}  {danger.resource}  [{status}]",
            f"     why: {danger.why}",
            f"     instead: {danger.instead}",
        ]
    return lines


def diff_text(diff: Diff, title: str, dangers: Sequence[Danger] = ()) -> str:
    lines = [title, *danger_text(dangers)]
    for change in diff.changes:
        lines.append(_change_header(change))
        lines += [f"        {line}" for change_field in change.fields for line in _field_text(change_field)]
        lines += [f"        note: {note}" for note in _change_notes(change)]
    lines.append(f"Diff: {summary_line(diff)}")
    lines += _secrets_line(diff)
    return "\n".join(lines) + "\n"


def _secrets_line(diff: Diff) -> list[str]:
    if diff.secrets_compared:
        return []
    return ["Secret values were not compared: the base rendering carries no digests from this preview run."]


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
            secret = " (secret value changed)" if change.secret else ""
            rows.append(f"| {_cell(change.path)} | {old} | {new}{secret} |")
    return [*rows, "", *blocks]


def danger_markdown(dangers: Sequence[Danger]) -> list[str]:
    if not dangers:
        return [f"#### Danger: none ({NO_DANGER})", ""]
    open_ = sum(1 for d in dangers if not d.acknowledged)
    lines = [f"#### :warning: Danger: {len(dangers)} ({open_} not acknowledged)", ""]
    for danger in dangers:
        status = (
            "acknowledged"
            if danger.acknowledged
            else f"**not acknowledged** (to allow it, add `{danger.key}` to the stack's `acknowledge`)"
        )
        lines += [
            f"- **`{danger.key}`** {_cell(danger.resource)}: {status}",
            f"  - why: {danger.why}",
            f"  - instead: {danger.instead}",
        ]
    return [*lines, ""]


def diff_markdown(diff: Diff, title: str, checks: Sequence[str] = (), dangers: Sequence[Danger] = ()) -> str:
    """A pull-request comment: danger first, the summary, then one collapsible section per change."""
    lines = [f"### {title}", "", *danger_markdown(dangers), f"**{summary_line(diff)}**", ""]
    lines += [f"- {check}" for check in [*checks, *_secrets_line(diff)]]
    if checks or not diff.secrets_compared:
        lines.append("")
    if diff.empty:
        return "\n".join([*lines, "No resource changes."]) + "\n"
    lines += ["| | op | type | name |", "|---|---|---|---|"]
    lines += [f"| {SYMBOLS[c.op]} | {c.op} | `{c.type}` | `{c.name}` |" for c in diff.changes]
    detailed = [change for change in diff.changes if change.fields or _change_notes(change)]
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
        order = "the old one is deleted first" if change.delete_first else "the new one is created first"
        lines += [f"Replaced: {paths} cannot change in place; {order}.", ""]
    notes = [f"- {note}" for note in _change_notes(change)]
    lines += [*notes, ""] if notes else []
    return [*lines, *_field_markdown(change.fields), "</details>"]


def render_diff(
    diff: Diff, fmt: str, title: str, checks: Sequence[str] = (), dangers: Sequence[Danger] = ()
) -> str:
    if fmt == "json":
        return diff_json(diff, dangers)
    if fmt == "markdown":
        return diff_markdown(diff, title, checks, dangers)
    return diff_text(diff, title, dangers)
