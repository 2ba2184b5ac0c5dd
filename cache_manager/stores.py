"""Guarded calls to the two stores: the only place infrastructure errors are caught.

Every call goes to one node (a cluster primary, or the Sentinel group's primary) behind
that node's circuit breaker. A failure never raises: the call returns ``FAILED``, the
failure is counted in the metrics, and only an unreachable node moves its breaker
(``cache_manager.failures``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any, TypeVar

from redis import Redis
from redis.cluster import ClusterNode, RedisCluster
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from cache_manager import batching
from cache_manager.circuit_breaker import BreakerBoard
from cache_manager.connections import LazyCluster
from cache_manager.errors import CacheError
from cache_manager.failures import INFRASTRUCTURE_ERRORS, REDIRECTS, is_unreachable, reason
from cache_manager.metrics import CacheMetrics

log = logging.getLogger("cache_manager")

T = TypeVar("T")
FAILED: Any = object()  # an operation the infrastructure could not complete
SESSIONS_NODE = "sessions"
BOOTSTRAP_NODE = "cluster-bootstrap"
# Errors after which a single-key call goes through the cluster client, which follows
# redirects and refreshes its slot table. Not CLUSTERDOWN: that is a miss for this call
# (redis-py would pause and retry it, holding up the caller for nothing).
_REROUTE = (*REDIRECTS, RedisConnectionError, RedisTimeoutError)


class GuardedStores:
    def __init__(
        self,
        cluster: LazyCluster,
        sessions: Redis | None,
        *,
        breakers: BreakerBoard,
        metrics: CacheMetrics,
        pool: Executor,
    ):
        self.cluster = cluster
        self.sessions = sessions
        self.breakers = breakers
        self.metrics = metrics
        self._pool = pool
        self._auth_warned: set[str] = set()

    def cluster_client(self, operation: str) -> RedisCluster | None:
        cluster = self.guarded(operation, BOOTSTRAP_NODE, self.cluster.get)
        return None if cluster is FAILED else cluster

    def on_cluster(self, operation: str, key: str, call: Callable[[Redis | RedisCluster], T]) -> T:
        """``call`` on the primary that owns ``key``, or FAILED."""
        cluster = self.cluster.current or self.cluster_client(operation)
        if cluster is None:
            return FAILED
        try:
            node: ClusterNode | None = batching.node_for(cluster, key)
        except INFRASTRUCTURE_ERRORS:
            node = None  # the slot map itself is broken: one breaker for all of it
        name = node.name if node is not None else "cluster"
        # While nothing has failed lately (the usual case) skip per-node bookkeeping.
        clean = self.breakers.all_clean
        if not clean and not self.breakers[name].allow():
            self.metrics.error(operation, "circuit_open")
            return FAILED
        try:
            result = _call_routed(cluster, node, call)
        except INFRASTRUCTURE_ERRORS as error:
            self.failed(operation, name, error)
            return FAILED
        if not clean:
            self.breakers[name].record_success()
        return result

    def on_sessions(self, operation: str, call: Callable[[Redis], T]) -> T:
        client = self.sessions
        if client is None:
            raise CacheError("this manager has no sessions store: build it with a Sentinel address")
        return self.guarded(operation, SESSIONS_NODE, lambda: call(client))

    def guarded(self, operation: str, node: str, call: Callable[[], T]) -> T:
        breaker = self.breakers[node]
        if not breaker.allow():
            self.metrics.error(operation, "circuit_open")
            return FAILED
        try:
            result = call()
        except INFRASTRUCTURE_ERRORS as error:
            self.failed(operation, node, error)
            return FAILED
        breaker.record_success()
        return result

    def run_batch(
        self, operation: str, keys: list[str], op: batching.BatchOperation
    ) -> batching.BatchOutcome:
        cluster = self.cluster_client(operation)
        if cluster is None:
            return batching.BatchOutcome(failed=list(keys))

        def on_error(node: str, error: BaseException | None) -> None:
            if error is None:
                self.metrics.error(operation, "circuit_open")
            else:
                self.report(operation, node, error)

        try:
            return batching.run_batch(cluster, keys, op, self.breakers, on_error, self._pool)
        except INFRASTRUCTURE_ERRORS as error:  # the slot map itself is unusable
            self.report(operation, "cluster", error)
            return batching.BatchOutcome(failed=list(keys))

    def key_counts(self) -> dict[str, int | None]:
        """DBSIZE of every cluster primary (``None`` for one that did not answer)."""
        cluster = self.cluster_client("distribution")
        if cluster is None:
            return {}
        counts: dict[str, int | None] = {}
        for node in sorted(cluster.get_primaries(), key=lambda node: node.name):
            try:
                counts[node.name] = int(cluster.get_redis_connection(node).dbsize())
            except INFRASTRUCTURE_ERRORS as error:
                self.report("distribution", node.name, error)
                counts[node.name] = None
        return counts

    def failed(self, operation: str, node: str, error: BaseException) -> None:
        """A call to ``node`` failed: its breaker counts it only if the node was unreachable."""
        breaker = self.breakers[node]
        if is_unreachable(error):
            breaker.record_failure()
        else:
            breaker.record_success()  # it answered: reachable, whatever it said
        self.report(operation, node, error)

    def report(self, operation: str, node: str, error: BaseException) -> None:
        label = reason(error)
        self.metrics.error(operation, label)
        # Debug level: during an outage this fires per call; the metrics carry the rate.
        log.debug("cache %s on %s failed (%s): %s", operation, node, label, error)
        if label == "auth" and node not in self._auth_warned:  # once per node: calls keep coming
            self._auth_warned.add(node)
            log.warning("cache store %s refused the credentials: check the application user's password", node)

    def close(self) -> None:
        self.cluster.close()
        if self.sessions is not None:
            self.sessions.close()


def _call_routed(
    cluster: RedisCluster, node: ClusterNode | None, call: Callable[[Redis | RedisCluster], T]
) -> T:
    """``call`` on the client of the node that owns the key, else through the cluster client.

    The node's own client skips redis-py's per-command cluster routing (a large share of a
    GET's cost). When the slot moved (MOVED/ASK) or the node failed, the cluster client
    takes over: it follows redirects and refreshes the slot table.
    """
    direct = node.redis_connection if node is not None else None
    if direct is not None:
        try:
            return call(direct)
        except _REROUTE:
            pass
    return call(cluster)
