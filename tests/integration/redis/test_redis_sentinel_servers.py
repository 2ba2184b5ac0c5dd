"""A real Sentinel group (3 data nodes, 3 Sentinels) started by the rendered start scripts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.sentinel_servers import SentinelGroupHandle, sentinel_group

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def group() -> Iterator[SentinelGroupHandle]:
    with sentinel_group(data_nodes=3, sentinels=3, down_after_ms=1000) as handle:
        yield handle


def test_first_data_node_is_primary_and_the_others_replicate_it(group: SentinelGroupHandle) -> None:
    assert group.primary() == group.data_nodes[0]
    for _, port in group.data_nodes[1:]:
        with group.client(port) as client:
            info = client.info("replication")
        assert info["role"] == "slave"
        assert (info["master_host"], info["master_port"]) == group.data_nodes[0]
        assert info["master_link_status"] == "up"


def test_every_sentinel_has_quorum_and_names_the_same_primary(group: SentinelGroupHandle) -> None:
    for _, port in group.sentinels:
        assert group.ckquorum(port).startswith("OK 3 usable Sentinels")
        assert group.primary(port) == group.data_nodes[0]


def test_rendered_probes_pass_on_every_data_node_and_sentinel(group: SentinelGroupHandle) -> None:
    for _, port in group.data_nodes + group.sentinels:
        assert group.probe(port) == {"liveness": 0, "readiness": 0}
