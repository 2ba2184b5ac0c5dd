"""Update or replace, per resource, as the providers' sources and the engine decide it.

Each case changes one field of one resource between two renderings that both index it as
the same Pulumi resource. Expected verdicts come from the sources named in
preview/replace_rules.py, not from the program's own resources.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from preview.diff import Diff, diff_renderings
from preview.rendering import Rendering, ResourceRecord
from preview.verdicts import ResourceChange

URN = "urn:pulumi:s::p::kubernetes:apps/v1:Thing::a"


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A change of ``document`` at ``a.b.0.c`` (numbers index lists)."""

    def apply(document: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = document
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[int(last) if last.isdigit() else last] = value

    return apply


def diff_one(
    old: dict[str, Any],
    change: Callable[[dict[str, Any]], None],
    *,
    config: Mapping[str, str] | None = None,
    old_options: Mapping[str, Any] | None = None,
    new_options: Mapping[str, Any] | None = None,
) -> Diff:
    new = copy.deepcopy(old)
    change(new)
    old_record = ResourceRecord(URN, file="a.yaml", **(old_options or {}))
    new_record = ResourceRecord(URN, file="a.yaml", **(new_options or {}))
    return diff_renderings(
        Rendering({"a.yaml": old}, [old_record]), Rendering({"a.yaml": new}, [new_record]), config=config
    )


def only_change(diff: Diff) -> ResourceChange:
    [change] = diff.changes
    return change


def manifest(kind: str, api_version: str, spec: dict[str, Any] | None = None, **top: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {"name": "x", "namespace": "shop"},
        **top,
    }
    if spec is not None:
        document["spec"] = spec
    return document


def inputs_of(type_: str, **inputs: Any) -> dict[str, Any]:
    return {"type": type_, "name": "x", "inputs": inputs}


SELECTOR = {"matchLabels": {"app": "redis"}}
STATEFULSET = manifest(
    "StatefulSet",
    "apps/v1",
    {
        "replicas": 6,
        "serviceName": "redis-headless",
        "podManagementPolicy": "Parallel",
        "revisionHistoryLimit": 5,
        "selector": SELECTOR,
        "template": {"spec": {"containers": [{"name": "redis", "image": "redis:7.0.15"}]}},
        "volumeClaimTemplates": [
            {"metadata": {"name": "data"}, "spec": {"resources": {"requests": {"storage": "8Gi"}}}}
        ],
        "updateStrategy": {"type": "RollingUpdate"},
    },
)
DEPLOYMENT = manifest(
    "Deployment", "apps/v1", {"selector": SELECTOR, "replicas": 2, "template": {"spec": {}}}
)
JOB = manifest(
    "Job",
    "batch/v1",
    {"template": {"spec": {"restartPolicy": "Never"}}, "backoffLimit": 1, "completions": 1, "parallelism": 1},
)
SERVICE = manifest("Service", "v1", {"clusterIP": "10.0.0.8", "type": "ClusterIP", "ports": [{"port": 80}]})
CLAIM = manifest(
    "PersistentVolumeClaim",
    "v1",
    {
        "accessModes": ["ReadWriteOnce"],
        "storageClassName": "ssd",
        "volumeName": "pv-1",
        "resources": {"requests": {"storage": "8Gi"}},
    },
)
CONFIG_MAP = manifest("ConfigMap", "v1", data={"redis": "maxmemory 1mb"})
SECRET = manifest("Secret", "v1", type="Opaque", stringData={"password": "[secret]"})
POD = manifest("Pod", "v1", {"containers": [{"name": "app", "image": "app:1"}], "restartPolicy": "Always"})

RULESET = inputs_of(
    "cloudflare:index/ruleset:Ruleset", zoneId="z", phase="http_ratelimit", kind="zone", name="n",
    rules=[{"action": "block"}],
)  # fmt: skip
RECORD = inputs_of(
    "cloudflare:index/dnsRecord:DnsRecord", zoneId="z", name="a.b", type="A", content="1.1.1.1"
)
SETTING = inputs_of("cloudflare:index/zoneSetting:ZoneSetting", zoneId="z", settingId="ssl", value="full")
TIERED = inputs_of("cloudflare:index/tieredCache:TieredCache", zoneId="z", value="on")
ZONE = inputs_of("cloudflare:index/zone:Zone", name="a.com", account={"id": "1"})
PASSWORD = inputs_of("random:index/randomPassword:RandomPassword", length=32, special=False)
QUOTA = manifest("ResourceQuota", "v1", {"scopes": ["BestEffort"], "hard": {"pods": "4"}})
BUDGET = {"minAvailable": 1}

PROVIDER_CASES = [
    # pulumi-kubernetes diff.go: statefulSet
    (STATEFULSET, "spec.volumeClaimTemplates.0.spec.resources.requests.storage", "16Gi", "replace"),
    (STATEFULSET, "spec.selector", {"matchLabels": {"app": "cache"}}, "replace"),
    (STATEFULSET, "spec.serviceName", "redis-nodes", "replace"),
    (STATEFULSET, "spec.podManagementPolicy", "OrderedReady", "replace"),
    (STATEFULSET, "spec.revisionHistoryLimit", 10, "replace"),
    (STATEFULSET, "spec.replicas", 8, "update"),
    (STATEFULSET, "spec.updateStrategy", {"type": "OnDelete"}, "update"),
    (STATEFULSET, "spec.template.spec.containers.0.image", "redis:7.2.5", "update"),
    # deployment: only the selector
    (DEPLOYMENT, "spec.selector.matchLabels.app", "cache", "replace"),
    (DEPLOYMENT, "spec.replicas", 3, "update"),
    (DEPLOYMENT, "spec.template.spec", {"containers": []}, "update"),
    # job
    (JOB, "spec.template.spec.restartPolicy", "OnFailure", "replace"),
    (JOB, "spec.completions", 2, "replace"),
    (JOB, "spec.parallelism", 2, "replace"),
    (JOB, "spec.backoffLimit", 2, "update"),
    # core v1
    (SERVICE, "spec.clusterIP", "10.0.0.9", "replace"),
    (SERVICE, "spec.type", "NodePort", "update"),
    (SERVICE, "spec.ports.0.port", 81, "update"),
    (CLAIM, "spec.accessModes.0", "ReadWriteMany", "replace"),
    (CLAIM, "spec.accessModes", ["ReadWriteOnce", "ReadOnlyMany"], "replace"),
    (CLAIM, "spec.storageClassName", "hdd", "replace"),
    (CLAIM, "spec.volumeName", "pv-2", "replace"),
    (CLAIM, "spec.resources.requests.storage", "16Gi", "update"),
    (POD, "spec.containers.0.image", "app:2", "replace"),
    (POD, "spec.restartPolicy", "Never", "replace"),
    (POD, "spec.activeDeadlineSeconds", 30, "update"),
    (QUOTA, "spec.scopes.0", "NotBestEffort", "replace"),
    (QUOTA, "spec.hard.pods", "5", "update"),
    (SECRET, "type", "kubernetes.io/basic-auth", "replace"),
    (SECRET, "metadata.labels", {"a": "b"}, "update"),
    # Secret and ConfigMap data: replaced unless the provider makes them mutable
    (SECRET, "stringData.user", "admin", "replace"),
    (CONFIG_MAP, "data.redis", "maxmemory 2mb", "replace"),
    (CONFIG_MAP, "metadata.labels", {"a": "b"}, "update"),
    # policy: only v1beta1 budgets are replaced
    (manifest("PodDisruptionBudget", "policy/v1", BUDGET), "spec.minAvailable", 2, "update"),
    (manifest("PodDisruptionBudget", "policy/v1beta1", BUDGET), "spec.minAvailable", 2, "replace"),
    (
        manifest("RoleBinding", "rbac.authorization.k8s.io/v1", roleRef={"kind": "Role", "name": "a"}),
        "roleRef.name",
        "b",
        "replace",
    ),
    (
        manifest("StorageClass", "storage.k8s.io/v1", provisioner="a", parameters={"type": "gp2"}),
        "parameters.type",
        "gp3",
        "replace",
    ),
    # identity of every object
    (SERVICE, "metadata.name", "y", "replace"),
    (SERVICE, "metadata.namespace", "other", "replace"),
    # terraform-provider-cloudflare schema.go RequiresReplace
    (RULESET, "inputs.phase", "http_request_firewall_custom", "replace"),
    (RULESET, "inputs.kind", "custom", "replace"),
    (RULESET, "inputs.name", "m", "replace"),
    (RULESET, "inputs.zoneId", "y", "replace"),
    (RULESET, "inputs.rules.0.action", "log", "update"),
    (RECORD, "inputs.type", "AAAA", "replace"),
    (RECORD, "inputs.zoneId", "y", "replace"),
    (RECORD, "inputs.name", "c.b", "update"),
    (RECORD, "inputs.content", "1.0.0.1", "update"),
    (SETTING, "inputs.settingId", "tls_1_3", "replace"),
    (SETTING, "inputs.value", "strict", "update"),
    (TIERED, "inputs.value", "off", "update"),
    (TIERED, "inputs.zoneId", "y", "replace"),
    (
        inputs_of("cloudflare:index/botManagement:BotManagement", zoneId="z", fightMode=False),
        "inputs.fightMode",
        True,
        "update",
    ),
    (inputs_of("cloudflare:index/botManagement:BotManagement", zoneId="z"), "inputs.zoneId", "y", "replace"),
    (
        inputs_of("cloudflare:index/zoneDnssec:ZoneDnssec", zoneId="z", status="active"),
        "inputs.status",
        "disabled",
        "update",
    ),
    (
        inputs_of(
            "cloudflare:index/urlNormalizationSettings:UrlNormalizationSettings",
            zoneId="z",
            type="cloudflare",
        ),
        "inputs.type",
        "rfc3986",
        "update",
    ),
    (ZONE, "inputs.account.id", "2", "replace"),
    (ZONE, "inputs.name", "b.com", "replace"),
    # terraform-provider-random resource_password.go: every input
    (PASSWORD, "inputs.length", 40, "replace"),
    (PASSWORD, "inputs.special", True, "replace"),
]


@pytest.mark.parametrize(("document", "path", "value", "op"), PROVIDER_CASES)
def test_a_field_change_gets_the_providers_verdict(
    document: dict[str, Any], path: str, value: Any, op: str
) -> None:
    change = only_change(diff_one(document, _set(path, value)))
    assert change.op == op, change.fields
    assert bool(change.replace_because) == (op == "replace")


def test_a_change_inside_a_list_element_is_judged_by_the_lists_rule() -> None:
    change = only_change(diff_one(CLAIM, _set("spec.accessModes.0", "ReadWriteMany")))
    assert [(f.path, f.old, f.new) for f in change.fields] == [
        ("spec.accessModes[0]", "ReadWriteOnce", "ReadWriteMany")
    ]
    assert change.replace_because == ("spec.accessModes[0]",)


@pytest.mark.parametrize(
    ("document", "setting", "path", "value"),
    [
        (CONFIG_MAP, "enableConfigMapMutable", "data.redis", "maxmemory 2mb"),
        (SECRET, "enableSecretMutable", "stringData.user", "admin"),
    ],
)
def test_the_providers_mutable_settings_make_data_an_update_unless_immutable(
    document: dict[str, Any], setting: str, path: str, value: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = {f"kubernetes:{setting}": "true"}
    assert only_change(diff_one(document, _set(path, value), config=config)).op == "update"
    immutable = document | {"immutable": True}
    assert only_change(diff_one(immutable, _set(path, value), config=config)).op == "replace"
    # The stack config wins over the environment variable, which counts when the config is silent.
    environment = (
        "PULUMI_K8S_ENABLE_CONFIGMAP_MUTABLE"
        if "ConfigMap" in setting
        else "PULUMI_K8S_ENABLE_SECRET_MUTABLE"
    )
    monkeypatch.setenv(environment, "true")
    assert only_change(diff_one(document, _set(path, value))).op == "update"
    off = {f"kubernetes:{setting}": "false"}
    assert only_change(diff_one(document, _set(path, value), config=off)).op == "replace"


def test_a_named_kubernetes_object_is_deleted_before_its_replacement() -> None:
    assert only_change(diff_one(STATEFULSET, _set("spec.serviceName", "b"))).delete_first
    # A new name: the new object can exist beside the old one.
    assert not only_change(diff_one(STATEFULSET, _set("metadata.name", "y"))).delete_first
    assert not only_change(diff_one(RULESET, _set("inputs.phase", "q"))).delete_first


def test_delete_before_replace_in_the_program_overrides_the_provider() -> None:
    first = diff_one(RULESET, _set("inputs.phase", "q"), new_options={"delete_before_replace": True})
    assert only_change(first).delete_first
    later = diff_one(STATEFULSET, _set("spec.serviceName", "b"), new_options={"delete_before_replace": False})
    assert not only_change(later).delete_first


@pytest.mark.parametrize(
    ("patterns", "op"),
    [
        (("spec.replicas",), "replace"),
        (("spec.*",), "replace"),
        (("*",), "replace"),
        (("spec.template",), "update"),
        (("spec.replicas.nested",), "update"),
    ],
)
def test_replace_on_changes_turns_a_matching_update_into_a_replacement(
    patterns: tuple[str, ...], op: str
) -> None:
    diff = diff_one(DEPLOYMENT, _set("spec.replicas", 5), new_options={"replace_on_changes": patterns})
    assert only_change(diff).op == op


def test_ignore_changes_keeps_the_deployed_value() -> None:
    ignored = diff_one(
        DEPLOYMENT, _set("spec.replicas", 5), new_options={"ignore_changes": ("spec.replicas",)}
    )
    assert ignored.changes == [] and ignored.unchanged == 1

    # Only the named field: another change in the same object still shows, with the ignored one named.
    def both(document: dict[str, Any]) -> None:
        document["spec"]["replicas"] = 5
        document["spec"]["selector"] = {"matchLabels": {"app": "other"}}

    change = only_change(diff_one(DEPLOYMENT, both, new_options={"ignore_changes": ("spec.replicas",)}))
    assert [f.path for f in change.fields] == ["spec.selector.matchLabels.app"]
    assert change.ignored == ("spec.replicas",) and change.op == "replace"


def test_ignore_changes_cannot_ignore_an_added_list_element() -> None:
    def add_port(document: dict[str, Any]) -> None:
        document["spec"]["ports"].append({"port": 443})

    options = {"ignore_changes": ("spec.ports[1]",)}
    change = only_change(diff_one(SERVICE, add_port, new_options=options))
    assert change.op == "update" and change.ignored == ()


@pytest.mark.parametrize(
    ("old_protect", "new_protect", "blocked"), [(True, True, True), (True, False, False)]
)
def test_a_protected_resource_cannot_be_replaced(old_protect: bool, new_protect: bool, blocked: bool) -> None:
    diff = diff_one(
        STATEFULSET,
        _set("spec.serviceName", "b"),
        old_options={"protect": old_protect},
        new_options={"protect": new_protect},
    )
    assert bool(only_change(diff).blocked) == blocked


def test_a_protected_resource_cannot_be_deleted() -> None:
    old = Rendering({"a.yaml": STATEFULSET}, [ResourceRecord(URN, file="a.yaml", protect=True)])
    new = Rendering({"b.yaml": SERVICE}, [ResourceRecord(URN.replace("::a", "::b"), file="b.yaml")])
    deleted = next(c for c in diff_renderings(old, new).changes if c.op == "delete")
    assert "protected" in deleted.blocked


def test_a_new_resource_the_program_imports_is_adopted_and_cannot_be_replaced() -> None:
    imported = ResourceRecord(URN, file="a.yaml", import_id="existing-id")
    adopted = diff_renderings(Rendering({}, [ResourceRecord("urn:pulumi:s::p::t:m:Other::b")]),
                              Rendering({"a.yaml": RULESET}, [imported]))  # fmt: skip
    assert [(c.op, c.name) for c in adopted.changes] == [("import", "x")]
    replaced = diff_one(
        RULESET, _set("inputs.phase", "http_request_firewall_custom"), new_options={"import_id": "id"}
    )
    assert "import_" in only_change(replaced).blocked
    assert not only_change(
        diff_one(RULESET, _set("inputs.rules.0.action", "log"), new_options={"import_id": "id"})
    ).blocked


@pytest.mark.parametrize(("inputs", "op"), [({"enableConfigMapMutable": "true"}, "update"), ({}, "replace")])
def test_an_explicit_providers_own_settings_decide_not_the_stack_config(
    inputs: dict[str, str], op: str
) -> None:
    provider_urn = "urn:pulumi:s::p::pulumi:providers:kubernetes::cluster"
    provider = {"type": "pulumi:providers:kubernetes", "name": "cluster", "inputs": inputs}
    records = [
        ResourceRecord(provider_urn, file="p.yaml"),
        ResourceRecord(URN, file="a.yaml", provider=provider_urn),
    ]
    edited = copy.deepcopy(CONFIG_MAP)
    edited["data"]["redis"] = "maxmemory 2mb"
    # The stack config's kubernetes:... keys configure only the default provider.
    stack_config = {"kubernetes:enableConfigMapMutable": "true" if op == "replace" else "false"}
    diff = diff_renderings(
        Rendering({"p.yaml": provider, "a.yaml": CONFIG_MAP}, records),
        Rendering({"p.yaml": provider, "a.yaml": edited}, records),
        config=stack_config,
    )
    assert only_change(diff).op == op


@pytest.mark.parametrize(
    ("before", "after"),
    [
        # Writing out a default, or dropping one, plans the same password: no replacement.
        ({}, {"upper": True, "lower": True, "minNumeric": 0}),
        ({"special": True}, {}),
        ({"minSpecial": 0, "upper": True}, {}),
    ],
)
def test_a_bridged_input_set_to_its_schema_default_changes_nothing(
    before: dict[str, Any], after: dict[str, Any]
) -> None:
    """terraform-provider-random resource_password.go, passwordSchemaV3: ``special``, ``upper`` and
    ``lower`` default to true and the ``min*`` counts to 0 (``Default``); the framework plans the
    default for an input left out, so the plan equals the state and RequiresReplace never fires."""
    old = inputs_of("random:index/randomPassword:RandomPassword", length=32, **before)
    diff = diff_one(old, lambda document: document.update(inputs={"length": 32, **after}))
    assert diff.changes == [] and diff.unchanged == 1
    # A real change of the same input still replaces.
    changed = diff_one(old, lambda document: document["inputs"].update(upper=False))
    assert only_change(changed).op == "replace"
