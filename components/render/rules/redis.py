"""Alerts and recording rules for the two Redis stores: the cache cluster and the sessions group.

Metric names are redis_exporter's (oliver006/redis_exporter, the sidecar in every Redis pod,
and next to every Sentinel).
"""

from __future__ import annotations

from components.render.redis_layout import CLUSTER_SLOTS
from components.render.rules.model import Alert, MetricSources, Record, RuleGroup, Severity
from components.settings import Settings

HIT_RATIO_WINDOW = "15m"


HIT_RATIO_RECORD = f"technovastore:redis_keyspace_hit_ratio:ratio_rate{HIT_RATIO_WINDOW}"
LOOKUPS_RECORD = f"technovastore:redis_keyspace_lookups:increase{HIT_RATIO_WINDOW}"


def redis_rules(settings: Settings, sources: MetricSources) -> list[RuleGroup]:
    # Records first, in the group of the alert that reads them: rules of one group run in order,
    # groups run independently (an alert in another group could read a record's older value).
    return [
        RuleGroup("technovastore-redis-cluster", [*_records(sources), *_cluster_alerts(settings, sources)]),
        RuleGroup("technovastore-redis-sessions", _sessions_alerts(settings, sources)),
    ]


def _records(sources: MetricSources) -> list[Record | Alert]:
    by = sources.by("job")
    stores = f"~{sources.cache_job}|{sources.sessions_job}"
    hits = f"redis_keyspace_hits_total{sources.select(job=stores)}"
    misses = f"redis_keyspace_misses_total{sources.select(job=stores)}"
    window = HIT_RATIO_WINDOW
    # Summed over every node first (replicas serve reads too), then divided: never an average
    # of per-node ratios.
    return [
        Record(
            HIT_RATIO_RECORD,
            f"sum {by} (rate({hits}[{window}])) / "
            f"(sum {by} (rate({hits}[{window}])) + sum {by} (rate({misses}[{window}])))",
        ),
        Record(
            LOOKUPS_RECORD,
            f"sum {by} (increase({hits}[{window}])) + sum {by} (increase({misses}[{window}]))",
        ),
    ]


def _cluster_alerts(settings: Settings, sources: MetricSources) -> list[Record | Alert]:
    cache = sources.select(job=sources.cache_job)
    stores = sources.select(job=f"~{sources.cache_job}|{sources.sessions_job}|{sources.sentinel_job}")
    min_ratio = settings.checks.min_hit_ratio
    min_lookups = settings.checks.min_lookups
    ratio = f"{HIT_RATIO_RECORD}{cache}"
    lookups = f"{LOOKUPS_RECORD}{cache}"
    return [
        Alert(
            "RedisInstanceDown",
            f"redis_up{stores} == 0 or up{stores} == 0",
            "2m",
            "critical",
            "A Redis node or Sentinel ({{ $labels.instance }}) is down",
            "{{ $labels.job }} at {{ $labels.instance }} has not answered its exporter for 2 minutes.",
            "not answering",
            "instant",
        ),
        Alert(
            "RedisClusterStateNotOk",
            f"redis_cluster_state{cache} == 0",
            "1m",
            "critical",
            "The Redis Cluster reports cluster_state:fail on {{ $labels.instance }}",
            "CLUSTER INFO on {{ $labels.instance }} says the cluster is failed: clients get CLUSTERDOWN.",
            "cluster_state fail",
            "instant",
        ),
        Alert(
            "RedisClusterSlotsNotOk",
            f"redis_cluster_slots_ok{cache} < {CLUSTER_SLOTS} "
            f"or redis_cluster_slots_assigned{cache} < {CLUSTER_SLOTS}",
            "2m",
            "critical",
            "Not every hash slot is served on {{ $labels.instance }}",
            f"{{{{ $labels.instance }}}} sees {{{{ $value }}}} of {CLUSTER_SLOTS} slots assigned and ok: "
            "keys in the missing slots cannot be read or written.",
            f"< {CLUSTER_SLOTS} slots ok",
            "instant",
        ),
        Alert(
            "RedisClusterMasterWithoutReplica",
            f"redis_connected_slaves{cache} == 0 and on (instance) "
            f"redis_instance_info{sources.select(job=sources.cache_job, role='master')} == 1",
            "5m",
            "warning",
            "Redis Cluster master {{ $labels.instance }} has no replica",
            "A master without a replica loses its shard's data if it fails, and cannot fail over.",
            "0 replicas",
            "instant",
        ),
        Alert(
            "RedisReplicaLinkDown",
            f"redis_master_link_up{sources.select(job=f'~{sources.cache_job}|{sources.sessions_job}')} == 0",
            "1m",
            "critical",
            "Replica {{ $labels.instance }} has lost its link to its master "
            "{{ $labels.master_host }}:{{ $labels.master_port }}",
            "A replica whose link stays down falls out of date and will refuse to fail over "
            "(cluster-replica-validity-factor): its master is one failure away from data loss.",
            "master_link_status down",
            "instant",
        ),
        Alert(
            "RedisCacheHitRatioLow",
            f"{ratio} < {min_ratio} and {lookups} >= {min_lookups}",
            "15m",
            "warning",
            "The cache's keyspace hit ratio is {{ $value | humanizePercentage }}",
            f"Below checks.minHitRatio ({min_ratio}) over {HIT_RATIO_WINDOW} with at least "
            f"checks.minLookups ({min_lookups}) lookups: the database takes the misses.",
            f"< {min_ratio} (>= {min_lookups} lookups)",
            HIT_RATIO_WINDOW,
        ),
        _memory_alert(
            "RedisCacheMemoryNearMax", sources.cache_job, settings, sources, "warning", "evicts keys early"
        ),
        Alert(
            "RedisCacheEvictionsHigh",
            f"sum {sources.by()} (rate(redis_evicted_keys_total{cache}[10m])) > "
            f"{settings.monitoring.redis_max_evictions_per_second}",
            "15m",
            "warning",
            "The cache evicts {{ $value | humanize }} keys/s",
            "The working set does not fit in maxmemory: raise redis.cluster.maxmemoryMb (and the "
            "memory limit) or add masters.",
            f"> {settings.monitoring.redis_max_evictions_per_second}/s",
            "10m",
        ),
    ]


def _sessions_alerts(settings: Settings, sources: MetricSources) -> list[Record | Alert]:
    sentinel = sources.select(job=sources.sentinel_job)
    sessions = sources.select(job=sources.sessions_job)
    primaries = sources.select(job=sources.sessions_job, role="master")
    oom = f"redis_errors_total{sources.select(job=sources.sessions_job, err='OOM')}"
    return [
        Alert(
            "RedisSentinelQuorumLost",
            f"redis_sentinel_master_ckquorum_status{sentinel} == 0",
            "1m",
            "critical",
            "Sentinel {{ $labels.instance }} cannot reach quorum for {{ $labels.master_name }}",
            "SENTINEL CKQUORUM fails: if the primary dies now, no failover happens and sessions "
            "are lost until a person intervenes.",
            "CKQUORUM fails",
            "instant",
        ),
        Alert(
            "RedisSentinelsDisagree",
            f"count {sources.by('master_name')} (count {sources.by('master_name', 'master_address')} "
            f"(redis_sentinel_master_status{sentinel})) > 1",
            "2m",
            "critical",
            "Sentinels name {{ $value }} different primaries for {{ $labels.master_name }}",
            "The Sentinels do not agree on the primary: clients may write to two primaries (split brain).",
            "> 1 primary named",
            "instant",
        ),
        _memory_alert(
            "RedisSessionStoreNearFull",
            sources.sessions_job,
            settings,
            sources,
            "critical",
            "refuses new sessions",
        ),
        Alert(
            "RedisSessionWritesRefused",
            # Redis creates the errorstat counter at its first error: a series born within the
            # window counts as well as one that grew. Born means never seen in the day before the
            # window, not merely absent 5 minutes ago: after a scrape gap (Prometheus restarted,
            # the exporter unreachable) an old counter comes back unchanged.
            f"sum {sources.by()} (increase({oom}[5m])) > 0 "
            f"or sum {sources.by()} ({oom} unless present_over_time({oom}[1d] offset 5m)) > 0",
            "0m",
            "critical",
            "The session store refused {{ $value | humanize }} writes (OOM)",
            "The sessions store is full (noeviction): visitors cannot sign in or keep their session.",
            "any OOM reply",
            "5m",
        ),
        Alert(
            "RedisSessionPrimaryMissing",
            # count() of nothing is nothing, not 0: "some node up, unless some node is primary".
            f"count {sources.by()} (redis_up{sessions} == 1) > 0 unless "
            f"count {sources.by()} (redis_instance_info{primaries}) > 0",
            "1m",
            "critical",
            "No session data node is a primary",
            "Every reachable session data node is a replica: writes fail until Sentinel promotes one.",
            "0 primaries",
            "instant",
        ),
    ]


def _memory_alert(
    name: str, job: str, settings: Settings, sources: MetricSources, severity: Severity, consequence: str
) -> Alert:
    ratio = settings.monitoring.redis_max_memory_ratio
    selector = sources.select(job=job)
    return Alert(
        name,
        f"redis_memory_used_bytes{selector} / (redis_memory_max_bytes{selector} > 0) > {ratio}",
        "10m",
        severity,
        "{{ $labels.instance }} uses {{ $value | humanizePercentage }} of maxmemory",
        f"Above {ratio:.0%} of maxmemory the node {consequence}.",
        f"> {ratio:.0%} of maxmemory",
        "instant",
    )
