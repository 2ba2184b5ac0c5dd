"""Prometheus recording and alerting rules for one stack, rendered from its settings.

Pure: settings and the platform's metric sources in, the rule-file document out. The same
document goes into a PrometheusRule (Kubernetes), a Prometheus config file (Swarm, dev) and
``promtool`` in the tests.
"""

from __future__ import annotations

from typing import Any

import yaml

from components.render.rules.cdn import cdn_rules
from components.render.rules.model import Alert, MetricSources, Record, RuleGroup
from components.render.rules.redis import redis_rules
from components.render.rules.scaling import scaling_rules
from components.render.rules.slo import slo_rules
from components.settings import Settings

__all__ = [
    "Alert",
    "MetricSources",
    "Record",
    "RuleGroup",
    "render_rule_groups",
    "render_rules_file",
    "rule_groups",
]


def rule_groups(settings: Settings, sources: MetricSources) -> list[RuleGroup]:
    return [
        *redis_rules(settings, sources),
        *cdn_rules(settings, sources),
        *slo_rules(settings, sources),
        *scaling_rules(settings, sources),
    ]


def render_rule_groups(settings: Settings, sources: MetricSources) -> dict[str, Any]:
    """``{"groups": [...]}``: the body of a rule file and the spec of a PrometheusRule."""
    runbook_url = settings.monitoring.runbook_url
    return {
        "groups": [
            {"name": group.name, "rules": [rule.to_rule(runbook_url) for rule in group.rules]}
            for group in rule_groups(settings, sources)
        ]
    }


def render_rules_file(settings: Settings, sources: MetricSources) -> str:
    return yaml.safe_dump(render_rule_groups(settings, sources), sort_keys=False, width=1000)
