"""A change to the real program or its config, rendered before and after: the verdict per resource."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pytest

from components.edge import zone_lookup
from preview.danger import find_dangers
from preview.diff import Diff, diff_renderings
from preview.rendering import Rendering, load_rendering, write_rendering
from preview.report import FORMATS, render_diff
from tests.preview.conftest import baseline, config_value, options_in_program, rendering_of
from tests.support.stacks import synthesize_stack

NS = "technovastore-staging"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
SECRET = "kubernetes:core/v1:Secret"
STATEFULSET = "kubernetes:apps/v1:StatefulSet"
# The Redis pods carry a checksum of the credentials Secret: a new password rolls them.
REDIS_PODS_ROLL = {
    (STATEFULSET, f"{NS}/{name}"): "update"
    for name in ("redis-cluster", "redis-sessions", "redis-sessions-sentinel")
}
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
QUOTA = "kubernetes:core/v1:ResourceQuota"
# Drawn from every service's replica limits.
DASHBOARD = (CONFIG_MAP, f"{NS}/dashboard-technovastore-autoscaling")


def verdicts(diff: Diff) -> dict[tuple[str, str], str]:
    return {(c.type, c.name): c.op for c in diff.changes}


def test_a_redis_config_edit_replaces_its_config_map_and_rolls_the_statefulset() -> None:
    redis = config_value("staging", "redis")
    redis["cluster"]["maxmemoryMb"] = 300
    base = baseline("staging")
    new = rendering_of(synthesize_stack("staging", redis=redis))
    diff = diff_renderings(base, new)
    assert verdicts(diff) == {
        (CONFIG_MAP, f"{NS}/redis-cluster-config"): "replace",
        (STATEFULSET, f"{NS}/redis-cluster"): "update",
    }
    config_map = next(c for c in diff.changes if c.type == CONFIG_MAP)
    # pulumi-kubernetes replaces ConfigMap data (enableConfigMapMutable is off); same name: deleted first.
    assert config_map.replace_because == ("data.redis.conf",) and config_map.delete_first
    [note] = config_map.notes
    assert "pods that roll (their template changes too): StatefulSet redis-cluster" in note
    assert find_dangers(diff, base, new) == []


def test_a_rotated_redis_password_replaces_the_secret_and_says_who_keeps_the_old_one() -> None:
    first, second = "first-planted-Password-1", "second-planted-Password-2"
    base = rendering_of(synthesize_stack("staging", redisPassword=first))
    new = rendering_of(synthesize_stack("staging", redisPassword=second))
    diff = diff_renderings(base, new)
    assert verdicts(diff) == {(SECRET, f"{NS}/redis-credentials"): "replace", **REDIS_PODS_ROLL}
    [secret] = [change for change in diff.changes if change.type == SECRET]
    assert {f.path for f in secret.fields if f.secret} == {
        "stringData.admin-password",
        "stringData.redis-auth.conf",
        "stringData.sentinel-auth.conf",
    }
    [danger] = find_dangers(diff, base, new)
    assert danger.key == "rotate:Secret/redis-credentials"
    # The servers read the changed auth files; the services read only the unchanged app password.
    assert "StatefulSet redis-cluster (volume secrets" in danger.why and "api-gateway" not in danger.why
    assert "Pods that roll (their template changes too): StatefulSet redis-cluster" in danger.why
    shown = "".join(render_diff(diff, fmt, "t", dangers=[danger]) for fmt in FORMATS)
    assert "[secret]" in shown and first not in shown and second not in shown
    assert "[secret " not in shown  # not even the digests


def test_setting_a_redis_password_deletes_the_generated_one() -> None:
    diff = diff_renderings(
        baseline("staging"), rendering_of(synthesize_stack("staging", redisPassword="set-P4ss"))
    )
    assert verdicts(diff) == {
        (SECRET, f"{NS}/redis-credentials"): "replace",
        ("random:index/randomPassword:RandomPassword", "redis-credentials-admin"): "delete",
        **REDIS_PODS_ROLL,
    }


def test_a_larger_claim_template_replaces_the_statefulset_and_is_a_danger() -> None:
    redis = config_value("staging", "redis")
    redis["cluster"]["storageSize"] = "4Gi"
    base, new = baseline("staging"), rendering_of(synthesize_stack("staging", redis=redis))
    diff = diff_renderings(base, new)
    assert verdicts(diff) == {(STATEFULSET, f"{NS}/redis-cluster"): "replace"}
    assert diff.changes[0].delete_first
    [danger] = find_dangers(diff, base, new)
    assert danger.key == "replace:StatefulSet/redis-cluster" and not danger.acknowledged
    assert "all 6 of its pods stop at once" in danger.why and "not one volume changes" in danger.why
    assert f"kubectl patch pvc data-redis-cluster-<ordinal> -n {NS}" in danger.instead
    [acknowledged] = find_dangers(diff, base, new, ["replace:StatefulSet/redis-cluster"])
    assert acknowledged.acknowledged


def test_an_ignored_field_keeps_its_deployed_value(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    services = config_value("staging", "services")
    services["api-gateway"]["maxReplicas"] = 3
    unchanged = diff_renderings(
        baseline("staging"), rendering_of(synthesize_stack("staging", services=services))
    )
    assert verdicts(unchanged)[(HPA, f"{NS}/api-gateway")] == "update"
    options_in_program(
        monkeypatch, HPA, "api-gateway-hpa", pulumi.ResourceOptions(ignore_changes=["spec.maxReplicas"])
    )
    new = rendering_of(synthesize_stack("staging", services=services))
    # The option travels with the rendering's index.
    write_rendering(new, tmp_path)
    diff = diff_renderings(baseline("staging"), load_rendering(tmp_path))
    assert (HPA, f"{NS}/api-gateway") not in verdicts(diff)
    assert verdicts(diff) == {(QUOTA, f"{NS}/compute-quota"): "update", DASHBOARD: "replace"}


def test_a_ruleset_phase_change_replaces_the_ruleset_creating_the_new_one_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(zone_lookup.PHASES, "cache", "http_response_cache_settings")
    diff = diff_renderings(baseline("staging"), rendering_of(synthesize_stack("staging")))
    assert verdicts(diff) == {("cloudflare:index/ruleset:Ruleset", "edge-cache"): "replace"}
    [change] = diff.changes
    assert change.replace_because == ("phase",) and not change.delete_first


@pytest.mark.parametrize("indexed_side", ["old", "new"])
def test_a_rendering_without_an_index_is_paired_by_what_each_resource_manages(indexed_side: str) -> None:
    services = config_value("staging", "services")
    services["frontend"]["maxReplicas"] = 5
    old, new = baseline("staging"), rendering_of(synthesize_stack("staging", services=services))
    if indexed_side == "old":
        new = Rendering(new.documents)
    else:
        old = Rendering(old.documents)
    diff = diff_renderings(old, new)
    assert verdicts(diff) == {
        (HPA, f"{NS}/frontend"): "update",
        (QUOTA, f"{NS}/compute-quota"): "update",
        DASHBOARD: "replace",
    }
    assert diff.unchanged == len(old.documents) - 3 and diff.renames == []


def test_an_index_of_an_older_preview_counts_as_none(tmp_path: Path) -> None:
    write_rendering(baseline("staging"), tmp_path)
    files = [str(path.relative_to(tmp_path)) for path in tmp_path.glob("*/*.yaml")]
    # The first index format: file -> URN without the stack, as the mock runtime made it.
    (tmp_path / "index.yaml").write_text("".join(f"{path}: some-old-id::{path}\n" for path in files))
    loaded = load_rendering(tmp_path)
    assert loaded.records == []
    assert diff_renderings(loaded, baseline("staging")).changes == []
