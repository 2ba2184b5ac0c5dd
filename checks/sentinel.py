"""The Sentinel-monitored group: quorum, one agreed primary, every replica linked."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import redis

from checks import replication
from checks.concurrency import Deadline
from checks.model import CheckResult, Status
from checks.redis_client import Credentials, command, query_each
from checks.redis_text import parse_info
from checks.verdicts import reachability, verdict

FAMILY = "sentinel"


@dataclass(frozen=True)
class SentinelView:
    """What one Sentinel says about the monitored master."""

    address: str
    quorum_error: str | None  # None when SENTINEL CKQUORUM answered OK
    master: dict[str, str]  # SENTINEL MASTER's fields
    primary: str | None  # GET-MASTER-ADDR-BY-NAME as host:port
    replicas: list[dict[str, str]]  # SENTINEL REPLICAS

    @property
    def flags(self) -> str:
        return self.master.get("flags", "")


@dataclass(frozen=True)
class Expected:
    master_name: str
    sentinels: int
    replicas: int
    max_replica_lag_seconds: int


Outcome = SentinelView | BaseException


def _pairs(reply: Any) -> dict[str, str]:
    return dict(zip(reply[::2], reply[1::2], strict=False))


def query_sentinel(client: redis.Redis, address: str, name: str) -> SentinelView:
    try:
        command(client, "SENTINEL", "CKQUORUM", name)
        quorum_error = None
    except redis.ResponseError as error:
        quorum_error = str(error)
    primary = command(client, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", name)
    return SentinelView(
        address=address,
        quorum_error=quorum_error,
        master=_pairs(_or_empty(client, "SENTINEL", "MASTER", name)),
        primary=f"{primary[0]}:{primary[1]}" if primary else None,
        replicas=[_pairs(entry) for entry in _or_empty(client, "SENTINEL", "REPLICAS", name)],
    )


def _or_empty(client: redis.Redis, *args: str) -> list[str]:
    """A reply, or nothing when the Sentinel does not monitor the name (IDONTKNOW / no such master)."""
    try:
        return list(command(client, *args) or [])
    except redis.ResponseError:
        return []


def query_replica(client: redis.Redis, address: str) -> replication.ReplicaLink | str:
    """The link of the replica at ``address``, or the role it reports when it is no replica."""
    info = parse_info(command(client, "INFO", "replication"))
    return replication.replica_link(info, address) or f"role {info.get('role', '?')}"


def query_lags(client: redis.Redis, address: str) -> dict[str, int]:
    """The lag of every replica of the primary at ``address``, as it reports them."""
    return replication.replica_lags(parse_info(command(client, "INFO", "replication")))


@dataclass(frozen=True)
class Replication:
    """The replicas' own view of their links, and their lags as the primary sees them."""

    links: dict[str, replication.ReplicaLink | str | BaseException]
    lags: dict[str, int]


def collect(
    sentinels: list[str], name: str, credentials: Credentials, timeout: float, deadline: Deadline
) -> tuple[dict[str, Outcome], Replication]:
    """Every Sentinel's view, then every replica any of them names and the primaries they name."""
    views = query_each(
        sentinels,
        credentials,
        timeout,
        deadline,
        lambda client, address: query_sentinel(client, address, name),
    )
    replicas = sorted({_address(entry) for view in _views(views) for entry in view.replicas})
    primaries = sorted({view.primary for view in _views(views) if view.primary})
    links = query_each(replicas, credentials, timeout, deadline, query_replica)
    reported = query_each(primaries, credentials, timeout, deadline, query_lags)
    lags = {
        replica: lag
        for outcome in reported.values()
        if not isinstance(outcome, BaseException)
        for replica, lag in outcome.items()
    }
    return views, Replication(links, lags)


def _address(entry: Mapping[str, str]) -> str:
    return f"{entry.get('ip')}:{entry.get('port')}"


def _views(outcomes: Mapping[str, Outcome]) -> list[SentinelView]:
    return [outcome for outcome in outcomes.values() if isinstance(outcome, SentinelView)]


def evaluate(outcomes: Mapping[str, Outcome], replicas: Replication, expected: Expected) -> list[CheckResult]:
    """Every Sentinel check over the collected views (pure)."""
    reachable = reachability(FAMILY, outcomes, "Sentinels")
    views = sorted(_views(outcomes), key=lambda view: view.address)
    if reachable.status is Status.ERROR or not views:
        return [reachable]
    return [
        reachable,
        _check_quorum(views, expected.master_name),
        _check_flags(views, expected.master_name),
        _check_agreement(views, expected.master_name),
        _check_peers(views, expected),
        _check_replication(replicas, expected.max_replica_lag_seconds),
    ]


def _check_quorum(views: list[SentinelView], name: str) -> CheckResult:
    problems = [f"{view.address}: {view.quorum_error}" for view in views if view.quorum_error is not None]
    return verdict(FAMILY, "quorum", problems, f"SENTINEL CKQUORUM {name} OK on {len(views)} Sentinels", name)


def _check_flags(views: list[SentinelView], name: str) -> CheckResult:
    problems = [
        f"{view.address} reports flags {view.flags or '(none: does not monitor it)'}"
        for view in views
        if view.flags != "master"
    ]
    return verdict(
        FAMILY, "master_flags", problems, "every Sentinel flags the primary exactly 'master'", name
    )


def _check_agreement(views: list[SentinelView], name: str) -> CheckResult:
    named: dict[str, list[str]] = {}
    for view in views:
        named.setdefault(view.primary or "no primary", []).append(view.address)
    if len(named) > 1:
        opinions = "; ".join(
            f"{primary} according to {', '.join(by)}" for primary, by in sorted(named.items())
        )
        return verdict(
            FAMILY, "primary_agreement", [f"Sentinels disagree on the primary: {opinions}"], "", name
        )
    primary = next(iter(named))
    return verdict(FAMILY, "primary_agreement", [], f"all {len(views)} Sentinels name {primary}", name)


def _check_peers(views: list[SentinelView], expected: Expected) -> CheckResult:
    problems = []
    for view in views:
        others = int(view.master.get("num-other-sentinels", "0"))
        replicas = int(view.master.get("num-slaves", "0"))
        if others != expected.sentinels - 1:
            problems.append(
                f"{view.address} knows {others} other Sentinels, expected {expected.sentinels - 1}"
            )
        if replicas != expected.replicas:
            problems.append(f"{view.address} knows {replicas} replicas, expected {expected.replicas}")
    ok = f"each Sentinel knows {expected.sentinels - 1} other Sentinels and {expected.replicas} replicas"
    return verdict(FAMILY, "peers", problems, ok, expected.master_name)


def _check_replication(replicas: Replication, max_lag_seconds: int) -> CheckResult:
    problems: dict[str, str] = {}
    linked = []
    for address, outcome in replicas.links.items():
        if isinstance(outcome, BaseException):
            problems[address] = f"replica {address} did not answer ({outcome})"
        elif isinstance(outcome, str):
            problems[address] = f"replica {address} reports {outcome}"
        else:
            linked.append(outcome)
    for link, problem in replication.problems(linked, replicas.lags, max_lag_seconds):
        problems[link.address] = problem
    count = len(replicas.links)
    ok = f"all {count} replicas linked to the primary, none lagging more than {max_lag_seconds} s"
    target = ", ".join(sorted(replicas.links)) or "replicas"
    return verdict(FAMILY, "replication", [problems[a] for a in sorted(problems)], ok, target)
