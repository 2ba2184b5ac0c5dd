"""Turning what a family found into CheckResults, the same way for every family."""

from __future__ import annotations

from collections.abc import Mapping

from checks.model import CheckResult, Status
from checks.redis_client import AuthFailed


def verdict(family: str, name: str, problems: list[str], ok: str, target: str) -> CheckResult:
    """FAIL listing every problem, or OK saying what was verified."""
    if problems:
        return CheckResult(family, name, Status.FAIL, "; ".join(problems), target)
    return CheckResult(family, name, Status.OK, ok, target)


def reachability(family: str, outcomes: Mapping[str, object], noun: str) -> CheckResult:
    """Who answered. Nobody answering, or a refused password, means the family could not run
    (ERROR); some endpoints silent while others answer is a finding about the deployment (FAIL)."""
    errors = {address: outcome for address, outcome in outcomes.items() if isinstance(outcome, BaseException)}
    target = ", ".join(sorted(outcomes))
    auth = [str(error) for error in errors.values() if isinstance(error, AuthFailed)]
    if auth or len(errors) == len(outcomes):
        message = "; ".join(auth or [str(error) for error in errors.values()])
        return CheckResult(
            family, "reachable", Status.ERROR, f"could not query the {noun}: {message}", target
        )
    problems = [f"{address} did not answer ({error})" for address, error in sorted(errors.items())]
    return verdict(family, "reachable", problems, f"all {len(outcomes)} {noun} answered", target)
