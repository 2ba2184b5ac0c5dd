"""What a mutmut run found, per file and per group, and the score against the group's goal.

mutmut keeps one ``mutants/<file>.meta`` (JSON) per mutated file: ``exit_code_by_key`` maps
each mutant to the exit status of the tests run against it (``mutmut.stats`` names them).
A mutant is detected when a test failed on it or it ran past its time limit (an endless loop
is a behaviour change too). Mutants listed in ``equivalent.toml`` change no behaviour; they
leave the score's denominator, but only while their recorded change still matches the mutant
of that name (mutmut numbers mutants per function, so an edit can move a name to a new one).
"""

from __future__ import annotations

import json
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mutmut.stats import status_by_exit_code

DETECTED = ("killed", "timeout")
# Statuses that are no verdict about the tests: mutmut skipped the mutant by configuration.
NOT_SCORED = ("skipped",)
EQUIVALENT_FILE = Path(__file__).with_name("equivalent.toml")


@dataclass(frozen=True)
class Equivalent:
    mutant: str
    change: str
    reason: str


def changed_lines(diff: str) -> str:
    """The removed and added lines of a unified diff, whitespace-trimmed: what identifies a
    mutation independently of the function's position in its file."""
    return "\n".join(
        line[0] + line[1:].strip()
        for line in diff.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    )


def load_equivalents(path: Path = EQUIVALENT_FILE) -> dict[str, Equivalent]:
    """The reviewed list of equivalent mutants, by mutant name. Every entry needs a reason."""
    data = tomllib.loads(path.read_text()) if path.exists() else {}
    entries: dict[str, Equivalent] = {}
    for index, entry in enumerate(data.get("equivalent", [])):
        missing = [key for key in ("mutant", "change", "reason") if not str(entry.get(key, "")).strip()]
        if missing:
            raise ValueError(f"{path.name}: equivalent[{index}] lacks {', '.join(missing)}")
        if entry["mutant"] in entries:
            raise ValueError(f"{path.name}: equivalent[{index}] repeats {entry['mutant']}")
        entries[entry["mutant"]] = Equivalent(
            entry["mutant"], changed_lines(entry["change"]), entry["reason"].strip()
        )
    return entries


@dataclass
class FileResult:
    statuses: dict[str, str]  # mutant name -> mutmut's status
    equivalent: set[str] = field(default_factory=set)

    def counts(self) -> Counter[str]:
        return Counter(
            "equivalent" if name in self.equivalent else status for name, status in self.statuses.items()
        )


def read_meta(meta: Path) -> dict[str, str]:
    codes = json.loads(meta.read_text())["exit_code_by_key"]
    return {name: status_by_exit_code[code] for name, code in codes.items()}


def read_run(mutants_dir: Path) -> dict[str, FileResult]:
    """Every mutated file's statuses, by project-relative path."""
    results = {}
    for meta in sorted(mutants_dir.rglob("*.py.meta")):
        statuses = read_meta(meta)
        if statuses:
            results[meta.relative_to(mutants_dir).as_posix().removesuffix(".meta")] = FileResult(statuses)
    return results


def score(counts: Counter[str]) -> float | None:
    """Detected mutants over every scored one; None when there is none to score."""
    scored = sum(n for status, n in counts.items() if status not in (*NOT_SCORED, "equivalent"))
    if not scored:
        return None
    return sum(counts[status] for status in DETECTED) / scored


def summary(counts: Counter[str]) -> dict[str, Any]:
    value = score(counts)
    return {
        "score": None if value is None else round(value, 4),
        "mutants": sum(counts.values()),
        "detected": sum(counts[status] for status in DETECTED),
        **{status.replace(" ", "_"): n for status, n in sorted(counts.items()) if status not in DETECTED},
    }
