from __future__ import annotations

import pytest

from checks.redis_text import parse_cluster_nodes, parse_info, slot_owners, slot_ranges
from tests.unit.checks.captured import HEALTHY, M0, M1, M2, as_seen_by


def test_info_fields_skip_headers_and_blank_lines() -> None:
    fields = parse_info("# Stats\r\nkeyspace_hits:12\r\n\r\nkeyspace_misses:3\r\nmaster_host:10.0.0.1\r\n")
    assert fields == {"keyspace_hits": "12", "keyspace_misses": "3", "master_host": "10.0.0.1"}


def test_cluster_nodes_parse_roles_slots_and_links() -> None:
    nodes = {node.node_id: node for node in parse_cluster_nodes(as_seen_by(HEALTHY, M0))}
    assert nodes[M0].is_myself and nodes[M0].is_master
    assert nodes[M0].slots == frozenset(range(0, 5461))
    assert nodes[M0].address == "127.0.0.1:17000"
    replicas = [node for node in nodes.values() if node.master_id == M2]
    assert [r.address for r in replicas] == ["127.0.0.1:17005"]
    assert all(node.link_state == "connected" for node in nodes.values())


def test_slot_owners_cover_every_slot_of_a_healthy_cluster() -> None:
    owners = slot_owners(parse_cluster_nodes(HEALTHY))
    assert len(owners) == 16384
    assert (owners[0], owners[5461], owners[16383]) == (M0, M1, M2)


def test_open_slots_and_announced_hostnames() -> None:
    endpoint = "10.1.2.3:6379@16379,redis-cluster-0.redis-cluster"
    line = f"{M0} {endpoint} myself,master - 0 1 1 connected 0-99 [5->-{M1}] [7-<-{M2}]"
    (node,) = parse_cluster_nodes(line)
    assert node.hostname == "redis-cluster-0.redis-cluster"
    assert node.address == "10.1.2.3:6379"
    assert node.migrating == {5: M1}
    assert node.importing == {7: M2}
    assert node.slots == frozenset(range(100))


def test_a_truncated_line_is_rejected() -> None:
    with pytest.raises(ValueError, match="not a CLUSTER NODES line"):
        parse_cluster_nodes("abc 127.0.0.1:1@2 master -")


@pytest.mark.parametrize(
    ("slots", "text"),
    [(set(), ""), ({5}, "5"), ({0, 1, 2, 7, 9, 10}, "0-2, 7, 9-10"), (set(range(100, 103)), "100-102")],
)
def test_slot_ranges_are_written_like_redis(slots: set[int], text: str) -> None:
    assert slot_ranges(slots) == text
