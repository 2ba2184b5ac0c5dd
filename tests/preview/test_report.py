"""The diff's three formats: a config file inside a ConfigMap, long comments, the JSON shape."""

from __future__ import annotations

import json

import pytest

from preview import report
from preview.danger import Danger
from preview.diff import Diff
from preview.diff_fields import FieldChange
from preview.verdicts import ResourceChange

CONF_OLD = "maxmemory 256mb\nmaxmemory-policy allkeys-lru\nappendonly yes\n"
CONF_NEW = "maxmemory 512mb\nmaxmemory-policy allkeys-lru\nappendonly yes\n"
CONFIGMAP = ResourceChange(
    "update",
    "kubernetes:core/v1:ConfigMap",
    "shop/redis",
    (FieldChange("data.redis.conf", CONF_OLD, CONF_NEW),),
)


def test_a_changed_config_file_shows_only_its_changed_lines() -> None:
    diff = Diff([CONFIGMAP], unchanged=3)
    text = report.render_diff(diff, "text", "t")
    assert "    -maxmemory 256mb\n" in text and "    +maxmemory 512mb\n" in text
    assert "appendonly" not in text
    markdown = report.render_diff(diff, "markdown", "t")
    assert "```diff\n-maxmemory 256mb\n+maxmemory 512mb\n```" in markdown


def test_json_keeps_whole_values_and_the_documented_shape() -> None:
    document = json.loads(report.render_diff(Diff([CONFIGMAP], unchanged=3), "json", "t"))
    assert document == {
        "danger": [],
        "renames": [],
        "changes": [
            {
                "op": "update",
                "type": "kubernetes:core/v1:ConfigMap",
                "name": "shop/redis",
                "urn": "",
                "fields": [{"path": "data.redis.conf", "old": CONF_OLD, "new": CONF_NEW}],
            }
        ],
        "summary": {"create": 0, "import": 0, "update": 1, "replace": 0, "delete": 0, "unchanged": 3},
        "secretsCompared": False,
    }


DANGER = Danger(
    "replace", "StatefulSet", "redis", "kubernetes:apps/v1:StatefulSet shop/redis", "why text", "instead text"
)


@pytest.mark.parametrize("fmt", report.FORMATS)
def test_the_danger_section_comes_first_in_every_format(fmt: str) -> None:
    diff = Diff([CONFIGMAP], unchanged=3)
    with_danger = report.render_diff(diff, fmt, "t", dangers=[DANGER])
    assert (
        "replace:StatefulSet/redis" in with_danger
        and "why text" in with_danger
        and "instead text" in with_danger
    )
    assert with_danger.index("replace:StatefulSet/redis") < with_danger.index("data.redis.conf")
    without = report.render_diff(diff, fmt, "t")
    assert "Danger: none" in without if fmt != "json" else json.loads(without)["danger"] == []


def test_a_comment_too_long_for_github_leaves_field_details_out(monkeypatch: pytest.MonkeyPatch) -> None:
    changes = [
        ResourceChange(
            "update", "kubernetes:apps/v1:Deployment", f"shop/s{i}", (FieldChange("spec.x", i, i + 1),)
        )
        for i in range(50)
    ]
    monkeypatch.setattr(report, "MAX_MARKDOWN_CHARS", 4000)
    markdown = report.render_diff(Diff(changes), "markdown", "t")
    assert len(markdown) <= 4300
    assert "`shop/s49`" in markdown  # every resource is still in the summary table
    assert "more resources left out" in markdown
