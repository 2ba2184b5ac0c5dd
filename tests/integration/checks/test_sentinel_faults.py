"""Faults injected into a real Sentinel group: quorum lost, Sentinels that disagree."""

from __future__ import annotations

import pytest
import redis

from tests.integration.checks.conftest import PASSWORD, joined, primary_and_replica, run_checks, wait_until
from tests.support.redis_servers import SentinelGroupHandle

pytestmark = pytest.mark.integration


def flags(group: SentinelGroupHandle) -> list[str]:
    return ["--sentinel", joined(group.sentinels), "--sentinel-master", group.master_name]


def has_no_quorum(group: SentinelGroupHandle, port: int) -> bool:
    with group.client(port) as client:
        try:
            client.execute_command("SENTINEL CKQUORUM", group.master_name)
        except redis.ResponseError:
            return True
    return False


def test_a_group_below_quorum(fresh_group: SentinelGroupHandle, capsys: pytest.CaptureFixture[str]) -> None:
    group = fresh_group
    survivor, *lost = group.sentinel_ports
    for port in lost:
        group.kill(port)
    wait_until(lambda: has_no_quorum(group, survivor), "the surviving Sentinel notices it is alone")
    run = run_checks(capsys, *flags(group))
    assert run.code == 1, run.document
    assert ("sentinel", "quorum") in run.not_ok("sentinel")
    assert run.result("sentinel", "quorum")["message"].startswith(
        f"127.0.0.1:{survivor}: NOQUORUM 1 usable Sentinels. Not enough available Sentinels"
    )
    reachable = run.result("sentinel", "reachable")["message"]
    assert all(f"127.0.0.1:{port} did not answer" in reachable for port in lost)


def test_sentinels_that_disagree_on_the_primary(
    fresh_group: SentinelGroupHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    group = fresh_group
    primary, replica = primary_and_replica(group)
    rogue, *loyal = group.sentinel_ports
    name = group.master_name
    with group.client(rogue) as client:
        client.execute_command("SENTINEL REMOVE", name)
        client.execute_command("SENTINEL MONITOR", name, "127.0.0.1", replica, 2)
        client.execute_command("SENTINEL SET", name, "auth-user", "admin", "auth-pass", PASSWORD)
    run = run_checks(capsys, *flags(group))
    assert run.code == 1, run.document
    loyal_list = ", ".join(f"127.0.0.1:{port}" for port in sorted(loyal))
    opinions = {f"127.0.0.1:{primary}": loyal_list, f"127.0.0.1:{replica}": f"127.0.0.1:{rogue}"}
    expected = "; ".join(f"{address} according to {by}" for address, by in sorted(opinions.items()))
    assert (
        run.result("sentinel", "primary_agreement")["message"]
        == f"Sentinels disagree on the primary: {expected}"
    )
