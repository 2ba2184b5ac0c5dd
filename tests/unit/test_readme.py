"""The README renders as written: no unclosed code block swallows a section, every table is one."""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.token import Token

from components.settings.stack_file import PROJECT_ROOT

README = PROJECT_ROOT / "README.md"


def readme_tokens() -> tuple[list[str], list[Token]]:
    text = README.read_text()
    return text.splitlines(), MarkdownIt("commonmark").enable("table").parse(text)


def lines_of(tokens: list[Token], kind: str) -> set[int]:
    """0-based source lines covered by tokens of ``kind``."""
    return {line for token in tokens if token.type == kind and token.map for line in range(*token.map)}


def test_every_section_heading_is_rendered_as_a_heading() -> None:
    lines, tokens = readme_tokens()
    headings = lines_of(tokens, "heading_open")
    written = [number for number, line in enumerate(lines) if re.match(r"#{2,6} \S", line)]
    assert written, "the README has no sections"
    swallowed = [f"line {number + 1}: {lines[number]}" for number in written if number not in headings]
    assert not swallowed, "inside a code block or paragraph:\n" + "\n".join(swallowed)


def test_every_table_row_is_rendered_in_a_table() -> None:
    lines, tokens = readme_tokens()
    tables, code = lines_of(tokens, "table_open"), lines_of(tokens, "fence")
    rows = [number for number, line in enumerate(lines) if line.startswith("|") and number not in code]
    assert rows, "the README has no tables"
    loose = [f"line {number + 1}: {lines[number][:60]}" for number in rows if number not in tables]
    assert not loose, "rows outside any table (a header without its |---| row?):\n" + "\n".join(loose)
