"""How a Redis container's memory limit is shared out: the one formula, used everywhere.

``maxmemory`` bounds the dataset only. Around it, inside the same container limit:

- the process itself (allocator, Lua, client structures): ``BASE_MB``;
- replication: replica output buffers are not counted against ``maxmemory``. Since Redis 7.0
  replicas and the backlog share one buffer, so the replica hard limit (rendered as
  ``client-output-buffer-limit replica``) bounds all of it: ``1/16`` of the limit;
- a fork (AOF rewrite, full sync to a replica) copies every page written while it runs:
  ``COPY_ON_WRITE_SHARE`` of the dataset. Measured: an AOF rewrite under write load at
  ``maxmemory 768mb`` dirtied 108 MB (14 %); a quarter leaves room for heavier writers.

    limit = BASE_MB + replication + maxmemory x (1 + COPY_ON_WRITE_SHARE)
"""

from __future__ import annotations

from dataclasses import dataclass

MIB = 2**20
BASE_MB = 32
REPLICATION_SHARE_DIVISOR = 16
MIN_REPLICATION_MB = 8
COPY_ON_WRITE_SHARE = 0.25


@dataclass(frozen=True)
class RedisMemory:
    """A container's memory in MiB, shared out by the formula."""

    limit_mb: int
    # The most the dataset may use: what the formula allows, or a smaller configured value.
    maxmemory_mb: int
    # Replica output buffers and backlog together (hard limit for one replica).
    replication_mb: int
    # The largest maxmemory the formula allows.
    budget_mb: int

    @property
    def backlog_mb(self) -> int:
        """repl-backlog-size: half of the shared replication buffer, for partial resyncs."""
        return max(1, self.replication_mb // 2)

    @property
    def peak_mb(self) -> int:
        """The most the container should ever hold: dataset, fork copies, replication, base."""
        return BASE_MB + self.replication_mb + round(self.maxmemory_mb * (1 + COPY_ON_WRITE_SHARE))


def redis_memory(limit_bytes: int, maxmemory_mb: int | None = None) -> RedisMemory:
    """Share out ``limit_bytes``; ``maxmemory_mb`` (when configured) must fit the budget.

    ValueError when the limit leaves no room for a dataset, or the configured value
    exceeds what the formula allows.
    """
    limit_mb = limit_bytes // MIB
    replication_mb = max(MIN_REPLICATION_MB, limit_mb // REPLICATION_SHARE_DIVISOR)
    budget_mb = int((limit_mb - BASE_MB - replication_mb) / (1 + COPY_ON_WRITE_SHARE))
    if budget_mb <= 0:
        raise ValueError(
            f"a {limit_mb} MiB limit leaves no room for data after {BASE_MB} MiB for the process "
            f"and {replication_mb} MiB for replication buffers"
        )
    if maxmemory_mb is not None and maxmemory_mb > budget_mb:
        raise ValueError(
            f"at most {budget_mb} fits a {limit_mb} MiB limit ({BASE_MB} MiB process, "
            f"{replication_mb} MiB replication buffers, {int(COPY_ON_WRITE_SHARE * 100)} % of the "
            "dataset for fork copy-on-write)"
        )
    return RedisMemory(limit_mb, maxmemory_mb or budget_mb, replication_mb, budget_mb)
