"""The CDN tier side by side with its origin: same origin, same load, one run.

The origin answers every request after a fixed 20 ms service time. wrk sends a
Zipf-distributed mix over 10,000 static URLs, first straight to the origin, then through
NGINX running the rendered CDN config; each phase after a warm-up with the same load.
The hit ratio comes from NGINX's JSON access log of the measured phase only.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from components.settings.cdn import CdnSettings
from tests.support.nginx_server import nginx_cdn
from tests.support.ports import free_port, wait_for_port

NAME = "cdn"
SERVICE_TIME_S = 0.020
URLS = 10_000
ZIPF_S = 1.0
CONNECTIONS = 64
THREADS = 2
# The origin has nothing to warm; the CDN's warm-up fills the cache with the same Zipf mix
# (about 100,000 requests leave ~2 % of the request mass on URLs never seen before).
ORIGIN_WARMUP_S = 3
CDN_WARMUP_S = 20
DURATION_S = 15
# Two origin processes share the port: the direct run measures the origin's 20 ms, not
# one Python process's CPU.
ORIGIN_PROCESSES = 2
SCRIPT = Path(__file__).with_name("zipf.lua")
GOALS = {"throughput_ratio_min": 5.0, "p50_reduction_min": 0.80, "hit_ratio_min": 0.97}
OFFLOAD_STATUSES = {"HIT", "STALE", "UPDATING", "REVALIDATED"}


def bench_settings() -> CdnSettings:
    """The stack defaults, with the per-client limits lifted: wrk is one client at 64 connections."""
    return CdnSettings.model_validate(
        {"rateLimit": {"requestsPerSecond": 1_000_000, "burst": 1_000_000, "connectionsPerClient": 60_000}}
    )


@contextmanager
def origin_processes(latency: float, count: int) -> Iterator[int]:
    """``count`` origin processes on one port (SO_REUSEPORT); yields the port."""
    port = free_port()
    command = [sys.executable, "-m", "tests.support.origin", str(port), str(latency)]
    processes = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True) for _ in range(count)]
    try:
        for process in processes:
            if process.stdout is None or process.stdout.readline().strip() != "ready":
                raise RuntimeError("an origin process did not start")
        wait_for_port(port)
        yield port
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wrk(port: int, seconds: int) -> dict[str, Any]:
    """One wrk run with the Zipf script; its summary (the script prints JSON last)."""
    binary = shutil.which("wrk")
    if binary is None:
        raise FileNotFoundError("wrk is not installed (Debian package 'wrk')")
    env = {**os.environ, "BENCH_URLS": str(URLS), "BENCH_ZIPF_S": str(ZIPF_S)}
    command = [
        binary,
        f"-t{THREADS}",
        f"-c{CONNECTIONS}",
        f"-d{seconds}s",
        "--timeout",
        "5s",
        "-s",
        str(SCRIPT),
    ]
    result = subprocess.run(
        [*command, f"http://127.0.0.1:{port}"],
        capture_output=True,
        text=True,
        env=env,
        timeout=seconds + 60,
        check=True,
    )
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    summary["requests_per_second"] = summary["requests"] / (summary["duration_us"] / 1e6)
    summary["errors"] = sum(v for k, v in summary.items() if k.startswith("errors_"))
    return summary


def cache_statuses(log: Path, offset: int) -> Counter[str]:
    counts: Counter[str] = Counter()
    with log.open() as lines:
        lines.seek(offset)
        for line in lines:
            counts[json.loads(line)["cache_status"] or "NONE"] += 1
    return counts


def _phase(summary: dict[str, Any]) -> dict[str, Any]:
    return {
        "requests": summary["requests"],
        "requests_per_second": round(summary["requests_per_second"], 1),
        "p50_ms": summary["p50_us"] / 1000,
        "p90_ms": summary["p90_us"] / 1000,
        "p99_ms": summary["p99_us"] / 1000,
        "errors": summary["errors"],
    }


def figures(direct: dict[str, Any], through: dict[str, Any], statuses: Counter[str]) -> dict[str, Any]:
    cached = sum(n for status, n in statuses.items() if status != "NONE")
    hit_ratio = statuses["HIT"] / cached if cached else 0.0
    offload = sum(statuses[s] for s in OFFLOAD_STATUSES) / cached if cached else 0.0
    throughput_ratio = through["requests_per_second"] / direct["requests_per_second"]
    p50_ratio = through["p50_us"] / direct["p50_us"]
    ceiling = CONNECTIONS / SERVICE_TIME_S
    return {
        "workload": {
            "urls": URLS,
            "zipf_s": ZIPF_S,
            "connections": CONNECTIONS,
            "threads": THREADS,
            "origin_warmup_s": ORIGIN_WARMUP_S,
            "cdn_warmup_s": CDN_WARMUP_S,
            "duration_s": DURATION_S,
            "origin_service_time_ms": SERVICE_TIME_S * 1000,
            "origin_processes": ORIGIN_PROCESSES,
            "cpus": os.cpu_count(),
        },
        "direct": _phase(direct),
        "through_cdn": _phase(through),
        # The direct run's share of what 64 connections at 20 ms each allow: near 1 means
        # the origin's service time, not its CPU, limited the direct run.
        "direct_origin_efficiency": round(direct["requests_per_second"] / ceiling, 3),
        "throughput_ratio": round(throughput_ratio, 2),
        "p50_ratio": round(p50_ratio, 4),
        "p50_reduction": round(1 - p50_ratio, 4),
        "p99_ratio": round(through["p99_us"] / direct["p99_us"], 4),
        "hit_ratio": round(hit_ratio, 4),
        "offload_ratio": round(offload, 4),
        "cache_statuses": dict(statuses),
        "goals": {
            **GOALS,
            "met": {
                "throughput": throughput_ratio >= GOALS["throughput_ratio_min"],
                "p50": 1 - p50_ratio >= GOALS["p50_reduction_min"],
                "hit_ratio": hit_ratio >= GOALS["hit_ratio_min"],
            },
        },
    }


def log(message: str) -> None:
    print(f"  {time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def run() -> dict[str, Any]:
    with origin_processes(SERVICE_TIME_S, ORIGIN_PROCESSES) as origin_port:
        log(f"origin: warm-up {ORIGIN_WARMUP_S} s, then {DURATION_S} s measured")
        wrk(origin_port, ORIGIN_WARMUP_S)
        direct = wrk(origin_port, DURATION_S)
        # The pod's config (buffered access log), only paths, ports and limits differ.
        with nginx_cdn(
            bench_settings(), origin_port, worker_processes="auto", access_log_buffer="64k"
        ) as cdn:
            log(f"through the CDN: warm-up {CDN_WARMUP_S} s, then {DURATION_S} s measured")
            wrk(cdn.port, CDN_WARMUP_S)
            time.sleep(1.5)  # the buffered log flushes within a second
            offset = cdn.access_log.stat().st_size
            through = wrk(cdn.port, DURATION_S)
            time.sleep(1.5)
            statuses = cache_statuses(cdn.access_log, offset)
            log("stopping")
    return figures(direct, through, statuses)
