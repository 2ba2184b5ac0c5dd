"""Benchmarks: ``python -m tests.bench`` (``make bench``) runs every module here with a ``run()``."""

from __future__ import annotations

from typing import Any


def goal(value: float, target: str, met: bool) -> dict[str, Any]:
    """One performance goal as every benchmark reports it (the runner exits 1 when one is unmet)."""
    return {"value": round(value, 4), "target": target, "met": met}
