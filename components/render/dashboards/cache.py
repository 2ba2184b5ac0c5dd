"""Cache: hit ratio per store against the 85-95 % band, operations, memory, keys per node."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard

from components.render.dashboards.panels import Query, graph, new_dashboard
from components.render.rules import MetricSources
from components.render.rules.redis import HIT_RATIO_RECORD
from components.settings import Settings

# The seed's band: below 85 % the database takes too many misses; above 95 % the cache may be
# holding more than it needs (or TTLs are too long for fresh prices).
HIT_RATIO_BAND_HIGH = 0.95


def cache_dashboard(settings: Settings, sources: MetricSources) -> dashboard.Dashboard:
    stores = sources.select(job=f"~{sources.cache_job}|{sources.sessions_job}")
    cache = sources.select(job=sources.cache_job)
    minimum = settings.checks.min_hit_ratio
    return (
        new_dashboard(
            "technovastore-cache",
            "TechNovaStore: cache",
            "The Redis Cluster (cache) and the session store",
            ["redis"],
        )
        .with_row(dashboard.Row("Hit ratio"))
        .with_panel(
            graph(
                "Keyspace hit ratio per store",
                [Query(f"{HIT_RATIO_RECORD}{stores}", "{{job}}")],
                unit="percentunit",
                span=24,
                description=(
                    "Summed over every node, then divided; "
                    f"the band is {minimum:.0%} to {HIT_RATIO_BAND_HIGH:.0%}."
                ),
                thresholds=[(None, "red"), (minimum, "green"), (HIT_RATIO_BAND_HIGH, "orange")],
            )
        )
        .with_row(dashboard.Row("Load and memory"))
        .with_panel(
            graph(
                "Operations per second per node",
                [Query(f"rate(redis_commands_processed_total{stores}[5m])", "{{job}} {{instance}}")],
                unit="ops",
            )
        )
        .with_panel(
            graph(
                "Memory used, share of maxmemory",
                [
                    Query(
                        f"redis_memory_used_bytes{stores} / (redis_memory_max_bytes{stores} > 0)",
                        "{{job}} {{instance}}",
                    )
                ],
                unit="percentunit",
                thresholds=[(None, "green"), (settings.monitoring.redis_max_memory_ratio, "red")],
            )
        )
        .with_row(dashboard.Row("Cluster"))
        .with_panel(
            graph(
                "Keys per node (how evenly the slots spread the data)",
                [Query(f"sum {sources.by('instance')} (redis_db_keys{cache})", "{{instance}}")],
            )
        )
        .with_panel(
            graph(
                "Slots assigned and ok, as each node sees them",
                [
                    Query(f"redis_cluster_slots_ok{cache}", "ok {{instance}}"),
                    Query(f"redis_cluster_slots_assigned{cache}", "assigned {{instance}}"),
                ],
            )
        )
        .with_panel(
            graph(
                "Evictions per second",
                [Query(f"sum {sources.by()} (rate(redis_evicted_keys_total{cache}[5m]))", "evicted")],
                thresholds=[(None, "green"), (settings.monitoring.redis_max_evictions_per_second, "red")],
            )
        )
    )
