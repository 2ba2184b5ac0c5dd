"""The alert cases of a Swarm stack: Redis, CDN and SLO alerts as on Kubernetes, the rest its own.

Scaling alerts read the Swarm autoscaler's series (labelled with the Swarm ``service``),
restarts read the uptime of what Prometheus scrapes by a stable name, and CdnDown reads the
metrics reader's ``up`` (a Swarm task has no stub_status sidecar).
"""

from __future__ import annotations

from tests.monitoring.alert_cases import CASES, NS, AlertCase

# The alerts whose series differ on Swarm (their Kubernetes cases read kube-state-metrics or
# the nginx exporter).
KUBERNETES_ONLY = {
    "CdnDown",
    "ServiceAtMaxReplicas",
    "ScalingFlapping",
    "ScalingInactive",
    "PodCrashLooping",
    "PodRestartingOften",
}
AUTOSCALER = f'{NS},job="autoscaler",instance="technovastore-autoscaler:9464"'
SERVICE = f'{AUTOSCALER},service="technovastore-frontend"'
_SERVICE_LABELS = {
    "namespace": "technovastore",
    "job": "autoscaler",
    "instance": "technovastore-autoscaler:9464",
    "service": "technovastore-frontend",
}
_AUTOSCALER_LABELS = {k: v for k, v in _SERVICE_LABELS.items() if k != "service"}
_MEMBER = f'{NS},job="redis-cluster",instance="technovastore-redis-cluster-0:6379"'
_READER = f'{NS},job="cdn",instance="technovastore-cdn-metrics:3903"'


def _replicas(current: str, maximum: str) -> list[tuple[str, str]]:
    return [
        (f"technovastore_autoscaler_current_replicas{{{SERVICE}}}", current),
        (f"technovastore_autoscaler_max_replicas{{{SERVICE}}}", maximum),
    ]


SWARM_CASES: list[AlertCase] = [
    *(case for case in CASES if case.alert not in KUBERNETES_ONLY),
    AlertCase(
        "CdnDown",
        [(f"up{{{_READER}}}", "1x5 0x25")],
        {"namespace": "technovastore", "job": "cdn", "instance": "technovastore-cdn-metrics:3903"},
        [[(f"up{{{_READER}}}", "1x30")]],
    ),
    AlertCase(
        "ServiceAtMaxReplicas",
        _replicas("6x30", "6x30"),
        _SERVICE_LABELS,
        [_replicas("4x30", "6x30"), _replicas("6x5 4x25", "6x30")],
    ),
    AlertCase(
        "ScalingFlapping",
        [(f"technovastore_autoscaler_desired_replicas{{{SERVICE}}}", "2 4 " * 15 + "2")],
        _SERVICE_LABELS,
        # Scaling up step by step under a rising load is not flapping.
        [[(f"technovastore_autoscaler_desired_replicas{{{SERVICE}}}", "2x10 4x10 6x10")]],
    ),
    AlertCase(
        "ScalingInactive",
        [(f"technovastore_autoscaler_scaling_active{{{SERVICE}}}", "1x5 0x25")],
        _SERVICE_LABELS,
        [[(f"technovastore_autoscaler_scaling_active{{{SERVICE}}}", "1x30")]],
    ),
    AlertCase(
        "AutoscalerDown",
        # Its last full cycle at minute 0 (the timestamp stays while cycles fail).
        [
            (f"up{{{AUTOSCALER}}}", "1x30"),
            (f"technovastore_autoscaler_last_successful_cycle_timestamp_seconds{{{AUTOSCALER}}}", "0x30"),
        ],
        _AUTOSCALER_LABELS,
        [
            # A cycle finishes every minute.
            [
                (f"up{{{AUTOSCALER}}}", "1x30"),
                (
                    f"technovastore_autoscaler_last_successful_cycle_timestamp_seconds{{{AUTOSCALER}}}",
                    "0+60x30",
                ),
            ]
        ],
        eval_time="20m",
    ),
    AlertCase(
        "TaskRestartingOften",
        # Up for 10 minutes, then restarted every 10 minutes: 5 restarts within the hour.
        [(f"redis_uptime_in_seconds{{{_MEMBER}}}", "0+60x10 " + "0+60x9 " * 5)],
        {
            "namespace": "technovastore",
            "job": "redis-cluster",
            "instance": "technovastore-redis-cluster-0:6379",
        },
        [
            # A member that has run for an hour and more.
            [(f"redis_uptime_in_seconds{{{_MEMBER}}}", "3600+60x70")],
            # Two restarts in the hour: not often.
            [(f"redis_uptime_in_seconds{{{_MEMBER}}}", "0+60x20 0+60x20 0+60x30")],
        ],
        eval_time="65m",
    ),
    AlertCase(
        "TaskRestartingOften",
        [(f"process_start_time_seconds{{{_READER}}}", "100x10 700x10 1300x10 1900x10 2500x30")],
        {"namespace": "technovastore", "job": "cdn", "instance": "technovastore-cdn-metrics:3903"},
        [[(f"process_start_time_seconds{{{_READER}}}", "100x70")]],
        eval_time="65m",
    ),
]
