"""Multi-key work on a Redis Cluster: keys grouped by the node that owns their slot, one
pipeline per node, one multi-key command per slot where Redis allows it.

Redis Cluster refuses multi-key commands across slots (CROSSSLOT), so a batch is split by
slot; sending each node's share as one pipeline turns N round trips into one per node. A node
that fails costs only its own keys, and an error reply (MOVED, CLUSTERDOWN, OOM) only its
slot's keys: the topology is refreshed and those keys retried once (a failover or a reshard
moves the slots), and a node's circuit breaker stops further calls while it cannot be
reached.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any, Protocol

from redis import Redis
from redis.cluster import ClusterNode, RedisCluster, key_slot
from redis.exceptions import RedisClusterException, RedisError, ResponseError

from cache_manager.circuit_breaker import BreakerBoard
from cache_manager.failures import REDIRECTS, is_unreachable

ErrorSink = Callable[[str, BaseException | None], None]  # (node name, error or None if circuit open)


def slot_of(key: str) -> int:
    return int(key_slot(key.encode()))


def group_by_slot(keys: Iterable[str]) -> dict[int, list[str]]:
    groups: dict[int, list[str]] = {}
    for key in keys:
        groups.setdefault(slot_of(key), []).append(key)
    return groups


def node_for(cluster: RedisCluster, key: str) -> ClusterNode:
    # Read the slot table directly (the manager's own lookup takes a lock per call); the
    # first node of a slot is its primary.
    nodes = cluster.nodes_manager.slots_cache.get(slot_of(key))
    if not nodes:
        return cluster.nodes_manager.get_node_from_slot(slot_of(key))  # raises SlotNotCoveredError
    return nodes[0]


def group_by_node(cluster: RedisCluster, keys: Iterable[str]) -> dict[str, tuple[ClusterNode, list[str]]]:
    groups: dict[str, tuple[ClusterNode, list[str]]] = {}
    for key in keys:
        node = node_for(cluster, key)
        groups.setdefault(node.name, (node, []))[1].append(key)
    return groups


Command = tuple[Any, ...]


class BatchOperation(Protocol):
    """Queues the commands for keys of one slot, and reads back what the caller needs.

    An error reply raises before anything is decoded, so a write has nothing to read back:
    its keys either succeed together with their node or end up in ``BatchOutcome.failed``.
    """

    def queue(self, commands: list[Command], keys: Sequence[str]) -> None:
        """Append the commands for ``keys`` (all in one slot)."""

    def decode(self, keys: Sequence[str], replies: Sequence[Any]) -> dict[str, Any]:
        """The result per key from the replies to this slot's commands (empty for writes)."""


@dataclass
class BatchOutcome:
    results: dict[str, Any] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)


def send_pipelined(client: Redis, commands: list[Command]) -> list[Any]:
    """All ``commands`` in one write on one connection, then every reply: one round trip.

    Leaner than redis-py's Pipeline (no command stack, no per-command option handling),
    which matters when a batch carries a thousand commands. An error reply (MOVED, ASK,
    CLUSTERDOWN, OOM, ...) takes its command's place as the ResponseError redis-py makes of
    it, and the replies after it are read all the same. A connection that fails raises and
    is dropped, since the replies after the failure were not read.
    """
    pool = client.connection_pool
    connection = pool.get_connection()
    try:
        connection.send_packed_command(connection.pack_commands(commands))
        return [_reply(connection) for _ in commands]
    except BaseException:
        connection.disconnect()
        raise
    finally:
        pool.release(connection)


def _reply(connection: Any) -> Any:
    try:
        return connection.read_response()
    except ResponseError as error:  # read in full: the connection is in step
        return error


NodeResult = tuple[dict[str, Any], list[str], ResponseError | None]


def _run_on_node(cluster: RedisCluster, node: ClusterNode, keys: list[str], op: BatchOperation) -> NodeResult:
    """The results of the slots the node answered; the keys of the slots it refused (an error
    reply to one of their commands), and the first such reply."""
    commands: list[Command] = []
    plan: list[tuple[list[str], slice]] = []
    for slot_keys in group_by_slot(keys).values():
        start = len(commands)
        op.queue(commands, slot_keys)
        plan.append((slot_keys, slice(start, len(commands))))
    replies = send_pipelined(cluster.get_redis_connection(node), commands)
    results: dict[str, Any] = {}
    refused: list[str] = []
    first_error: ResponseError | None = None
    for slot_keys, replies_of_slot in plan:
        slot_replies = replies[replies_of_slot]
        error = next((reply for reply in slot_replies if isinstance(reply, ResponseError)), None)
        if error is None:
            results.update(op.decode(slot_keys, slot_replies))
        else:
            refused += slot_keys
            first_error = first_error or error
    return results, refused, first_error


def _refresh_topology(cluster: RedisCluster) -> bool:
    try:
        cluster.nodes_manager.initialize()
    except (RedisError, RedisClusterException):
        return False
    return True


def _node_share(
    cluster: RedisCluster,
    name: str,
    node: ClusterNode,
    keys: list[str],
    op: BatchOperation,
    breakers: BreakerBoard,
    on_error: ErrorSink,
    last_try: bool,
) -> tuple[dict[str, Any], list[str], list[str]]:
    """One node's share of a batch: (results, keys to retry, keys given up)."""
    breaker = breakers[name]
    if not breaker.allow():
        on_error(name, None)
        return {}, [], keys
    try:
        results, refused, error = _run_on_node(cluster, node, keys, op)
    except RedisError as unreachable:
        if is_unreachable(unreachable):
            breaker.record_failure()
        else:
            breaker.record_success()  # it answered (LOADING): not an outage
        _report(name, unreachable, on_error, last_try)
        return {}, keys, []
    breaker.record_success()  # it answered, error replies included
    if error is not None:
        _report(name, error, on_error, last_try)
    return results, refused, []


def _report(name: str, error: RedisError, on_error: ErrorSink, last_try: bool) -> None:
    if last_try or not isinstance(error, REDIRECTS):  # a redirect is retried, not yet a failure
        on_error(name, error)


def run_batch(
    cluster: RedisCluster,
    keys: Sequence[str],
    op: BatchOperation,
    breakers: BreakerBoard,
    on_error: ErrorSink,
    pool: Executor | None = None,
) -> BatchOutcome:
    """Run ``op`` over ``keys``; keys whose node or slot failed twice (or whose node's breaker
    is open) end up in ``failed``.

    With a ``pool`` the nodes' pipelines run side by side: one node's round trip overlaps
    the encoding and decoding of another's.
    """
    outcome = BatchOutcome()
    pending = list(dict.fromkeys(keys))
    for attempt in range(2):
        groups = group_by_node(cluster, pending)
        last_try = attempt == 1

        def share(
            item: tuple[str, tuple[ClusterNode, list[str]]], last_try: bool = last_try
        ) -> tuple[dict[str, Any], list[str], list[str]]:
            name, (node, node_keys) = item
            return _node_share(cluster, name, node, node_keys, op, breakers, on_error, last_try)

        shares = pool.map(share, groups.items()) if pool and len(groups) > 1 else map(share, groups.items())
        retry: list[str] = []
        for results, again, given_up in shares:
            outcome.results.update(results)
            retry += again
            outcome.failed += given_up
        if not retry:
            break
        if attempt == 1 or not _refresh_topology(cluster):
            outcome.failed += retry
            break
        pending = retry
    return outcome


class GetMany:
    def queue(self, commands: list[Command], keys: Sequence[str]) -> None:
        commands.append(("MGET", *keys))

    def decode(self, keys: Sequence[str], replies: Sequence[Any]) -> dict[str, Any]:
        (values,) = replies
        return dict(zip(keys, values, strict=True))


class _Write:
    """A batch that stores or removes: nothing to read back."""

    def decode(self, keys: Sequence[str], replies: Sequence[Any]) -> dict[str, Any]:
        return {}


@dataclass
class SetMany(_Write):
    """SET with a per-key expiry (MSET has no TTL, so one SET EX per key, pipelined)."""

    values: dict[str, tuple[bytes, int]]

    def queue(self, commands: list[Command], keys: Sequence[str]) -> None:
        for key in keys:
            data, seconds = self.values[key]
            commands.append(("SET", key, data, "EX", seconds))


class DeleteMany(_Write):
    def queue(self, commands: list[Command], keys: Sequence[str]) -> None:
        commands.append(("UNLINK", *keys))


@dataclass
class AddMembers(_Write):
    """SADD members to sets (tag sets) and keep each set alive for ``seconds``."""

    members: dict[str, list[str]]
    seconds: int

    def queue(self, commands: list[Command], keys: Sequence[str]) -> None:
        for key in keys:
            commands.append(("SADD", key, *self.members[key]))
            commands.append(("EXPIRE", key, self.seconds))
