"""For every alert: series that must fire it and series that must not (promtool's notation).

Series are scoped like the production stack's (``namespace="technovastore"``) and named like
the PodMonitors name their jobs. ``values`` use promtool's expanding notation: ``0+10x30`` is
31 samples one minute apart rising by 10 (a counter), ``1x5 0x25`` is up then down.
"""

from __future__ import annotations

from dataclasses import dataclass

NS = 'namespace="technovastore"'
CLUSTER = f'{NS},job="redis-cluster"'
SESSIONS = f'{NS},job="redis-sessions"'
SENTINEL = f'{NS},job="redis-sessions-sentinel"'
CDN = f'{NS},job="cdn",instance="10.0.0.9:3903"'
KSM = f'{NS},job="kube-state-metrics"'

Series = list[tuple[str, str]]


@dataclass(frozen=True)
class AlertCase:
    alert: str
    firing: Series
    labels: dict[str, str]
    quiet: list[Series]
    eval_time: str = "30m"
    # Sample spacing of the series and promtool's evaluation interval: day-long windows are
    # tested at 10 minutes, or promtool evaluates every rule 1,440 times a simulated day.
    interval: str = "1m"


def _requests(status: str, cache: str, values: str) -> tuple[str, str]:
    return (f'cdn_requests_total{{{CDN},status="{status}",cache_status="{cache}"}}', values)


def _memory(job: str, used: str, limit: str) -> Series:
    node = f'{job},instance="10.0.0.1:9121"'
    return [(f"redis_memory_used_bytes{{{node}}}", used), (f"redis_memory_max_bytes{{{node}}}", limit)]


_NODE = {"namespace": "technovastore", "job": "redis-cluster", "instance": "10.0.0.1:9121"}
_SCOPE = {"namespace": "technovastore"}

CASES: list[AlertCase] = [
    AlertCase(
        "RedisInstanceDown",
        [(f'redis_up{{{CLUSTER},instance="10.0.0.1:9121"}}', "1x5 0x25")],
        _NODE,
        [[(f'redis_up{{{CLUSTER},instance="10.0.0.1:9121"}}', "1x30")]],
    ),
    AlertCase(
        "RedisClusterStateNotOk",
        [(f'redis_cluster_state{{{CLUSTER},instance="10.0.0.1:9121"}}', "1x5 0x25")],
        _NODE,
        [[(f'redis_cluster_state{{{CLUSTER},instance="10.0.0.1:9121"}}', "1x30")]],
    ),
    AlertCase(
        "RedisClusterSlotsNotOk",
        [
            (f'redis_cluster_slots_ok{{{CLUSTER},instance="10.0.0.1:9121"}}', "16384x5 16000x25"),
            (f'redis_cluster_slots_assigned{{{CLUSTER},instance="10.0.0.1:9121"}}', "16384x30"),
        ],
        _NODE,
        [
            [
                (f'redis_cluster_slots_ok{{{CLUSTER},instance="10.0.0.1:9121"}}', "16384x30"),
                (f'redis_cluster_slots_assigned{{{CLUSTER},instance="10.0.0.1:9121"}}', "16384x30"),
            ]
        ],
    ),
    AlertCase(
        "RedisClusterMasterWithoutReplica",
        [
            (f'redis_connected_slaves{{{CLUSTER},instance="10.0.0.1:9121"}}', "1x5 0x25"),
            (f'redis_instance_info{{{CLUSTER},instance="10.0.0.1:9121",role="master"}}', "1x30"),
        ],
        _NODE,
        [
            [
                (f'redis_connected_slaves{{{CLUSTER},instance="10.0.0.1:9121"}}', "1x30"),
                (f'redis_instance_info{{{CLUSTER},instance="10.0.0.1:9121",role="master"}}', "1x30"),
            ],
            # A replica has no replicas of its own: that is not a finding.
            [
                (f'redis_connected_slaves{{{CLUSTER},instance="10.0.0.1:9121"}}', "0x30"),
                (f'redis_instance_info{{{CLUSTER},instance="10.0.0.1:9121",role="slave"}}', "1x30"),
            ],
        ],
    ),
    AlertCase(
        "RedisReplicaLinkDown",
        [
            (
                f'redis_master_link_up{{{SESSIONS},instance="10.0.0.2:9121",master_host="a",master_port="6379"}}',
                "1x5 0x25",
            )
        ],
        {
            "namespace": "technovastore",
            "job": "redis-sessions",
            "instance": "10.0.0.2:9121",
            "master_host": "a",
            "master_port": "6379",
        },
        [
            [
                (
                    f'redis_master_link_up{{{SESSIONS},instance="10.0.0.2:9121",master_host="a",master_port="6379"}}',
                    "1x30",
                )
            ]
        ],
    ),
    AlertCase(
        "RedisCacheHitRatioLow",
        [
            (f'redis_keyspace_hits_total{{{CLUSTER},instance="10.0.0.1:9121"}}', "0+50x45"),
            (f'redis_keyspace_misses_total{{{CLUSTER},instance="10.0.0.1:9121"}}', "0+50x45"),
        ],
        {"namespace": "technovastore", "job": "redis-cluster"},
        [
            # The same ratio on too little traffic is no verdict (checks.minLookups).
            [
                (f'redis_keyspace_hits_total{{{CLUSTER},instance="10.0.0.1:9121"}}', "0+2x45"),
                (f'redis_keyspace_misses_total{{{CLUSTER},instance="10.0.0.1:9121"}}', "0+2x45"),
            ],
            # Hits counted on replicas count too: 90 % over both nodes.
            [
                (f'redis_keyspace_hits_total{{{CLUSTER},instance="10.0.0.1:9121"}}', "0+40x45"),
                (f'redis_keyspace_hits_total{{{CLUSTER},instance="10.0.0.4:9121"}}', "0+50x45"),
                (f'redis_keyspace_misses_total{{{CLUSTER},instance="10.0.0.1:9121"}}', "0+10x45"),
            ],
        ],
        eval_time="40m",
    ),
    AlertCase(
        "RedisCacheMemoryNearMax",
        _memory(CLUSTER, "950x30", "1000x30"),
        _NODE,
        [_memory(CLUSTER, "800x30", "1000x30"), _memory(CLUSTER, "950x30", "0x30")],
    ),
    AlertCase(
        "RedisCacheEvictionsHigh",
        [(f'redis_evicted_keys_total{{{CLUSTER},instance="10.0.0.1:9121"}}', "0+1200x40")],
        _SCOPE,
        [[(f'redis_evicted_keys_total{{{CLUSTER},instance="10.0.0.1:9121"}}', "0+60x40")]],
        eval_time="35m",
    ),
    AlertCase(
        "RedisSentinelQuorumLost",
        [
            (
                f'redis_sentinel_master_ckquorum_status{{{SENTINEL},instance="s0",master_name="sessions",message="NOQUORUM"}}',
                "1x5 0x25",
            )
        ],
        {
            "namespace": "technovastore",
            "job": "redis-sessions-sentinel",
            "instance": "s0",
            "master_name": "sessions",
            "message": "NOQUORUM",
        },
        [
            [
                (
                    f'redis_sentinel_master_ckquorum_status{{{SENTINEL},instance="s0",master_name="sessions",message="OK"}}',
                    "1x30",
                )
            ]
        ],
    ),
    AlertCase(
        "RedisSentinelsDisagree",
        [
            (
                f'redis_sentinel_master_status{{{SENTINEL},instance="s0",master_name="sessions",master_address="a:6379",master_status="ok"}}',
                "1x30",
            ),
            (
                f'redis_sentinel_master_status{{{SENTINEL},instance="s1",master_name="sessions",master_address="b:6379",master_status="ok"}}',
                "1x30",
            ),
        ],
        {"namespace": "technovastore", "master_name": "sessions"},
        [
            [
                (
                    f'redis_sentinel_master_status{{{SENTINEL},instance="s0",master_name="sessions",master_address="a:6379",master_status="ok"}}',
                    "1x30",
                ),
                (
                    f'redis_sentinel_master_status{{{SENTINEL},instance="s1",master_name="sessions",master_address="a:6379",master_status="ok"}}',
                    "1x30",
                ),
            ]
        ],
    ),
    AlertCase(
        "RedisSessionStoreNearFull",
        _memory(SESSIONS, "950x30", "1000x30"),
        {**_NODE, "job": "redis-sessions"},
        [_memory(SESSIONS, "100x30", "1000x30")],
    ),
    AlertCase(
        "RedisSessionWritesRefused",
        [(f'redis_errors_total{{{SESSIONS},instance="10.0.0.2:9121",err="OOM"}}', "0x10 5+5x20")],
        _SCOPE,
        [[(f'redis_errors_total{{{SESSIONS},instance="10.0.0.2:9121",err="WRONGTYPE"}}', "0+5x30")]],
    ),
    AlertCase(
        "RedisSessionWritesRefused",
        # Redis creates the counter at the first refused write: born at 5, never seen growing.
        [(f'redis_errors_total{{{SESSIONS},instance="10.0.0.2:9121",err="OOM"}}', "_x10 5x20")],
        _SCOPE,
        [[(f'redis_errors_total{{{SESSIONS},instance="10.0.0.2:9121",err="OOM"}}', "5x30")]],
        eval_time="12m",
    ),
    AlertCase(
        "RedisSessionWritesRefused",
        [(f'redis_errors_total{{{SESSIONS},instance="10.0.0.2:9121",err="OOM"}}', "_x16 5x10")],
        _SCOPE,
        # Refusals from long ago, then a scrape gap of over 5 minutes (Prometheus restarted or
        # upgraded, the exporter unreachable) while Redis kept running: the counter comes back
        # unchanged, which is not a counter being born.
        [[(f'redis_errors_total{{{SESSIONS},instance="10.0.0.2:9121",err="OOM"}}', "5x5 _x10 5x10")]],
        eval_time="17m",
    ),
    AlertCase(
        "RedisSessionPrimaryMissing",
        [
            (f'redis_up{{{SESSIONS},instance="10.0.0.2:9121"}}', "1x30"),
            (f'redis_instance_info{{{SESSIONS},instance="10.0.0.2:9121",role="slave"}}', "1x30"),
        ],
        _SCOPE,
        [
            [
                (f'redis_up{{{SESSIONS},instance="10.0.0.2:9121"}}', "1x30"),
                (f'redis_instance_info{{{SESSIONS},instance="10.0.0.2:9121",role="slave"}}', "1x30"),
                (f'redis_up{{{SESSIONS},instance="10.0.0.3:9121"}}', "1x30"),
                (f'redis_instance_info{{{SESSIONS},instance="10.0.0.3:9121",role="master"}}', "1x30"),
            ]
        ],
    ),
    AlertCase(
        "CdnDown",
        [(f"nginx_up{{{CDN}}}", "1x5 0x25")],
        {"namespace": "technovastore", "job": "cdn", "instance": "10.0.0.9:3903"},
        [[(f"nginx_up{{{CDN}}}", "1x30")]],
    ),
    AlertCase(
        "CdnErrorRatioHigh",
        [_requests("200", "HIT", "0+600x30"), _requests("502", "MISS", "0+60x30")],
        _SCOPE,
        [
            [_requests("200", "HIT", "0+600x30"), _requests("502", "MISS", "0+1x30")],
            # Half the answers fail, but on 10 requests in 5 minutes: no verdict.
            [_requests("200", "HIT", "0+1x30"), _requests("502", "MISS", "0+1x30")],
        ],
    ),
    AlertCase(
        "CdnHitRatioLow",
        [_requests("200", "HIT", "0+100x40"), _requests("200", "MISS", "0+100x40")],
        _SCOPE,
        [
            [
                _requests("200", "HIT", "0+900x40"),
                _requests("200", "MISS", "0+100x40"),
                # Answers that never touch the cache (health checks, 405s) do not dilute the ratio.
                _requests("200", "NONE", "0+5000x40"),
            ]
        ],
        eval_time="40m",
    ),
    AlertCase(
        "CdnRateLimitedShareHigh",
        [_requests("200", "HIT", "0+600x30"), _requests("429", "NONE", "0+100x30")],
        _SCOPE,
        [[_requests("200", "HIT", "0+600x30"), _requests("429", "NONE", "0+6x30")]],
    ),
    AlertCase(
        "CdnOriginErrors",
        [
            (f"cdn_upstream_errors_total{{{CDN}}}", "0+30x30"),
            (f"cdn_upstream_duration_seconds_count{{{CDN}}}", "0+100x30"),
        ],
        _SCOPE,
        [
            [
                (f"cdn_upstream_errors_total{{{CDN}}}", "0x30"),
                (f"cdn_upstream_duration_seconds_count{{{CDN}}}", "0+100x30"),
            ],
            # Every origin request failing, but only 10 in 5 minutes: no verdict.
            [
                (f"cdn_upstream_errors_total{{{CDN}}}", "0+2x30"),
                (f"cdn_upstream_duration_seconds_count{{{CDN}}}", "0+2x30"),
            ],
        ],
    ),
    AlertCase(
        "CdnOriginSlow",
        [
            (f'cdn_upstream_duration_seconds_bucket{{{CDN},le="1"}}', "0x30"),
            (f'cdn_upstream_duration_seconds_bucket{{{CDN},le="2.5"}}', "0+100x30"),
            (f'cdn_upstream_duration_seconds_bucket{{{CDN},le="+Inf"}}', "0+100x30"),
            (f"cdn_upstream_duration_seconds_count{{{CDN}}}", "0+100x30"),
        ],
        _SCOPE,
        [
            [
                (f'cdn_upstream_duration_seconds_bucket{{{CDN},le="1"}}', "0+100x30"),
                (f'cdn_upstream_duration_seconds_bucket{{{CDN},le="2.5"}}', "0+100x30"),
                (f'cdn_upstream_duration_seconds_bucket{{{CDN},le="+Inf"}}', "0+100x30"),
                (f"cdn_upstream_duration_seconds_count{{{CDN}}}", "0+100x30"),
            ],
            # Slow, but 10 origin requests in 5 minutes: no verdict.
            [
                (f'cdn_upstream_duration_seconds_bucket{{{CDN},le="1"}}', "0x30"),
                (f'cdn_upstream_duration_seconds_bucket{{{CDN},le="2.5"}}', "0+2x30"),
                (f'cdn_upstream_duration_seconds_bucket{{{CDN},le="+Inf"}}', "0+2x30"),
                (f"cdn_upstream_duration_seconds_count{{{CDN}}}", "0+2x30"),
            ],
        ],
    ),
    AlertCase(
        "CdnErrorBudgetBurnFast",
        [_requests("200", "HIT", "0+900x80"), _requests("500", "MISS", "0+100x80")],
        _SCOPE,
        [[_requests("200", "HIT", "0+999x80"), _requests("500", "MISS", "0+1x80")]],
        eval_time="75m",
    ),
    AlertCase(
        "CdnErrorBudgetBurnSlow",
        # 0.5 % errors for a day: 5x the budget's rate, below both paging burn rates.
        [_requests("200", "HIT", "0+9950x150"), _requests("500", "MISS", "0+50x150")],
        _SCOPE,
        [[_requests("200", "HIT", "0+199950x150"), _requests("500", "MISS", "0+50x150")]],
        eval_time="1470m",
        interval="10m",
    ),
    AlertCase(
        "ServiceAtMaxReplicas",
        [
            (
                f'kube_horizontalpodautoscaler_status_current_replicas{{{KSM},horizontalpodautoscaler="api-gateway"}}',
                "10x30",
            ),
            (
                f'kube_horizontalpodautoscaler_spec_max_replicas{{{KSM},horizontalpodautoscaler="api-gateway"}}',
                "10x30",
            ),
        ],
        {"namespace": "technovastore", "job": "kube-state-metrics", "horizontalpodautoscaler": "api-gateway"},
        [
            [
                (
                    f'kube_horizontalpodautoscaler_status_current_replicas{{{KSM},horizontalpodautoscaler="api-gateway"}}',
                    "5x30",
                ),
                (
                    f'kube_horizontalpodautoscaler_spec_max_replicas{{{KSM},horizontalpodautoscaler="api-gateway"}}',
                    "10x30",
                ),
            ]
        ],
    ),
    AlertCase(
        "ScalingFlapping",
        [
            (
                f'kube_horizontalpodautoscaler_status_desired_replicas{{{KSM},horizontalpodautoscaler="frontend"}}',
                "2 4 " * 15 + "2",
            )
        ],
        {"namespace": "technovastore", "job": "kube-state-metrics", "horizontalpodautoscaler": "frontend"},
        [
            [
                (
                    f'kube_horizontalpodautoscaler_status_desired_replicas{{{KSM},horizontalpodautoscaler="frontend"}}',
                    "2x10 4x10 6x10",
                )
            ]
        ],
    ),
    AlertCase(
        "ScalingInactive",
        [
            (
                f'kube_horizontalpodautoscaler_status_condition{{{KSM},horizontalpodautoscaler="frontend",condition="ScalingActive",status="false"}}',
                "0x5 1x25",
            )
        ],
        {
            "namespace": "technovastore",
            "job": "kube-state-metrics",
            "horizontalpodautoscaler": "frontend",
            "condition": "ScalingActive",
            "status": "false",
        },
        [
            [
                (
                    f'kube_horizontalpodautoscaler_status_condition{{{KSM},horizontalpodautoscaler="frontend",condition="ScalingActive",status="false"}}',
                    "0x30",
                )
            ]
        ],
    ),
    AlertCase(
        "PodCrashLooping",
        [
            (
                f'kube_pod_container_status_waiting_reason{{{KSM},pod="frontend-1",container="app",reason="CrashLoopBackOff"}}',
                "1x30",
            )
        ],
        {
            "namespace": "technovastore",
            "job": "kube-state-metrics",
            "pod": "frontend-1",
            "container": "app",
            "reason": "CrashLoopBackOff",
        },
        [
            [
                (
                    f'kube_pod_container_status_waiting_reason{{{KSM},pod="frontend-1",container="app",reason="ContainerCreating"}}',
                    "1x30",
                )
            ]
        ],
    ),
    AlertCase(
        "PodRestartingOften",
        [(f'kube_pod_container_status_restarts_total{{{KSM},pod="frontend-1",container="app"}}', "0+1x70")],
        {"namespace": "technovastore", "job": "kube-state-metrics", "pod": "frontend-1", "container": "app"},
        [[(f'kube_pod_container_status_restarts_total{{{KSM},pod="frontend-1",container="app"}}', "0x70")]],
        eval_time="65m",
    ),
]
