"""The module groups ``make mutate`` scores, each with the test folders that cover it.

A group's tests are the folders whose tests exercise its files; mutmut then runs, for each
mutant, only the tests that reached the mutated function while it collected its statistics.
The integration folders start real servers (redis-server, redis-sentinel, a Cloudflare API
stand-in), so they are listed only where the behaviour lives on the wire.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A wrong answer from the cache library or the preview costs most (data served stale, a
# replacement nobody saw coming), so those two have the higher bar.
GOAL = 0.85
STRICT_GOAL = 0.90


@dataclass(frozen=True)
class Group:
    """``name`` is the module as the README and the figures call it; ``mutate`` are globs of
    project-relative file paths (mutmut's ``only_mutate``); ``tests`` are test files or folders,
    globs allowed (expanded against the project, as pytest does not)."""

    name: str
    mutate: tuple[str, ...]
    tests: tuple[str, ...]
    goal: float = GOAL
    # "module:attribute" of the servers the tests' session fixtures share, started once for
    # the whole run instead of once per mutant (tests/support/shared_servers.py).
    servers: str = ""

    @property
    def slug(self) -> str:
        """A directory name for the group's scratch copy."""
        return "-".join(re.findall(r"[A-Za-z0-9_]+", self.name.removesuffix(".py")))


GROUPS: tuple[Group, ...] = (
    Group(
        "components/settings/",
        ("components/settings/*.py",),
        (
            "tests/unit/test_settings.py",
            "tests/unit/test_settings_*.py",
            "tests/unit/test_*_settings.py",
            "tests/unit/test_edge_plan_limits.py",
            "tests/unit/test_config_strictness.py",
            "tests/unit/test_acknowledgements.py",
            "tests/unit/test_hpa_timing_bounded.py",
            "tests/unit/checks",
        ),
    ),
    Group(
        "components/hpa_behavior.py",
        ("components/hpa_behavior.py",),
        ("tests/unit/test_hpa_*.py", "tests/unit/test_settings.py"),
    ),
    # The renderers in three parts, each with the tests that boot what it renders.
    Group(
        "components/render/ (nginx)",
        ("components/render/nginx*.py",),
        ("tests/unit/test_cdn_render.py", "tests/unit/test_cdn_component.py", "tests/integration/cdn"),
    ),
    Group(
        "components/render/ (redis)",
        ("components/render/redis*.py", "components/render/sentinel.py"),
        ("tests/unit/test_redis_render.py", "tests/unit/test_redis_components.py", "tests/integration/redis"),
    ),
    Group(
        "components/render/ (monitoring)",
        (
            "components/render/rules/*.py",
            "components/render/dashboards/*.py",
            "components/render/cdn_metrics.py",
        ),
        ("tests/monitoring", "tests/unit/test_monitoring_objects.py", "tests/unit/test_cdn_component.py"),
    ),
    Group("checks/", ("checks/*.py",), ("tests/unit/checks",)),
    Group(
        "cache_manager/",
        ("cache_manager/*.py",),
        (
            "tests/unit/test_cache_*.py",
            "tests/unit/checks/test_cache_metrics.py",
            "tests/integration/cache_manager",
        ),
        STRICT_GOAL,
        servers="tests.integration.cache_manager.conftest:SHARED_SERVERS",
    ),
    Group(
        "preview/",
        (
            "preview/diff.py",
            "preview/diff_fields.py",
            "preview/replace_rules.py",
            "preview/verdicts.py",
            "preview/providers/*.py",
        ),
        (
            "tests/preview/test_diff.py",
            "tests/preview/test_replace_rules.py",
            "tests/preview/test_stack_changes.py",
            "tests/preview/test_danger.py",
            "tests/preview/test_report.py",
            "tests/preview/test_renames.py",
            "tests/preview/test_secrets.py",
            "tests/unit/test_pod_rolls.py",
        ),
        STRICT_GOAL,
    ),
    Group(
        "purge/client.py",
        ("purge/client.py",),
        ("tests/unit/test_purge_*.py", "tests/integration/purge"),
    ),
)


def by_name(names: list[str]) -> list[Group]:
    """The groups named (all when none are); a name may also be the group's slug."""
    if not names:
        return list(GROUPS)
    known = {name: group for group in GROUPS for name in (group.name, group.slug)}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise KeyError(f"unknown group(s): {', '.join(unknown)}; known: {', '.join(g.name for g in GROUPS)}")
    return [known[name] for name in names]
