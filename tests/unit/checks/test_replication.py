"""Reading replication health out of INFO replication text as Redis 7.0 prints it."""

from __future__ import annotations

from checks.redis_text import parse_info
from checks.replication import ReplicaLink, replica_lags, replica_link
from tests.unit.checks.captured import MASTER_REPLICATION, REPLICA_LINK_DOWN, REPLICA_REPLICATION


def test_a_replica_names_its_master_and_its_link() -> None:
    info = parse_info(REPLICA_REPLICATION.format(master_port=7000))
    assert replica_link(info, "10.0.0.2:6379") == ReplicaLink("10.0.0.2:6379", "127.0.0.1:7000", "up")
    # The caller may name the master as the rest of its report does.
    assert replica_link(info, "r:1", "redis-cluster-0:6379") == ReplicaLink(
        "r:1", "redis-cluster-0:6379", "up"
    )
    assert replica_link(parse_info(MASTER_REPLICATION.format(replica_port=1, lag=0)), "m:1") is None


def test_how_long_the_link_has_been_down_when_redis_knows() -> None:
    down = parse_info(REPLICA_LINK_DOWN.format(master_port=7000))
    assert replica_link(down, "r:1") == ReplicaLink("r:1", "127.0.0.1:7000", "down", 42)
    # -1: the link was never up since the replica started.
    never = parse_info(REPLICA_LINK_DOWN.format(master_port=7000).replace(":42", ":-1"))
    assert replica_link(never, "r:1") == ReplicaLink("r:1", "127.0.0.1:7000", "down", None)


def test_lags_of_online_replicas_only() -> None:
    info = parse_info(
        MASTER_REPLICATION.format(replica_port=7003, lag=4)
        + "slave1:ip=127.0.0.1,port=7004,state=wait_bgsave,offset=0,lag=0\n"
    )
    assert replica_lags(info) == {"127.0.0.1:7003": 4}
