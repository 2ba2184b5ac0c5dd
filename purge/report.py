"""What a purge run did: per batch purged, failed or never attempted; items refused; why it stopped."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from purge.targets import Refused

Status = Literal["purged", "failed", "not attempted"]


@dataclass(frozen=True)
class BatchResult:
    kind: str
    items: tuple[str, ...]
    status: Status
    attempts: int = 0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "purged"


@dataclass
class PurgeReport:
    results: list[BatchResult] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)
    # Why the run ended before its last batch (token refused, deadline, API unavailable).
    stopped: str | None = None

    @property
    def ok(self) -> bool:
        return self.stopped is None and not self.refused and all(result.ok for result in self.results)

    def items(self, status: Status) -> list[str]:
        return [item for result in self.results if result.status == status for item in result.items]

    @property
    def purged(self) -> list[str]:
        return self.items("purged")

    @property
    def failed(self) -> list[str]:
        return self.items("failed")

    @property
    def left(self) -> list[str]:
        """What a next run should purge: everything failed or never attempted, in order."""
        return [item for result in self.results if not result.ok for item in result.items]

    def extend(self, other: PurgeReport) -> PurgeReport:
        self.results += other.results
        self.refused += other.refused
        self.stopped = self.stopped or other.stopped
        return self

    def summary(self) -> str:
        counts = [
            f"{len(self.purged)} item(s) purged",
            f"{len(self.failed)} failed",
            f"{len(self.items('not attempted'))} not attempted",
            f"{len(self.refused)} refused",
        ]
        return "; ".join(counts)


def write_remaining(path: Path, report: PurgeReport, kind_label: str, resume: str) -> None:
    """The items left, one per line, so ``--from-file`` takes the file as it is.

    Comment lines say why, how to resume, and which items were refused (they would be
    refused again, so they are not items of the file).
    """
    left = report.left
    reason = f"stopped: {report.stopped}" if report.stopped else "some requests failed"
    header = (
        f"# python -m purge left {len(left)} {kind_label}(s): {reason}"
        if left
        else "# python -m purge left nothing: every valid item was purged"
    )
    lines = [header, f"# resume with: {resume}"]
    # repr: a refused item may hold a newline, which would turn its tail into an item.
    lines += [f"# refused, fix or drop: {r.item[:200]!r} ({r.reason})" for r in report.refused]
    path.write_text("\n".join([*lines, *left]) + "\n")
