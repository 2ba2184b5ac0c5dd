"""Kubernetes resource quantities (``250m`` CPU, ``512Mi`` memory) as numbers."""

from __future__ import annotations

import re
from decimal import Decimal

_CPU = re.compile(r"^(\d+(?:\.\d+)?)(m?)$")
_MEMORY = re.compile(r"^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$")
_MEMORY_FACTORS = {
    None: 1,
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
}


def cpu_millicores(quantity: str) -> Decimal:
    """``"250m"`` -> 250, ``"1.5"`` -> 1500; ValueError for anything else."""
    match = _CPU.match(quantity)
    if not match:
        raise ValueError(f"{quantity!r} is not a CPU quantity (expected e.g. '250m' or '1.5')")
    value = Decimal(match.group(1))
    millicores = value if match.group(2) else value * 1000
    if millicores <= 0:
        raise ValueError(f"CPU quantity {quantity!r} must be greater than zero")
    return millicores


def memory_bytes(quantity: str) -> int:
    """``"512Mi"`` -> 536870912; ValueError for anything else."""
    match = _MEMORY.match(quantity)
    if not match:
        raise ValueError(f"{quantity!r} is not a memory quantity (expected e.g. '512Mi' or '1Gi')")
    value = int(Decimal(match.group(1)) * _MEMORY_FACTORS[match.group(2)])
    if value <= 0:
        raise ValueError(f"memory quantity {quantity!r} must be greater than zero")
    return value
