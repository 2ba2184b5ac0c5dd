"""PromQL inspection for the tests: which series an expression reads."""

from __future__ import annotations

import re

import promql_parser


def vector_selectors(expr: str) -> list[str]:
    """Every series selector in ``expr`` (``name{matchers}``), in order, as PromQL text."""
    found: list[str] = []

    def visit(node: object) -> bool:
        if isinstance(node, promql_parser.VectorSelector):
            # The series itself, as it is now: "x offset 5m" reads the same series.
            found.append(re.sub(r" offset \S+$", "", str(node)))
        return True

    promql_parser.walk(promql_parser.parse(expr), visit)
    return found
