"""The cache hit ratio, counted two ways and reported as two checks that cannot be confused:

- ``keyspace_hit_ratio``: Redis's own count, ``keyspace_hits`` and ``keyspace_misses`` of
  every cluster node. Every key lookup of every client counts: the services, a tool
  reading keys, a replica waiting for another one's load polling the key.
- ``application_hit_ratio``: the cache manager's count, ``technovastore_cache_lookups_total``
  of the strategies stored in the cluster, from the metrics endpoints of the services that
  export it: reads the application made, a hit when the cache answered.

The manager sends one GET per read, so on the same traffic the two agree; they part when
other clients read the cluster. Either way the counters are summed over every node (or
endpoint), then divided: a node that served ten lookups must not weigh as much as one that
served a million.
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


@dataclass(frozen=True)
class Ratio:
    """One of the two ratios: its check's name, and words for its report."""

    check: str
    label: str  # how the message names it
    source: str  # what was counted, for the target column
    unit: str  # what the counted things are: nodes, endpoints


KEYSPACE = Ratio("keyspace_hit_ratio", "keyspace hit ratio", "Redis keyspace lookups", "node(s)")
APPLICATION = Ratio(
    "application_hit_ratio", "application hit ratio", "cache manager reads", "metrics endpoint(s)"
)


def read_counters(client: redis.Redis, address: str) -> Counters:
    return Counters.from_stats(parse_info(command(client, "INFO", "stats")))


def sample(
    addresses: list[str], credentials: Credentials, timeout: float, deadline: Deadline
) -> dict[str, Counters]:
    """The counters of every node that answers now (the others are the cluster check's business)."""
    outcomes = query_each(addresses, credentials, timeout, deadline, read_counters)
    return {address: outcome for address, outcome in outcomes.items() if isinstance(outcome, Counters)}


def wait_for_window(window: float, deadline: Deadline) -> None:
    time.sleep(min(window, deadline.remaining()))


def window_delta(before: Mapping[str, Counters], after: Mapping[str, Counters]) -> dict[str, Counters]:
    """Per node, the lookups between the two samples (nodes in both only).

    A counter that went down means the node restarted or was reset (CONFIG RESETSTAT, a
    process restart): everything it counts now happened since, so its new counts are the
    delta. Either counter going down is enough: lookups after the reset may already have
    pushed the other one past its old value.
    """
    return {
        address: now
        if now.hits < before[address].hits or now.misses < before[address].misses
        else now - before[address]
        for address, now in after.items()
        if address in before
    }


def evaluate(
    counters: Mapping[str, Counters],
    ratio: Ratio,
    *,
    min_ratio: float,
    min_lookups: int,
    scope: str,
    unanswered: int = 0,
) -> CheckResult:
    """The verdict on summed counters; too few lookups is a warning, not a verdict."""
    hits = sum(c.hits for c in counters.values())
    misses = sum(c.misses for c in counters.values())
    lookups = hits + misses
    counted = f"{len(counters)} {ratio.unit}" + (
        f", {unanswered} not answering and not counted" if unanswered else ""
    )
    target = f"{ratio.source}, {scope}, {counted}"
    if lookups < min_lookups:
        counts = f"{lookups} lookups ({hits} hits, {misses} misses)"
        message = f"{ratio.label}: insufficient traffic: {counts}, fewer than {min_lookups}"
        return CheckResult(FAMILY, ratio.check, Status.WARN, message, target)
    summary = f"{ratio.label} {hits / lookups:.3f} ({hits} hits / {lookups} lookups)"
    if hits / lookups < min_ratio:
        return CheckResult(FAMILY, ratio.check, Status.FAIL, f"{summary} is below {min_ratio:g}", target)
    return CheckResult(FAMILY, ratio.check, Status.OK, f"{summary} meets {min_ratio:g}", target)
