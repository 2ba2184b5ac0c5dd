"""The cache hit ratio over every node that serves reads: hits and misses summed, then divided.

Per-node ratios are never averaged: a node that served ten lookups would weigh as much as
one that served a million.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

import redis

from checks.concurrency import Deadline
from checks.model import CheckResult, Status
from checks.redis_client import Credentials, command, query_each
from checks.redis_text import info_int, parse_info

FAMILY = "hit-ratio"


@dataclass(frozen=True)
class Counters:
    hits: int
    misses: int

    @classmethod
    def from_stats(cls, stats: Mapping[str, str]) -> Counters:
        return cls(info_int(dict(stats), "keyspace_hits"), info_int(dict(stats), "keyspace_misses"))

    def __sub__(self, earlier: Counters) -> Counters:
        return Counters(self.hits - earlier.hits, self.misses - earlier.misses)


def read_counters(client: redis.Redis, address: str) -> Counters:
    return Counters.from_stats(parse_info(command(client, "INFO", "stats")))


def sample(
    addresses: list[str], credentials: Credentials, timeout: float, deadline: Deadline
) -> dict[str, Counters]:
    """The counters of every node that answers now (the others are the cluster check's business)."""
    outcomes = query_each(addresses, credentials, timeout, deadline, read_counters)
    return {address: outcome for address, outcome in outcomes.items() if isinstance(outcome, Counters)}


def over_window(
    before: Mapping[str, Counters],
    window: float,
    credentials: Credentials,
    timeout: float,
    deadline: Deadline,
) -> dict[str, Counters]:
    """Per node, the lookups during ``window`` seconds after ``before`` was taken."""
    time.sleep(min(window, deadline.remaining()))
    after = sample(list(before), credentials, timeout, deadline)
    # A counter that went down means the node restarted or was reset: its new count is the delta.
    return {
        address: now
        if now.hits < before[address].hits or now.misses < before[address].misses
        else now - before[address]
        for address, now in after.items()
        if address in before
    }


def evaluate(
    counters: Mapping[str, Counters], *, min_ratio: float, min_lookups: int, scope: str, unanswered: int = 0
) -> CheckResult:
    """The verdict on summed counters; too few lookups is a warning, not a verdict."""
    hits = sum(c.hits for c in counters.values())
    misses = sum(c.misses for c in counters.values())
    lookups = hits + misses
    nodes = f"{len(counters)} node(s)" + (
        f", {unanswered} not answering and not counted" if unanswered else ""
    )
    target = f"{scope}, {nodes}"
    if lookups < min_lookups:
        counts = f"{lookups} lookups ({hits} hits, {misses} misses)"
        message = f"insufficient traffic: {counts}, fewer than {min_lookups}"
        return CheckResult(FAMILY, "keyspace_hit_ratio", Status.WARN, message, target)
    ratio = hits / lookups
    summary = f"hit ratio {ratio:.3f} ({hits} hits / {lookups} lookups)"
    if ratio < min_ratio:
        return CheckResult(
            FAMILY, "keyspace_hit_ratio", Status.FAIL, f"{summary} is below {min_ratio:g}", target
        )
    return CheckResult(FAMILY, "keyspace_hit_ratio", Status.OK, f"{summary} meets {min_ratio:g}", target)
