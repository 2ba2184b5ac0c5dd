"""Grafana dashboards as code (grafana-foundation-sdk), rendered from the stack's settings.

Pure: settings and the platform's metric sources in, dashboard JSON out. The classic
dashboard model is used on purpose: it is what Grafana's file provisioning and the
kube-prometheus-stack dashboard sidecar load.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

from grafana_foundation_sdk.cog.encoder import JSONEncoder

from components.render.dashboards.autoscaling import autoscaling_dashboard
from components.render.dashboards.cache import cache_dashboard
from components.render.dashboards.cdn import cdn_dashboard
from components.render.dashboards.overview import overview_dashboard
from components.render.rules import MetricSources
from components.settings import Settings

# Grafana refuses longer dashboard uids.
MAX_UID_LENGTH = 40


def render_dashboards(settings: Settings, sources: MetricSources) -> dict[str, dict[str, Any]]:
    """Every dashboard's JSON model, by its name (the same in every stack).

    Its uid and title carry the stack: stacks that share a cluster (review stacks run in
    staging's) share its Grafana, where a uid names one dashboard.
    """
    builders = [overview_dashboard, autoscaling_dashboard, cache_dashboard, cdn_dashboard]
    with warnings.catch_warnings():
        # The SDK nudges towards its v2 schema, which file provisioning does not load yet.
        warnings.simplefilter("ignore", DeprecationWarning)
        boards = [builder(settings, sources).build() for builder in builders]
    models = [json.loads(JSONEncoder(sort_keys=True).encode(board)) for board in boards]
    for model in models:
        # Panel ids must be unique within a dashboard; the builder leaves them all 0.
        for number, panel in enumerate(model["panels"], start=1):
            panel["id"] = number
    named = {}
    for model in models:
        name = model["uid"]
        model["uid"] = f"{name[: MAX_UID_LENGTH - len(settings.stack) - 1]}-{settings.stack}"
        model["title"] = f"{model['title']} ({settings.stack})"
        named[name] = model
    return named


def panel_queries(model: dict[str, Any]) -> list[tuple[str, str]]:
    """(panel title, PromQL) for every target of every panel, rows included."""
    panels = [*model.get("panels", [])]
    for row in model.get("panels", []):
        panels += row.get("panels", [])
    return [
        (panel["title"], target["expr"])
        for panel in panels
        for target in panel.get("targets", [])
        if "expr" in target
    ]
