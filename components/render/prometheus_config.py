"""prometheus.yml for the stacks that run their own Prometheus (Swarm, dev).

Pure: scrape jobs and the stack's scope in, the configuration text out. Every job carries the
scope labels (``namespace``), so the rendered rules and dashboards select exactly what they
select on Kubernetes, where the operator's PodMonitors add the same label.

A job either scrapes its targets' ``/metrics`` directly, or asks a multi-target exporter
(redis_exporter's ``/scrape?target=``, its documented way to watch many servers from one
process) once per target; then the target, not the exporter, becomes the ``instance``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

RULES_DIR = "/etc/prometheus/rules"
CONFIG_FILE = "/etc/prometheus/prometheus.yml"
DATA_DIR = "/prometheus"
PORT = 9090


@dataclass(frozen=True)
class ScrapeJob:
    name: str
    targets: tuple[str, ...]
    metrics_path: str = "/metrics"
    # host:port of a multi-target exporter; ``targets`` are then what it is asked about.
    exporter: str | None = None

    def config(self, labels: dict[str, str]) -> dict[str, Any]:
        job: dict[str, Any] = {
            "job_name": self.name,
            "metrics_path": self.metrics_path,
            "static_configs": [{"targets": list(self.targets), "labels": labels}],
        }
        if self.exporter is not None:
            job["relabel_configs"] = [
                {"source_labels": ["__address__"], "target_label": "__param_target"},
                # redis://host:port -> host:port: the member's name, stable across its restarts.
                {
                    "source_labels": ["__param_target"],
                    "regex": "(?:[a-z]+://)?(.*)",
                    "target_label": "instance",
                },
                {"target_label": "__address__", "replacement": self.exporter},
            ]
        return job


def render_prometheus_config(
    jobs: Sequence[ScrapeJob],
    *,
    labels: dict[str, str],
    interval_seconds: int,
    rule_files: Sequence[str] = (f"{RULES_DIR}/*.yml",),
) -> str:
    """The whole prometheus.yml: one interval for scrapes and rule evaluation, then the jobs."""
    interval = f"{interval_seconds}s"
    config: dict[str, Any] = {
        "global": {
            "scrape_interval": interval,
            "evaluation_interval": interval,
            # Never longer than the interval; a slow target must not overlap its next scrape.
            "scrape_timeout": f"{min(interval_seconds, 10)}s",
        },
        "rule_files": list(rule_files),
        "scrape_configs": [job.config(labels) for job in jobs],
    }
    return yaml.safe_dump(config, sort_keys=False, width=1000)
