"""The availability SLO on the CDN's success ratio: multi-window, multi-burn-rate alerts.

The SRE workbook ("Alerting on SLOs", table 5-8): page when 2 % of a 30-day budget burns in an
hour or 5 % in six hours; open a ticket when 10 % burns in a day or three days. Each alert
needs its long window AND a short one (1/12 of it) over the rate, so it stops soon after the
burning stops. Burn rates are derived from the budget period so a shorter period keeps the
same budget fractions.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.render.rules.model import Alert, MetricSources, Record, RuleGroup
from components.settings import Settings

WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
_HOURS = {"5m": 5 / 60, "30m": 0.5, "1h": 1, "2h": 2, "6h": 6, "1d": 24, "3d": 72}


@dataclass(frozen=True)
class BurnCondition:
    budget_fraction: float
    long_window: str
    short_window: str

    def burn_rate(self, period_days: int) -> float:
        return self.budget_fraction * period_days * 24 / _HOURS[self.long_window]


PAGE = (BurnCondition(0.02, "1h", "5m"), BurnCondition(0.05, "6h", "30m"))
TICKET = (BurnCondition(0.10, "1d", "2h"), BurnCondition(0.10, "3d", "6h"))


def error_ratio_record(window: str) -> str:
    return f"technovastore:cdn_error_ratio:rate{window}"


def slo_rules(settings: Settings, sources: MetricSources) -> list[RuleGroup]:
    # One group: its records are evaluated before the alerts that read them.
    records: list[Record | Alert] = [_error_ratio(sources, window) for window in WINDOWS]
    return [RuleGroup("technovastore-slo", [*records, *_alerts(settings, sources)])]


def _error_ratio(sources: MetricSources, window: str) -> Record:
    by = sources.by()
    errors = f"cdn_requests_total{sources.select(job=sources.cdn_job, status='~5..')}"
    total = f"cdn_requests_total{sources.select(job=sources.cdn_job)}"
    return Record(
        error_ratio_record(window),
        f"sum {by} (rate({errors}[{window}])) / sum {by} (rate({total}[{window}]))",
    )


def _condition(condition: BurnCondition, budget: float, period_days: int, scope: str) -> str:
    threshold = f"{condition.burn_rate(period_days):g} * {budget:g}"
    return (
        f"({error_ratio_record(condition.long_window)}{scope} > ({threshold}) "
        f"and {error_ratio_record(condition.short_window)}{scope} > ({threshold}))"
    )


def _alerts(settings: Settings, sources: MetricSources) -> list[Record | Alert]:
    slo = settings.monitoring.slo
    budget = round(1 - slo.availability_target, 10)
    scope = sources.select()

    def expr(conditions: tuple[BurnCondition, ...]) -> str:
        return " or ".join(_condition(c, budget, slo.period_days, scope) for c in conditions)

    def rates(conditions: tuple[BurnCondition, ...]) -> str:
        return ", ".join(
            f"{c.burn_rate(slo.period_days):g}x over {c.long_window} and {c.short_window}" for c in conditions
        )

    target = f"{slo.availability_target * 100:g} %"
    return [
        Alert(
            "CdnErrorBudgetBurnFast",
            expr(PAGE),
            "2m",
            "critical",
            f"The store front burns its {target} availability budget fast",
            f"At this error rate the {slo.period_days}-day error budget is gone within days: page.",
            rates(PAGE),
            "1h and 5m, 6h and 30m",
        ),
        Alert(
            "CdnErrorBudgetBurnSlow",
            expr(TICKET),
            "15m",
            "warning",
            f"The store front burns its {target} availability budget",
            f"At this error rate the {slo.period_days}-day error budget runs out before the period ends.",
            rates(TICKET),
            "1d and 2h, 3d and 6h",
        ),
    ]
