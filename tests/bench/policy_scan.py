"""How long the policy pack takes: the HPA scale-up timing at extreme replica counts, and a scan.

Figures: seconds to time an HPA scale-up from 1 to 2**31 - 1 replicas for the slowest shapes
(one pod a step; the slower of one pod and 1 % a step; 1 % a step from 10**7), which a
step-by-step walk could not finish; and seconds for ``policies.scan`` over the peers' fixtures
(470 files, each file on its own as the fixture tests run them). Goal: every timing under 0.1 s.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from components.hpa_behavior import ScalingPolicy, worst_case_scale_up_seconds
from policies.scan import scan_paths
from tests.bench import goal

NAME = "policy_scan"
INT32_MAX = 2**31 - 1
TIMING_GOAL_SECONDS = 0.1
FIXTURES = Path(__file__).resolve().parents[1] / "policies" / "peers"
SHAPES: dict[str, tuple[int, list[ScalingPolicy], str]] = {
    "one_pod_a_step": (1, [("Pods", 1, 15)], "Max"),
    "slower_of_one_pod_and_one_percent": (1, [("Pods", 1, 15), ("Percent", 1, 15)], "Min"),
    "one_percent_a_step_from_1e7": (10**7, [("Percent", 1, 15)], "Max"),
}


def _timed(minimum: int, policies: list[ScalingPolicy], select: str) -> float:
    started = time.perf_counter()
    worst_case_scale_up_seconds(
        minimum, INT32_MAX, stabilization_window_seconds=0, policies=policies, select_policy=select
    )
    return time.perf_counter() - started


def run() -> dict[str, Any]:
    timings = {name: round(_timed(*shape), 5) for name, shape in SHAPES.items()}
    files = sorted(p for p in FIXTURES.rglob("*.yaml") if p.name not in ("SOURCE.yaml", "expectations.yaml"))
    started = time.perf_counter()
    for path in files:
        scan_paths([path])
    scan_seconds = time.perf_counter() - started
    return {
        "hpa_timing_seconds_to_int32_max": timings,
        "peer_fixture_files": len(files),
        "scan_seconds_all_fixtures": round(scan_seconds, 3),
        "goals": {
            f"hpa_timing_{name}": goal(seconds, f"< {TIMING_GOAL_SECONDS} s", seconds < TIMING_GOAL_SECONDS)
            for name, seconds in timings.items()
        },
    }
