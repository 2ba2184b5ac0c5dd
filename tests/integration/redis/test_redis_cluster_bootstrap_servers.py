"""The bootstrap Job killed midway and run again: it completes the cluster instead of declaring it formed."""

from __future__ import annotations

import os
import signal

import pytest

from tests.support.redis_servers import RedisClusterHandle, redis_cluster

pytestmark = pytest.mark.integration


def kill_bootstrap_at(cluster: RedisClusterHandle, line: str) -> str:
    """Run the rendered bootstrap script and SIGKILL it (the Job's pod lost) once it printed ``line``."""
    job = cluster.spawn_script(cluster.bootstrap_script)
    assert job.stdout is not None
    printed = []
    for output in job.stdout:
        printed.append(output)
        if line in output:
            os.killpg(job.pid, signal.SIGKILL)
            break
    job.wait(timeout=30)
    assert any(line in output for output in printed), "".join(printed)
    return "".join(printed)


@pytest.mark.parametrize(
    "killed_after",
    [
        # Slots assigned on the masters, nobody has met anybody.
        "Assign a different config epoch to each node",
        # The nodes being met, the replicas not yet told whom to replicate: 3 masters + 3 empty
        # masters (the state the audit left by killing the Job after CLUSTER MEET).
        "Sending CLUSTER MEET messages to join the cluster",
    ],
)
def test_a_bootstrap_killed_midway_then_run_again_forms_the_whole_cluster(killed_after: str) -> None:
    with redis_cluster(masters=3, replicas_per_master=1, bootstrap=False, own_addresses=True) as cluster:
        kill_bootstrap_at(cluster, killed_after)

        result = cluster.bootstrap()

        assert result.returncode == 0, result.stdout + result.stderr
        assert "nothing to change" not in result.stdout
        cluster.wait_formed(timeout=30)
        for port in cluster.processes:
            assert cluster.topology(port) == (3, 3)
        again = cluster.bootstrap()
        assert again.returncode == 0, again.stderr
        assert "nothing to change" in again.stdout
