"""How long the post-deploy checks take against a full deployment on loopback.

A 6-node Redis Cluster, a Sentinel group of 3 data nodes and 3 Sentinels, and the NGINX
CDN in front of a local origin. Two figures: the checks themselves (in-process, every family
concurrently) and what an operator waits for (``python -m checks`` as a new process,
interpreter start and imports included). Goal: the whole run within 3 s.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from checks.cli import parser
from checks.inputs import resolve
from checks.model import exit_code
from checks.suite import run_checks
from components.settings.cdn import CdnSettings
from tests.bench import goal
from tests.support.nginx_server import nginx_cdn, origin_server
from tests.support.redis_servers import redis_cluster, sentinel_group

NAME = "checks_runtime"
GOAL_SECONDS = 3.0
ROUNDS = 5
ROOT = Path(__file__).resolve().parents[2]


def _timed_in_process(argv: list[str]) -> tuple[float, int]:
    started = time.perf_counter()
    targets = resolve(parser().parse_args(argv))
    results = run_checks(targets, timeout=10.0, call_timeout=2.0)
    return time.perf_counter() - started, exit_code(results)


def _timed_cli(argv: list[str], env: dict[str, str]) -> tuple[float, int]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "checks", "--format", "json", *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    return time.perf_counter() - started, done.returncode


def run() -> dict[str, Any]:
    password = "bench-" + os.urandom(8).hex()
    with (
        redis_cluster(masters=3, replicas_per_master=1, password=password) as cluster,
        sentinel_group(password=password) as group,
        origin_server() as origin,
        nginx_cdn(CdnSettings(), origin.port) as cdn,
    ):
        with cluster.cluster_client() as client:
            client.set("product:1", "keyboard")
            for _ in range(200):
                client.get("product:1")
        argv = [
            "--redis-cluster",
            ",".join(f"{host}:{port}" for host, port in cluster.nodes),
            "--sentinel",
            ",".join(f"{host}:{port}" for host, port in group.sentinels),
            "--cdn",
            cdn.base_url,
            "--namespace",
            "technovastore",
        ]
        os.environ["REDIS_PASSWORD"] = password
        env = {**os.environ, "KUBECONFIG": "/nonexistent"}
        in_process = [_timed_in_process(argv) for _ in range(ROUNDS)]
        cli = [_timed_cli(argv, env) for _ in range(ROUNDS)]
        del os.environ["REDIS_PASSWORD"]
    seconds = [s for s, _ in in_process]
    cli_seconds = [s for s, _ in cli]
    return {
        "deployment": "6-node Redis Cluster, 3 data nodes + 3 Sentinels, NGINX CDN (3 samples)",
        "rounds": ROUNDS,
        "exit_codes": sorted({code for _, code in in_process + cli}),
        "checks_seconds_median": round(statistics.median(seconds), 3),
        "checks_seconds_max": round(max(seconds), 3),
        "cli_seconds_median": round(statistics.median(cli_seconds), 3),
        "cli_seconds_max": round(max(cli_seconds), 3),
        "goals": {
            "cli_seconds_max": goal(
                max(cli_seconds), f"<= {GOAL_SECONDS} s", max(cli_seconds) <= GOAL_SECONDS
            )
        },
    }
