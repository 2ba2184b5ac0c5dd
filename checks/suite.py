"""One run of every check family against resolved targets, concurrently and time-bounded."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from checks import cache_metrics, cdn, hit_ratio, kubernetes, redis_cluster, sentinel
from checks.concurrency import Deadline, run_concurrently
from checks.inputs import Targets
from checks.model import CheckResult, Status

FAMILY_ORDER = (redis_cluster.FAMILY, hit_ratio.FAMILY, sentinel.FAMILY, cdn.FAMILY, kubernetes.FAMILY)


def run_checks(targets: Targets, *, timeout: float, call_timeout: float) -> list[CheckResult]:
    """Every family whose endpoints are known; the others are reported as skipped."""
    # Families work to a slightly earlier deadline than the run, so that what they found before
    # it (a dead node among live ones) is still reported rather than lost to the run's bound.
    deadline = Deadline(max(timeout - 0.5, timeout * 0.8))
    families: dict[str, Callable[[], list[CheckResult]]] = {
        redis_cluster.FAMILY: lambda: _redis_families(targets, call_timeout, deadline),
        sentinel.FAMILY: lambda: _sentinel(targets, call_timeout, deadline),
        cdn.FAMILY: lambda: _cdn(targets, call_timeout, deadline),
    }
    outcomes = run_concurrently(families, Deadline(timeout))
    results: list[CheckResult] = []
    for family, outcome in outcomes.items():
        if isinstance(outcome, BaseException):
            message = f"did not finish: {type(outcome).__name__}: {outcome}"
            results.append(CheckResult(family, "run", Status.ERROR, message, "-"))
        else:
            results.extend(outcome)
    return sorted(results, key=lambda result: FAMILY_ORDER.index(result.family))


def _skipped(family: str, why: str) -> list[CheckResult]:
    return [CheckResult(family, "run", Status.SKIP, why, "-")]


def _redis_families(targets: Targets, call_timeout: float, deadline: Deadline) -> list[CheckResult]:
    """The cluster checks, then the hit ratios and the Kubernetes checks, which use its topology."""
    outcomes: dict[str, redis_cluster.Outcome] = {}
    if not targets.redis_cluster:
        results = _skipped(
            redis_cluster.FAMILY, "no Redis Cluster endpoint (endpoints.redisCluster or --redis-cluster)"
        )
    else:
        outcomes = redis_cluster.collect(targets.redis_cluster, targets.credentials, call_timeout, deadline)
        results = redis_cluster.evaluate(
            outcomes,
            masters=targets.masters,
            replicas_per_master=targets.replicas_per_master,
            max_replica_lag_seconds=targets.thresholds.max_replica_lag_seconds,
        )
    results += _hit_ratios(targets, outcomes, call_timeout, deadline)
    return results + _kubernetes(targets, outcomes, call_timeout, deadline)


Scraped = dict[str, hit_ratio.Counters | BaseException]


@dataclass(frozen=True)
class _Counted:
    """Both ratios' counters over one span, and every metrics endpoint's last answer."""

    keyspace: dict[str, hit_ratio.Counters]
    application: dict[str, hit_ratio.Counters]
    scraped: Scraped
    scopes: tuple[str, str]


def _hit_ratios(
    targets: Targets, outcomes: dict[str, redis_cluster.Outcome], call_timeout: float, deadline: Deadline
) -> list[CheckResult]:
    """Redis's keyspace ratio and the application's, over the same span (since start, or --window)."""
    views = [view for view in outcomes.values() if isinstance(view, redis_cluster.NodeView)]
    counted = _count(targets, views, call_timeout, deadline)
    if not targets.redis_cluster:
        keyspace = _skip(hit_ratio.KEYSPACE, "no Redis Cluster endpoint")
    elif not views:
        keyspace = _skip(hit_ratio.KEYSPACE, "no cluster node answered")
    else:
        keyspace = _judge(targets, counted.keyspace, hit_ratio.KEYSPACE, counted.scopes[0], len(outcomes))
    return [keyspace, _application_ratio(targets, counted)]


def _count(
    targets: Targets, views: list[redis_cluster.NodeView], call_timeout: float, deadline: Deadline
) -> _Counted:
    """The counters since start, or their growth over --window (both sampled again after it)."""
    keyspace = {view.address: hit_ratio.Counters.from_stats(view.stats) for view in views}
    urls = targets.cache_metrics
    scraped: Scraped = cache_metrics.sample(urls, call_timeout, deadline) if urls else {}
    application = _answered(scraped)
    if not targets.window:
        return _Counted(
            keyspace, application, scraped, ("since start or CONFIG RESETSTAT", "since each process started")
        )
    hit_ratio.wait_for_window(targets.window, deadline)
    keyspace_after = hit_ratio.sample(list(keyspace), targets.credentials, call_timeout, deadline)
    later = cache_metrics.sample(list(application), call_timeout, deadline) if application else {}
    return _Counted(
        hit_ratio.window_delta(keyspace, keyspace_after),
        hit_ratio.window_delta(application, _answered(later)),
        {**scraped, **later},
        (f"over {targets.window:g} s",) * 2,
    )


def _application_ratio(targets: Targets, counted: _Counted) -> CheckResult:
    """The application's ratio over the endpoints that answered; the others are named."""
    if not targets.cache_metrics:
        why = "no cache-manager metrics endpoint (endpoints.cacheMetrics or --cache-metrics)"
        return _skip(hit_ratio.APPLICATION, why)
    answered = counted.application
    silent = "; ".join(str(error) for url, error in sorted(counted.scraped.items()) if url not in answered)
    if not answered:
        message = f"could not read the cache manager's metrics: {silent}"
        return CheckResult(hit_ratio.FAMILY, hit_ratio.APPLICATION.check, Status.ERROR, message, "-")
    result = _judge(targets, answered, hit_ratio.APPLICATION, counted.scopes[1], len(targets.cache_metrics))
    return replace(result, message=f"{result.message} (not counted: {silent})") if silent else result


def _judge(
    targets: Targets, counters: dict[str, hit_ratio.Counters], ratio: hit_ratio.Ratio, scope: str, asked: int
) -> CheckResult:
    return hit_ratio.evaluate(
        counters,
        ratio,
        min_ratio=targets.thresholds.min_hit_ratio,
        min_lookups=targets.thresholds.min_lookups,
        scope=scope,
        unanswered=asked - len(counters),
    )


def _answered(scraped: Scraped) -> dict[str, hit_ratio.Counters]:
    return {url: counters for url, counters in scraped.items() if isinstance(counters, hit_ratio.Counters)}


def _skip(ratio: hit_ratio.Ratio, why: str) -> CheckResult:
    return CheckResult(hit_ratio.FAMILY, ratio.check, Status.SKIP, why, "-")


def _sentinel(targets: Targets, call_timeout: float, deadline: Deadline) -> list[CheckResult]:
    if not targets.sentinels:
        return _skipped(sentinel.FAMILY, "no Sentinel endpoint (endpoints.sentinel or --sentinel)")
    views, replicas = sentinel.collect(
        targets.sentinels, targets.sentinel_master, targets.credentials, call_timeout, deadline
    )
    expected = sentinel.Expected(
        targets.sentinel_master,
        targets.sentinel_count,
        targets.sentinel_replicas,
        targets.thresholds.max_replica_lag_seconds,
    )
    return sentinel.evaluate(views, replicas, expected)


def _cdn(targets: Targets, call_timeout: float, deadline: Deadline) -> list[CheckResult]:
    if not targets.cdn_url:
        return _skipped(cdn.FAMILY, "no CDN endpoint (endpoints.cdn or --cdn)")
    observations = cdn.collect(
        targets.cdn_url, targets.cdn_health_path, targets.cdn_paths, call_timeout, deadline
    )
    return cdn.evaluate(
        observations,
        health_path=targets.cdn_health_path,
        security_headers=targets.cdn_security_headers,
        min_hit_ratio=targets.thresholds.cdn_min_hit_ratio,
    )


def _kubernetes(
    targets: Targets, outcomes: dict[str, redis_cluster.Outcome], call_timeout: float, deadline: Deadline
) -> list[CheckResult]:
    if not targets.namespace:
        return _skipped(kubernetes.FAMILY, "no namespace (stack output 'namespace' or --namespace)")
    pairs = redis_cluster.master_replica_pairs(outcomes)
    return kubernetes.run(targets.namespace, targets.kube_context, deadline.cap(call_timeout), pairs)
