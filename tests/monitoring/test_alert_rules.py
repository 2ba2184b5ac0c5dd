"""The rendered Prometheus rules: valid for promtool, and every alert fires when (and only when) it should.

Both platforms' rules: Kubernetes' (kube-state-metrics) and Swarm's (the autoscaler's series,
restarts from uptime), each with its own cases for the alerts whose series differ.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from components.render.rules import Alert, MetricSources, render_rule_groups, rule_groups
from components.settings import Settings
from components.settings.stack_file import PROJECT_ROOT
from tests.monitoring.alert_cases import CASES, AlertCase, Series
from tests.monitoring.swarm_alert_cases import SWARM_CASES
from tests.support import promtool


def _alerts(rules: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {rule["alert"]: rule for group in rules["groups"] for rule in group["rules"] if "alert" in rule}


def _without_annotations(rules: dict[str, Any]) -> dict[str, Any]:
    # promtool compares annotations too; these tests are about when alerts fire.
    stripped = copy.deepcopy(rules)
    for group in stripped["groups"]:
        for rule in group["rules"]:
            rule.pop("annotations", None)
    return stripped


def _test(case: AlertCase, series: Series, expected: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "interval": case.interval,
        "input_series": [{"series": name, "values": values} for name, values in series],
        "alert_rule_test": [{"eval_time": case.eval_time, "alertname": case.alert, "exp_alerts": expected}],
    }


SWARM_SOURCES = MetricSources.swarm("technovastore", autoscaler=True, service_prefix="technovastore-")
PLATFORMS = {
    "kubernetes": (MetricSources.kubernetes("technovastore"), CASES),
    "swarm": (SWARM_SOURCES, SWARM_CASES),
}
PLATFORM_CASES = [(platform, case) for platform, (_, cases) in PLATFORMS.items() for case in cases]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_promtool_accepts_the_rules(production: Settings, platform: str) -> None:
    result = promtool.check_rules(render_rule_groups(production, PLATFORMS[platform][0]))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


@pytest.mark.parametrize("platform", PLATFORMS)
def test_every_alert_has_a_firing_and_a_quiet_case(production: Settings, platform: str) -> None:
    sources, cases = PLATFORMS[platform]
    rendered = set(_alerts(render_rule_groups(production, sources)))

    assert rendered == {case.alert for case in cases}
    assert all(case.quiet for case in cases)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_each_alert_fires_on_its_case_and_stays_quiet_otherwise(production: Settings, platform: str) -> None:
    sources, cases = PLATFORMS[platform]
    rules = render_rule_groups(production, sources)
    for interval in sorted({case.interval for case in cases}):
        tests = []
        for case in [case for case in cases if case.interval == interval]:
            severity = _alerts(rules)[case.alert]["labels"]["severity"]
            tests.append(_test(case, case.firing, [{"exp_labels": {**case.labels, "severity": severity}}]))
            tests += [_test(case, quiet, []) for quiet in case.quiet]

        result = promtool.test_rules(_without_annotations(rules), tests, evaluation_interval=interval)

        assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]


@pytest.mark.parametrize(
    ("platform", "case"),
    PLATFORM_CASES,
    ids=[f"{platform}-{case.alert}" for platform, case in PLATFORM_CASES],
)
def test_a_firing_case_fails_once_its_expression_can_no_longer_fire(
    platform: str, case: AlertCase, production: Settings
) -> None:
    # The firing series with the alert's expression neutered: promtool must report the
    # expected alert missing, so the firing cases above pass because of the expressions.
    rules = _without_annotations(render_rule_groups(production, PLATFORMS[platform][0]))
    for group in rules["groups"]:
        for rule in group["rules"]:
            if rule.get("alert") == case.alert:
                rule["expr"] = f"({rule['expr']}) and on () vector(0) > 1"
    severity = _alerts(rules)[case.alert]["labels"]["severity"]

    result = promtool.test_rules(
        rules,
        [_test(case, case.firing, [{"exp_labels": {**case.labels, "severity": severity}}])],
        evaluation_interval=case.interval,
    )

    assert result.returncode != 0
    assert case.alert in result.stdout + result.stderr


@pytest.mark.parametrize("platform", PLATFORMS)
def test_every_alert_says_what_and_links_its_runbook(production: Settings, platform: str) -> None:
    for name, rule in _alerts(render_rule_groups(production, PLATFORMS[platform][0])).items():
        annotations = rule["annotations"]
        assert annotations["summary"] and annotations["description"], name
        assert annotations["runbook_url"] == f"{production.monitoring.runbook_url}#{name.lower()}"
        assert rule["labels"]["severity"] in {"critical", "warning"}


def test_thresholds_come_from_the_stack_settings(
    production: Settings, kubernetes_sources: MetricSources
) -> None:
    stricter = production.model_copy(
        update={"checks": production.checks.model_copy(update={"min_hit_ratio": 0.93, "min_lookups": 500})}
    )

    expr = _alerts(render_rule_groups(stricter, kubernetes_sources))["RedisCacheHitRatioLow"]["expr"]

    assert re.search(r"< 0\.93 and .* >= 500$", expr)


def test_the_readme_lists_every_alert_as_rendered_and_has_its_runbook(production: Settings) -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    table = readme.split("<!-- alerts-table:start -->")[1].split("<!-- alerts-table:end -->")[0]
    # Kubernetes' alerts, then those only a Swarm stack has; an alert both have reads the same
    # threshold, window and duration on both.
    rows: dict[str, str] = {}
    for sources, _ in PLATFORMS.values():
        for alert in [rule for group in rule_groups(production, sources) for rule in group.rules]:
            if isinstance(alert, Alert):
                row = (
                    f"| [`{alert.name}`](#{alert.name.lower()}) | {alert.severity} | {alert.threshold} "
                    f"| {alert.window} | {alert.duration} |"
                )
                assert rows.setdefault(alert.name, row) == row, alert.name
    assert [line for line in table.strip().splitlines()[2:]] == list(rows.values())
    missing = [name for name in rows if f"\n#### {name}\n" not in readme]
    assert not missing
