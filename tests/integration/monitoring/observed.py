"""The observed platform: real Redis stores and CDN, their real exporters, and a real Prometheus.

Every scrape job is named and labelled the way the Kubernetes PodMonitors name and label
theirs (job per store or tier, ``namespace`` of the stack), so the rendered rules and
dashboards run against it unchanged.
"""

from __future__ import annotations

import random
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from components.render.prometheus_config import ScrapeJob
from components.render.rules import MetricSources, render_rule_groups
from components.settings import Settings
from components.settings.cdn import CdnRateLimit
from tests.support.exporters import mtail, nginx_exporter, redis_exporter
from tests.support.kubernetes_metrics import is_kubernetes_metric, kubernetes_metrics_standin
from tests.support.nginx_server import NginxCdn, OriginServer, nginx_cdn, origin_server
from tests.support.ports import free_port
from tests.support.prometheus_server import PrometheusHandle, prometheus_server
from tests.support.promql import vector_selectors
from tests.support.redis_servers import RedisClusterHandle, SentinelGroupHandle, redis_cluster, sentinel_group

STATIC_PATHS = [f"/assets/app-{index}.css" for index in range(20)]
# Requests per second one client may send to the observed CDN.
TEST_RATE_LIMIT = 20


@dataclass
class Observed:
    prometheus: PrometheusHandle
    cluster: RedisClusterHandle | None
    sessions: SentinelGroupHandle | None
    cdn: NginxCdn | None
    origin: OriginServer | None


def sources_for(settings: Settings) -> MetricSources:
    return MetricSources.kubernetes(settings.namespace)


def _exporters(stack: ExitStack, addresses: list[tuple[str, int]], user: str, password: str) -> list[str]:
    ports = [
        stack.enter_context(redis_exporter(f"{host}:{port}", user=user, password=password))
        for host, port in addresses
    ]
    return [f"127.0.0.1:{port}" for port in ports]


@contextmanager
def observed_platform(
    settings: Settings,
    *,
    cluster: bool = True,
    sessions: bool = True,
    cdn: bool = True,
    kubernetes_selectors: list[str] | None = None,
) -> Iterator[Observed]:
    """Start the chosen parts with their exporters, and Prometheus with the rendered rules."""
    sources = sources_for(settings)
    with ExitStack() as stack:
        jobs: list[ScrapeJob] = []
        cluster_handle = sessions_handle = None
        cdn_handle = origin = None
        if cluster:
            cluster_handle = stack.enter_context(redis_cluster())
            targets = _exporters(stack, cluster_handle.nodes, "metrics", cluster_handle.metrics_password)
            jobs.append(ScrapeJob(sources.cache_job, tuple(targets)))
        if sessions:
            sessions_handle = stack.enter_context(sentinel_group())
            password = sessions_handle.metrics_password
            jobs.append(
                ScrapeJob(
                    sources.sessions_job,
                    tuple(_exporters(stack, sessions_handle.data_nodes, "metrics", password)),
                )
            )
            jobs.append(
                ScrapeJob(
                    sources.sentinel_job,
                    tuple(_exporters(stack, sessions_handle.sentinels, "metrics", password)),
                )
            )
        if cdn:
            origin = stack.enter_context(origin_server())
            syslog_port = free_port()
            mtail_port = stack.enter_context(mtail(syslog_port))
            # A small rate limit, so one sequential client sees 429s.
            limited = settings.cdn.model_copy(
                update={"rate_limit": CdnRateLimit(requests_per_second=TEST_RATE_LIMIT, burst=10)}
            )
            cdn_handle = stack.enter_context(
                nginx_cdn(limited, origin.port, metrics_syslog=f"127.0.0.1:{syslog_port}")
            )
            nginx_port = stack.enter_context(nginx_exporter(cdn_handle.status_url))
            jobs.append(ScrapeJob(sources.cdn_job, (f"127.0.0.1:{mtail_port}", f"127.0.0.1:{nginx_port}")))
        if kubernetes_selectors:
            port = stack.enter_context(kubernetes_metrics_standin(kubernetes_selectors))
            jobs.append(ScrapeJob("kube-state-metrics", (f"127.0.0.1:{port}",)))
        prometheus = stack.enter_context(
            prometheus_server(jobs, render_rule_groups(settings, sources), labels=sources.scope)
        )
        # Counters only say something once Prometheus has a first sample of each.
        prometheus.wait_for(f"count(up == 1) == {sum(len(job.targets) for job in jobs)}", timeout=30)
        yield Observed(prometheus, cluster_handle, sessions_handle, cdn_handle, origin)


def kubernetes_selectors(expressions: list[str]) -> list[str]:
    """The kube-state-metrics and cAdvisor selectors among ``expressions``."""
    return sorted(
        {
            selector
            for expr in expressions
            for selector in vector_selectors(expr)
            if is_kubernetes_metric(selector)
        }
    )


def cache_reads(
    handle: RedisClusterHandle,
    *,
    reads: int,
    hit_share: float,
    seed: int = 7,
    until: threading.Event | None = None,
) -> None:
    """``reads`` GETs (or as many as it takes until ``until`` is set) of which ``hit_share``
    ask for keys that exist; the rest miss."""
    client = handle.cluster_client()
    rng = random.Random(seed)
    keys = [f"product:{index}" for index in range(200)]
    for key in keys:
        client.set(key, "x")
    done = 0
    while (until is None and done < reads) or (until is not None and not until.is_set()):
        done += 1
        if rng.random() < hit_share:
            client.get(rng.choice(keys))
        else:
            client.get(f"absent:{rng.randrange(1_000_000)}")
    client.close()


def cdn_traffic(cdn: NginxCdn, *, rounds: int = 3) -> None:
    """Misses then hits on static paths and origin errors, paced under the rate limit, then a
    burst past it (429s)."""
    for _ in range(rounds):
        for path in [*STATIC_PATHS, "/status/500", "/status/503"]:
            _get(f"{cdn.base_url}{path}")
            time.sleep(1.2 / TEST_RATE_LIMIT)
    # The burst asks for an uncacheable path: a line lost while mtail catches up would be a
    # 429 or a MISS, never one of the HITs the tests count.
    for _ in range(3 * TEST_RATE_LIMIT):
        _get(f"{cdn.base_url}/status/503")


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
