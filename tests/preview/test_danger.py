"""Changes that delete data or take capacity away are listed first, with why and what to do instead."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.settings import PROJECT, load_settings
from components.settings.stack_file import PROJECT_ROOT
from preview import cli
from preview.danger import Danger, find_dangers
from preview.diff import diff_renderings
from preview.rendering import Rendering, ResourceRecord
from tests.support.stacks import stack_config

Documents = Mapping[str, dict[str, Any]]


def rendering(documents: Documents, protect: bool = False) -> Rendering:
    records = [
        ResourceRecord(f"urn:pulumi:s::p::t:m:Thing::{path}", file=path, protect=protect)
        for path in documents
    ]
    return Rendering(dict(documents), records)


def dangers_of(
    old: Documents,
    change: Callable[[dict[str, dict[str, Any]]], None],
    *,
    protect: bool = False,
    acknowledge: tuple[str, ...] = (),
) -> list[Danger]:
    new = copy.deepcopy(dict(old))
    change(new)
    before, after = rendering(old, protect), rendering(new, protect)
    return find_dangers(diff_renderings(before, after), before, after, acknowledge)


def obj(kind: str, api_version: str, name: str = "x", **fields: Any) -> dict[str, Any]:
    return {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {"name": name, "namespace": "shop"},
        **fields,
    }


LABELS = {"app.kubernetes.io/name": "web", "app.kubernetes.io/instance": "web"}
DEPLOYMENT = obj(
    "Deployment",
    "apps/v1",
    "web",
    spec={
        "selector": {"matchLabels": LABELS},
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0}},
        "template": {
            "metadata": {"labels": LABELS},
            "spec": {"containers": [{"name": "web", "image": "web:1"}]},
        },
    },
)
HPA = obj(
    "HorizontalPodAutoscaler",
    "autoscaling/v2",
    "web",
    spec={"scaleTargetRef": {"kind": "Deployment", "name": "web"}, "minReplicas": 3, "maxReplicas": 6},
)
PDB = obj(
    "PodDisruptionBudget", "policy/v1", "web", spec={"minAvailable": 2, "selector": {"matchLabels": LABELS}}
)
SCALED = {"deployment.yaml": DEPLOYMENT, "hpa.yaml": HPA, "pdb.yaml": PDB}


def keys(dangers: list[Danger]) -> list[str]:
    return [danger.key for danger in dangers]


def test_an_autoscaler_minimum_at_the_budget_blocks_drains() -> None:
    def lower(documents: dict[str, dict[str, Any]]) -> None:
        documents["hpa.yaml"]["spec"]["minReplicas"] = 2

    [danger] = dangers_of(SCALED, lower)
    assert danger.key == "update:HorizontalPodAutoscaler/web"
    assert "scale down to 2 pods" in danger.why and "minAvailable" in danger.why
    assert "minAvailable < minReplicas" in danger.instead


@pytest.mark.parametrize(
    ("budget", "dangerous"),
    [({"minAvailable": 2}, False), ({"maxUnavailable": 0}, True), ({"minAvailable": "100%"}, True),
     ({"maxUnavailable": "34%"}, False), ({"maxUnavailable": "30%"}, True)],
)  # fmt: skip
def test_a_budget_is_read_as_kubernetes_reads_it(budget: dict[str, Any], dangerous: bool) -> None:
    def raise_budget(documents: dict[str, dict[str, Any]]) -> None:
        spec = documents["pdb.yaml"]["spec"]
        spec.pop("minAvailable")
        spec.update(budget)

    assert keys(dangers_of(SCALED, raise_budget)) == (
        ["update:HorizontalPodAutoscaler/web"] if dangerous else []
    )


def test_a_raised_autoscaler_minimum_is_no_danger() -> None:
    def raise_minimum(documents: dict[str, dict[str, Any]]) -> None:
        documents["hpa.yaml"]["spec"]["minReplicas"] = 4

    assert dangers_of(SCALED, raise_minimum) == []


def test_a_recreate_rollout_stops_every_replica() -> None:
    recreate = copy.deepcopy(DEPLOYMENT)
    recreate["spec"]["strategy"] = {"type": "Recreate"}

    def new_image(documents: dict[str, dict[str, Any]]) -> None:
        documents["deployment.yaml"]["spec"]["template"]["spec"]["containers"][0]["image"] = "web:2"

    assert keys(dangers_of({"d.yaml": recreate}, lambda d: new_image({"deployment.yaml": d["d.yaml"]}))) == [
        "update:Deployment/web"
    ]
    assert dangers_of({"deployment.yaml": DEPLOYMENT}, new_image) == []


def test_a_new_selector_deletes_the_deployment_first() -> None:
    def new_selector(documents: dict[str, dict[str, Any]]) -> None:
        documents["deployment.yaml"]["spec"]["selector"]["matchLabels"] = {"app": "web2"}

    [danger] = dangers_of({"deployment.yaml": DEPLOYMENT}, new_selector)
    assert danger.key == "replace:Deployment/web"
    assert "deletes it first" in danger.why and "stops at once" in danger.why


@pytest.mark.parametrize(
    ("document", "change", "key"),
    [
        # The key names the object as deployed; a namespace that moves is a rename, as the program says.
        (obj("Namespace", "v1", "shop"), lambda d: d["metadata"].update(name="y"), "rename:Namespace/shop"),
        (obj("Secret", "v1", "creds", type="Opaque"), lambda d: d.update(type="kubernetes.io/basic-auth"),
         "replace:Secret/creds"),
        (obj("PersistentVolumeClaim", "v1", "data", spec={"storageClassName": "ssd"}),
         lambda d: d["spec"].update(storageClassName="hdd"), "replace:PersistentVolumeClaim/data"),
        (obj("StatefulSet", "apps/v1", "redis", spec={"serviceName": "a", "replicas": 3}),
         lambda d: d["spec"].update(serviceName="b"), "replace:StatefulSet/redis"),
    ],
)  # fmt: skip
def test_replacing_what_holds_data_is_a_danger(
    document: dict[str, Any], change: Callable[[dict[str, Any]], None], key: str
) -> None:
    [danger] = dangers_of({"a.yaml": document}, lambda documents: change(documents["a.yaml"]))
    assert danger.key == key and danger.why and danger.instead


def test_deleting_a_claim_is_a_danger_a_wildcard_acknowledges() -> None:
    def delete(documents: dict[str, dict[str, Any]]) -> None:
        del documents["pvc.yaml"]

    claim = {"pvc.yaml": obj("PersistentVolumeClaim", "v1", "data-0", spec={})}
    [danger] = dangers_of(claim, delete)
    assert danger.key == "delete:PersistentVolumeClaim/data-0" and not danger.acknowledged
    [acknowledged] = dangers_of(claim, delete, acknowledge=("delete:PersistentVolumeClaim/*",))
    assert acknowledged.acknowledged


def test_a_protected_resource_the_engine_refuses_to_replace_is_a_danger() -> None:
    config = {"c.yaml": obj("ConfigMap", "v1", "settings", data={"a": "1"})}
    [danger] = dangers_of(config, lambda d: d["c.yaml"]["data"].update(a="2"), protect=True)
    assert danger.key == "replace:ConfigMap/settings" and "protected" in danger.why


def test_strict_fails_on_an_unacknowledged_danger_from_a_config_change(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    base = tmp_path / "base"
    assert cli.main(["--stack", "staging", "--out", str(base)]) == 0
    document = yaml.safe_load((PROJECT_ROOT / "Pulumi.staging.yaml").read_text())
    document["config"]["technovastore-scaling:redis"]["cluster"]["storageSize"] = "4Gi"
    config_file = tmp_path / "Pulumi.staging.yaml"
    config_file.write_text(yaml.safe_dump(document))
    argv = [
        "--stack",
        "staging",
        "--config-file",
        str(config_file),
        "--against",
        str(base),
        "--format",
        "markdown",
    ]
    assert cli.main(argv) == 0
    assert cli.main([*argv, "--strict"]) == 1
    markdown = capsys.readouterr().out
    assert markdown.index("Danger: 1 (1 not acknowledged)") < markdown.index("to replace")
    document["config"]["technovastore-scaling:acknowledge"] = ["replace:StatefulSet/redis-cluster"]
    config_file.write_text(yaml.safe_dump(document))
    assert cli.main([*argv, "--strict"]) == 0


def test_the_stack_settings_accept_every_kind_of_danger_key() -> None:
    keys = [
        "update:HorizontalPodAutoscaler/web",
        "update:Deployment/web",
        "rename:DataStores/redis",
        "rotate:Secret/redis-credentials",
        "replace:StatefulSet/redis-cluster",
        "delete:PersistentVolumeClaim/data-redis-cluster-0",
    ]
    config = {**stack_config("staging"), f"{PROJECT}:acknowledge": json.dumps(keys)}
    assert load_settings(config, "staging").acknowledge == keys


def test_a_moved_namespace_is_one_danger_for_everything_in_it() -> None:
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}
    documents = {
        "ns.yaml": namespace,
        "sts.yaml": obj("StatefulSet", "apps/v1", "redis", spec={"replicas": 3}),
    }

    def move(docs: dict[str, dict[str, Any]]) -> None:
        docs["ns.yaml"]["metadata"]["name"] = "store"
        docs["sts.yaml"]["metadata"]["namespace"] = "store"

    assert keys(dangers_of(documents, move)) == ["rename:Namespace/shop"]


RETAINED = {"whenDeleted": "Retain", "whenScaled": "Retain"}
DELETED = {"whenDeleted": "Delete", "whenScaled": "Delete"}


def statefulset(policy: dict[str, str], replicas: int = 3) -> dict[str, Any]:
    template = {"metadata": {"name": "data"}, "spec": {"resources": {"requests": {"storage": "1Gi"}}}}
    spec = {"replicas": replicas, "serviceName": "a", "volumeClaimTemplates": [template]}
    return obj(
        "StatefulSet", "apps/v1", "redis", spec={**spec, "persistentVolumeClaimRetentionPolicy": policy}
    )


@pytest.mark.parametrize(
    ("policy", "change", "claims"),
    [
        (
            DELETED,
            lambda d: d["spec"].update(serviceName="b"),
            ["data-redis-0", "data-redis-1", "data-redis-2"],
        ),
        (RETAINED, lambda d: d["spec"].update(serviceName="b"), []),
        (DELETED, lambda d: d["spec"].update(replicas=1), ["data-redis-1", "data-redis-2"]),
        (RETAINED, lambda d: d["spec"].update(replicas=1), []),
    ],
)
def test_claims_the_retention_policy_deletes_are_dangers_with_the_programs_keys(
    policy: dict[str, str], change: Callable[[dict[str, Any]], None], claims: list[str]
) -> None:
    found = dangers_of({"sts.yaml": statefulset(policy)}, lambda d: change(d["sts.yaml"]))
    assert [d.key for d in found if d.kind == "PersistentVolumeClaim"] == [
        f"delete:PersistentVolumeClaim/{claim}" for claim in claims
    ]


def test_a_protected_statefulset_says_both_the_refusal_and_what_replacing_it_does() -> None:
    redis = {"sts.yaml": obj("StatefulSet", "apps/v1", "redis", spec={"serviceName": "a", "replicas": 3})}
    [danger] = dangers_of(redis, lambda d: d["sts.yaml"]["spec"].update(serviceName="b"), protect=True)
    assert danger.key == "replace:StatefulSet/redis"
    assert (
        danger.why.startswith("protected: the engine refuses")
        and "all 3 of its pods stop at once" in danger.why
    )
    assert (
        danger.instead.startswith("if this is meant, remove `protect`")
        and "--cascade=orphan" in danger.instead
    )


def cloudflare(kind: str, token: str, resource: str, /, **inputs: Any) -> dict[str, Any]:
    return {
        "type": f"cloudflare:index/{token}:{kind}",
        "name": resource,
        "inputs": {"zoneId": "z" * 32, **inputs},
    }


RECORD = cloudflare(
    "DnsRecord", "dnsRecord", "edge-www", name="www.shop.example", type="A", content="203.0.113.7"
)
DNSSEC = cloudflare("ZoneDnssec", "zoneDnssec", "edge-dnssec", status="active")
WAF = cloudflare(
    "Ruleset", "ruleset", "edge-waf", kind="zone", phase="http_request_firewall_custom", rules=[]
)
EDGE = {"record.yaml": RECORD, "dnssec.yaml": DNSSEC, "waf.yaml": WAF}


@pytest.mark.parametrize(
    ("file", "key", "says"),
    [
        ("record.yaml", "delete:DnsRecord/edge-www", "www.shop.example stops resolving"),
        ("dnssec.yaml", "delete:ZoneDnssec/edge-dnssec", "DS record"),
        ("waf.yaml", "delete:Ruleset/edge-waf", "its WAF custom rules"),
    ],
)
def test_removing_what_keeps_the_site_reachable_or_protected_is_a_danger(
    file: str, key: str, says: str
) -> None:
    def remove(documents: dict[str, dict[str, Any]]) -> None:
        del documents[file]

    [danger] = dangers_of(EDGE, remove)

    assert danger.key == key and says in danger.why and danger.instead


def test_a_record_type_change_is_a_replace_cloudflare_refuses_in_create_first_order() -> None:
    def to_cname(documents: dict[str, dict[str, Any]]) -> None:
        documents["record.yaml"]["inputs"].update(type="CNAME", content="lb.example.net")

    [danger] = dangers_of(EDGE, to_cname)

    assert danger.key == "replace:DnsRecord/edge-www"
    assert "`type`" in danger.why and "refuses" in danger.why and "delete_before_replace" in danger.instead


def test_a_changed_ruleset_phase_is_a_danger_but_new_rules_or_record_content_are_not() -> None:
    def other_phase(documents: dict[str, dict[str, Any]]) -> None:
        documents["waf.yaml"]["inputs"]["phase"] = "http_ratelimit"

    def in_place(documents: dict[str, dict[str, Any]]) -> None:
        documents["waf.yaml"]["inputs"]["rules"] = [{"action": "block", "expression": "true"}]
        documents["record.yaml"]["inputs"]["content"] = "203.0.113.8"

    [danger] = dangers_of(EDGE, other_phase)
    assert danger.key == "replace:Ruleset/edge-waf" and "one entry-point ruleset per phase" in danger.why
    assert dangers_of(EDGE, in_place) == []


def test_switching_the_edge_off_in_production_fails_strict_until_acknowledged(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    base = tmp_path / "base"
    assert cli.main(["--stack", "production", "--out", str(base)]) == 0
    capsys.readouterr()
    document = yaml.safe_load((PROJECT_ROOT / "Pulumi.production.yaml").read_text())
    document["config"]["technovastore-scaling:cloudflare"]["enabled"] = False
    config_file = tmp_path / "Pulumi.production.yaml"
    config_file.write_text(yaml.safe_dump(document))
    argv = ["--stack", "production", "--config-file", str(config_file), "--against", str(base), "--strict"]

    assert cli.main([*argv, "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    found = {danger["key"] for danger in report["danger"]}
    assert {"delete:DnsRecord/edge-www-technovastore-com", "delete:ZoneDnssec/edge-dnssec"} <= found
    document["config"]["technovastore-scaling:acknowledge"] = sorted(found)
    config_file.write_text(yaml.safe_dump(document))
    assert cli.main(argv) == 0
