"""Client load through the cache manager while one cluster master fails over.

Shared by the integration test and the benchmark, so both count the same thing: every
read of a stored product that came back as a miss, and every price write that was
dropped, split by whether the key lives on the killed master's shard or on a healthy one.
The healthy shards' count must be 0: their masters never went away.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from cache_manager import DistributedCacheManager
from tests.support.redis_failover import time_cluster_failover
from tests.support.redis_servers import RedisClusterHandle

WORKERS = 4
PRODUCTS = 120
# Load keeps running this long after the failover ended: a breaker opened during the
# outage would refuse calls for its reset timeout after Redis recovered.
TAIL_PASSES = 20


@dataclass
class FailoverLoad:
    victim: int  # port of the killed master
    failover_seconds: float
    calls: dict[str, int] = field(default_factory=lambda: {"healthy": 0, "victim": 0})
    failed: dict[str, int] = field(default_factory=lambda: {"healthy": 0, "victim": 0})
    examples: list[str] = field(default_factory=list)  # the first few healthy-shard failures

    def count(self, shard: str, ok: bool, what: str) -> None:
        self.calls[shard] += 1
        if not ok:
            self.failed[shard] += 1
            if shard == "healthy" and len(self.examples) < 5:
                self.examples.append(what)


def product(n: int) -> dict[str, Any]:
    return {"id": f"product-{n}", "n": n}


def shard_of(manager: DistributedCacheManager, cluster: RedisClusterHandle, victim: int) -> dict[str, str]:
    """Each product id -> "victim" when the killed master owns its slot, else "healthy"."""
    shards = {}
    with cluster.cluster_client(user=cluster.admin_user) as admin:
        for n in range(PRODUCTS):
            owner = admin.get_node_from_key(manager.keys.product(f"product-{n}"))
            shards[f"product-{n}"] = "victim" if int(owner.port) == victim else "healthy"
    return shards


def load_through_failover(manager: DistributedCacheManager, cluster: RedisClusterHandle) -> FailoverLoad:
    """Readers and writers on every shard while the first master is SIGKILLed and replaced."""
    victim = cluster.masters()[0]
    shards = shard_of(manager, cluster, victim)
    assert set(shards.values()) == {"healthy", "victim"}, shards
    assert manager.mset({product_id: product(int(product_id.split("-")[1])) for product_id in shards}) == len(
        shards
    )
    outcome = FailoverLoad(victim=victim, failover_seconds=0.0)
    lock = threading.Lock()
    failed_over = threading.Event()

    def worker(offset: int) -> None:
        ids = list(shards)
        tail = 0
        while tail < TAIL_PASSES:
            for product_id in ids[offset:] + ids[:offset]:
                number = int(product_id.split("-")[1])
                read = manager.get_product(product_id)
                # A victim-shard product may be lost in the crash; a healthy one never is.
                read_ok = read == product(number) or (shards[product_id] == "victim" and read is None)
                written = manager.cache_price(product_id, {"amount": number})
                with lock:
                    outcome.count(shards[product_id], read_ok, f"get_product({product_id}) -> {read!r}")
                    outcome.count(shards[product_id], written, f"cache_price({product_id}) dropped")
            tail += failed_over.is_set()

    threads = [threading.Thread(target=worker, args=(n * PRODUCTS // WORKERS,)) for n in range(WORKERS)]
    for thread in threads:
        thread.start()
    try:
        outcome.failover_seconds, _ = time_cluster_failover(cluster, victim)
    finally:
        failed_over.set()
        for thread in threads:
            thread.join(120)
    return outcome
