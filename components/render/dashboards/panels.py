"""Panel builders shared by the dashboards: one Prometheus data source, fixed query windows.

Queries use fixed windows (``[5m]``), not Grafana's ``$__rate_interval``, so every panel query
is plain PromQL that the tests run against a real Prometheus exactly as written.
"""

from __future__ import annotations

from dataclasses import dataclass

from grafana_foundation_sdk.builders import common, dashboard, prometheus, stat, timeseries
from grafana_foundation_sdk.cog.builder import Builder
from grafana_foundation_sdk.cog.variants import Dataquery
from grafana_foundation_sdk.models.common import DataSourceRef, GraphThresholdsStyleMode
from grafana_foundation_sdk.models.dashboard import Threshold, ThresholdsMode

DATASOURCE_VARIABLE = "datasource"
DATASOURCE = DataSourceRef(type_val="prometheus", uid=f"${{{DATASOURCE_VARIABLE}}}")


@dataclass(frozen=True)
class Query:
    expr: str
    legend: str = ""


def _targets(queries: list[Query]) -> list[Builder[Dataquery]]:
    return [
        prometheus.Dataquery()
        .expr(query.expr)
        .legend_format(query.legend or "__auto")
        .ref_id(chr(ord("A") + index))
        .datasource(DATASOURCE)
        for index, query in enumerate(queries)
    ]


def _thresholds(steps: list[tuple[float | None, str]]) -> dashboard.ThresholdsConfig:
    return (
        dashboard.ThresholdsConfig()
        .mode(ThresholdsMode.ABSOLUTE)
        .steps([Threshold(value=value, color=color) for value, color in steps])
    )


def graph(
    title: str,
    queries: list[Query],
    *,
    unit: str = "short",
    description: str = "",
    span: int = 12,
    thresholds: list[tuple[float | None, str]] | None = None,
    soft_max: float | None = None,
) -> timeseries.Panel:
    panel = (
        timeseries.Panel()
        .title(title)
        .description(description)
        .unit(unit)
        .span(span)
        .height(8)
        .datasource(DATASOURCE)
        .targets(_targets(queries))
    )
    if thresholds:
        panel = panel.thresholds(_thresholds(thresholds)).thresholds_style(
            common.GraphThresholdsStyleConfig().mode(GraphThresholdsStyleMode.DASHED)
        )
    if soft_max is not None:
        panel = panel.axis_soft_max(soft_max).axis_soft_min(0)
    return panel


def single(
    title: str,
    query: Query,
    *,
    unit: str = "short",
    description: str = "",
    span: int = 6,
    thresholds: list[tuple[float | None, str]] | None = None,
) -> stat.Panel:
    panel = (
        stat.Panel()
        .title(title)
        .description(description)
        .unit(unit)
        .span(span)
        .height(4)
        .datasource(DATASOURCE)
        .targets(_targets([query]))
    )
    if thresholds:
        panel = panel.thresholds(_thresholds(thresholds))
    return panel


def new_dashboard(uid: str, title: str, description: str, tags: list[str]) -> dashboard.Dashboard:
    return (
        dashboard.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags(["technovastore", *tags])
        .refresh("30s")
        .time("now-6h", "now")
        .timezone("browser")
        .with_variable(
            dashboard.DatasourceVariable(DATASOURCE_VARIABLE).label("Data source").type("prometheus")
        )
    )
