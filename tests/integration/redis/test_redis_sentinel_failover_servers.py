"""Crashes and planned stops in a real Sentinel group: promotion, clients follow, rejoin."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import redis

from tests.support.redis_failover import time_sentinel_failover
from tests.support.redis_processes import replicas_linked
from tests.support.sentinel_servers import SentinelGroupHandle, sentinel_group

pytestmark = pytest.mark.integration

# Not Sentinel's 1000 ms minimum: right after +switch-master each Sentinel opens a fresh link
# to the promoted primary and marks it down unless the first PONG arrives within
# down-after-milliseconds. On a loaded test machine that took over a second, so 1000 ms led
# to a second, spurious failover away from the primary just promoted.
DOWN_AFTER_MS = 3000
# The old primary rejoins as a replica of the promoted one: the start script names it from
# the Sentinels at once, and the full sync waits out repl-diskless-sync-delay (5 s). Should it
# still come back as a primary, Sentinel sees that in its next INFO (every 10 s for a replica),
# converts it at the first INFO 8 s (4 hello periods) after that, then the 5 s sync: at most
# about 25 s by Sentinel's own clocks; the rest is margin for a loaded machine.
REJOIN_SECONDS = 40


@pytest.fixture
def group() -> Iterator[SentinelGroupHandle]:
    with sentinel_group(data_nodes=3, sentinels=3, down_after_ms=DOWN_AFTER_MS) as handle:
        yield handle


def test_killed_primary_is_replaced_and_the_sentinel_client_follows(group: SentinelGroupHandle) -> None:
    sentinel = group.sentinel_client()
    primary = sentinel.master_for(group.master_name)
    primary.set("session:1", "alice")
    assert primary.execute_command("WAIT", 2, 5000) == 2
    old = sentinel.discover_master(group.master_name)

    seconds, new = time_sentinel_failover(group)
    print(f"\nsentinel failover: {seconds:.2f} s (down-after-milliseconds {DOWN_AFTER_MS})")

    assert new != old
    assert sentinel.discover_master(group.master_name) == new
    # The same client object, unchanged, now reads and writes on the promoted replica.
    assert primary.get("session:1") == "alice"
    primary.set("session:2", "bob")
    with group.client(new[1]) as client:
        assert client.get("session:2") == "bob"
        assert client.info("replication")["role"] == "master"


def test_old_primary_restarted_by_its_start_script_replicates_the_new_one(group: SentinelGroupHandle) -> None:
    old = group.primary()
    assert old is not None
    _, new = time_sentinel_failover(group)
    group.restart(old[1])
    _wait_rejoined(group, old[1], new)
    assert group.primary() == new


def test_prestop_on_the_primary_hands_over_before_it_stops(group: SentinelGroupHandle) -> None:
    old = group.primary()
    assert old is not None
    result = group.run_prestop(old[1])
    assert result.returncode == 0, result.stderr
    assert "started a failover" in result.stdout
    # It returns once the Sentinels name the promoted replica: clients are sent there already.
    new = group.primary()
    assert new is not None and new != old
    with group.client(new[1]) as client:
        assert client.execute_command("ROLE")[0] == "master"
    # The old primary is converted to a replica of the new one by the Sentinels shortly after.
    _wait_rejoined(group, old[1], new)


def test_prestop_on_a_replica_does_nothing(group: SentinelGroupHandle) -> None:
    primary = group.primary()
    replica = next(address for address in group.data_nodes if address != primary)
    result = group.run_prestop(replica[1])
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert group.primary() == primary


def _wait_rejoined(group: SentinelGroupHandle, port: int, primary: tuple[str, int]) -> None:
    deadline = time.monotonic() + REJOIN_SECONDS
    while not _replicates(group, port, primary):
        assert time.monotonic() < deadline, _rejoin_report(group, port, primary)
        time.sleep(0.2)


def _replicates(group: SentinelGroupHandle, port: int, primary: tuple[str, int]) -> bool:
    try:
        with group.client(port) as client:
            info = client.info("replication")
    except redis.RedisError:
        return False
    following = (info.get("master_host"), info.get("master_port")) == primary
    return following and replicas_linked(group, [port])


def _rejoin_report(group: SentinelGroupHandle, port: int, new: tuple[str, int]) -> str:
    """Why the old primary did not rejoin: its start output and log, and what each Sentinel saw."""
    parts = [f"the old primary on {port} did not rejoin {new} as a replica"]
    for sentinel in group.sentinel_ports:
        events = [line for line in group.processes[sentinel].tail(400).splitlines() if " # " in line]
        parts.append(f"--- Sentinel {sentinel} events:\n" + "\n".join(events[-25:]))
    parts.append(f"--- node {port} (start script and server log):\n{group.processes[port].tail(40)}")
    return "\n".join(parts)


def test_a_replica_cut_off_from_its_primary_is_not_ready(group: SentinelGroupHandle) -> None:
    primary = group.primary()
    replica = next(address for address in group.data_nodes if address != primary)
    # No Sentinel left to promote anyone: the replica stays without a primary.
    for _, port in group.sentinels:
        group.kill(port)
    assert primary is not None
    group.kill(primary[1])
    deadline = time.monotonic() + 30
    while not _link_down(group, replica[1]):
        assert time.monotonic() < deadline, "the replica never noticed its primary is gone"
        time.sleep(0.1)
    assert group.probe(replica[1]) == {"liveness": 0, "readiness": 1}


def _link_down(group: SentinelGroupHandle, port: int) -> bool:
    with group.client(port) as client:
        return bool(client.info("replication")["master_link_status"] == "down")


def _restart_all_sentinels(group: SentinelGroupHandle, *, forget_state: bool = False) -> None:
    for port in group.sentinel_ports:
        group.kill(port)
    if forget_state:
        for port in group.sentinel_ports:
            (group.processes[port].workdir / "volume" / "sentinel-state.conf").unlink(missing_ok=True)
    for port in group.sentinel_ports:
        group.restart(port)


def test_all_sentinels_restarted_after_a_failover_monitor_the_current_primary(
    group: SentinelGroupHandle,
) -> None:
    old = group.primary()
    assert old is not None
    _, new = time_sentinel_failover(group)
    group.restart(old[1])
    _wait_rejoined(group, old[1], new)
    time.sleep(3)  # one state save (every 2 s) after the failover settled

    # Once with the state each Sentinel saved on its volume, once as if the volumes were new.
    for forget_state in (False, True):
        _restart_all_sentinels(group, forget_state=forget_state)

        group.wait_ready(timeout=REJOIN_SECONDS)
        for port in group.sentinel_ports:
            assert group.primary(port) == new, forget_state
            assert group.ckquorum(port).startswith("OK"), forget_state
        sentinel = group.sentinel_client()
        sentinel.master_for(group.master_name).set("session:after-restart", "carol")
        assert sentinel.discover_master(group.master_name) == new
        # No failover away from the healthy primary (a Sentinel watching a replica would try).
        time.sleep(DOWN_AFTER_MS / 1000 + 2)
        assert group.primary() == new, forget_state
