"""The result of one check, and how a run's results become an exit code."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    OK = "ok"
    FAIL = "fail"
    # Worth a look, but not a failure (for example too little traffic to judge a hit ratio).
    WARN = "warn"
    SKIP = "skip"
    # The check could not run at all: its endpoints were unreachable or refused our credentials.
    ERROR = "error"


@dataclass(frozen=True)
class CheckResult:
    """One verdict: which family and check, where it looked, and what it found."""

    family: str
    name: str
    status: Status
    message: str
    target: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "status": self.status.value}


class CouldNotRun(Exception):
    """The checks cannot start: bad inputs, an unreadable outputs file, a stack mismatch."""


EXIT_OK = 0
EXIT_FAILED = 1
EXIT_COULD_NOT_RUN = 2


def exit_code(results: Iterable[CheckResult]) -> int:
    """0 when everything passed (warnings and skips allowed), 1 on a failure, 2 when a check could not run."""
    statuses = {result.status for result in results}
    if Status.ERROR in statuses:
        return EXIT_COULD_NOT_RUN
    if Status.FAIL in statuses:
        return EXIT_FAILED
    return EXIT_OK
