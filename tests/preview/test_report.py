"""The diff's three formats: a config file inside a ConfigMap, long comments, the JSON shape."""

from __future__ import annotations

import json

import pytest

from preview import report
from preview.diff import Diff, FieldChange, ResourceChange

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
        "changes": [
            {
                "op": "update",
                "type": "kubernetes:core/v1:ConfigMap",
                "name": "shop/redis",
                "fields": [{"path": "data.redis.conf", "old": CONF_OLD, "new": CONF_NEW}],
            }
        ],
        "summary": {"create": 0, "update": 1, "replace": 0, "delete": 0, "unchanged": 3},
    }


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
