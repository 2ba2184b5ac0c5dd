"""Which input changes make a provider replace a resource instead of updating it: the one table.

Each row names a type token and the input paths (wire names) whose change forces a new
resource, with the source file it was read from. A path covers everything below it (a change
of ``spec.accessModes[0]`` is a change of ``spec.accessModes``); ``[*]`` stands for any list
element. Kubernetes rows hold for every resource of the kind in that API group and version,
as in pulumi-kubernetes, which keys its table by the object's group, version and kind.

How a row is matched is per provider (``preview/providers/``); the engine's own rules
(``replace_on_changes``, ``delete_before_replace``, ``protect``) are applied in
``preview/verdicts.py``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ForceNew:
    type: str
    paths: tuple[str, ...]
    # A provider setting that lifts the row while the object is not marked ``immutable``.
    unless: str = ""


_STATEFULSET = (
    "spec.podManagementPolicy",
    "spec.revisionHistoryLimit",
    "spec.selector",
    "spec.serviceName",
    "spec.volumeClaimTemplates",
)
_JOB = ("spec.completions", "spec.parallelism", "spec.selector", "spec.template")
_CONTAINER_FIELDS = (
    "args",
    "command",
    "env",
    "image",
    "imagePullPolicy",
    "lifecycle",
    "livenessProbe",
    "ports",
    "readinessProbe",
    "resources",
    "securityContext",
    "stdin",
    "stdinOnce",
    "terminationMessagePath",
    "terminationMessagePolicy",
    "tty",
    "volumeDevices",
    "volumeMounts",
    "workingDir",
)
_POD = (
    "spec.affinity",
    "spec.automountServiceAccountToken",
    "spec.dnsConfig",
    "spec.dnsPolicy",
    "spec.enableServiceLinks",
    "spec.hostAliases",
    "spec.hostIPC",
    "spec.hostNetwork",
    "spec.hostPID",
    "spec.hostname",
    "spec.imagePullSecrets",
    "spec.nodeName",
    "spec.nodeSelector",
    "spec.overhead",
    "spec.preemptionPolicy",
    "spec.priority",
    "spec.priorityClassName",
    "spec.readinessGates",
    "spec.restartPolicy",
    "spec.runtimeClassName",
    "spec.schedulerName",
    "spec.securityContext",
    "spec.serviceAccount",
    "spec.serviceAccountName",
    "spec.shareProcessNamespace",
    "spec.subdomain",
    "spec.terminationGracePeriodSeconds",
    "spec.volumes",
    *(
        f"spec.{list_}[*].{field}"
        for list_ in ("containers", "initContainers")
        for field in _CONTAINER_FIELDS
    ),
)
_PERSISTENT_VOLUME_SOURCES = (
    "awsElasticBlockStore",
    "azureDisk",
    "azureFile",
    "cephfs",
    "cinder",
    "csi",
    "fc",
    "flexVolume",
    "flocker",
    "gcePersistentDisk",
    "glusterfs",
    "hostPath",
    "iscsi",
    "local",
    "nfs",
    "photonPersistentDisk",
    "portworxVolume",
    "quobyte",
    "rbd",
    "scaleIO",
    "storageos",
    "vsphereVolume",
)

FORCE_NEW: tuple[ForceNew, ...] = (
    # pulumi-kubernetes provider/pkg/provider/diff.go: metadataForceNewProperties (every kind)
    ForceNew("kubernetes:*", ("metadata.name", "metadata.namespace")),
    # pulumi-kubernetes provider/pkg/provider/diff.go: forceNew["apps"]["v1beta1"], statefulSet
    ForceNew("kubernetes:apps/v1beta1:StatefulSet", _STATEFULSET),
    # pulumi-kubernetes provider/pkg/provider/diff.go: forceNew["apps"]["v1beta2" and "v1"]
    ForceNew("kubernetes:apps/v1beta2:StatefulSet", _STATEFULSET),
    ForceNew("kubernetes:apps/v1:StatefulSet", _STATEFULSET),
    ForceNew("kubernetes:apps/v1beta2:Deployment", ("spec.selector",)),
    ForceNew("kubernetes:apps/v1:Deployment", ("spec.selector",)),
    ForceNew("kubernetes:apps/v1beta2:DaemonSet", ("spec.selector",)),
    ForceNew("kubernetes:apps/v1:DaemonSet", ("spec.selector",)),
    # pulumi-kubernetes provider/pkg/provider/diff.go: forceNew["batch"], job
    ForceNew("kubernetes:batch/v1:Job", _JOB),
    ForceNew("kubernetes:batch/v1beta1:Job", _JOB),
    ForceNew("kubernetes:batch/v2alpha1:Job", _JOB),
    # pulumi-kubernetes provider/pkg/provider/diff.go: core["v1"]
    ForceNew("kubernetes:core/v1:PersistentVolume", tuple(f"spec.{s}" for s in _PERSISTENT_VOLUME_SOURCES)),
    ForceNew(
        "kubernetes:core/v1:PersistentVolumeClaim",
        ("spec.accessModes", "spec.selector", "spec.storageClassName", "spec.volumeName"),
    ),
    ForceNew("kubernetes:core/v1:Pod", _POD),
    ForceNew("kubernetes:core/v1:ResourceQuota", ("spec.scopes",)),
    ForceNew("kubernetes:core/v1:Service", ("spec.clusterIP",)),
    ForceNew("kubernetes:core/v1:Secret", ("type",)),
    # pulumi-kubernetes provider/pkg/provider/diff.go: forceNewProperties, Secret and ConfigMap data
    # unless the provider's enableSecretMutable / enableConfigMapMutable is on (default off, from
    # provider/pkg/provider/provider.go) and the object is not ``immutable`` (clients.IsImmutable)
    ForceNew("kubernetes:core/v1:Secret", ("type", "stringData", "data"), unless="enableSecretMutable"),
    ForceNew("kubernetes:core/v1:ConfigMap", ("binaryData", "data"), unless="enableConfigMapMutable"),
    # pulumi-kubernetes provider/pkg/provider/diff.go: forceNew["policy"]["v1beta1"] (policy/v1 updates)
    ForceNew("kubernetes:policy/v1beta1:PodDisruptionBudget", ("spec",)),
    # pulumi-kubernetes provider/pkg/provider/diff.go: forceNew["rbac.authorization.k8s.io"], roleBinding
    *(
        ForceNew(f"kubernetes:rbac.authorization.k8s.io/{version}:{kind}", ("roleRef",))
        for version in ("v1alpha1", "v1beta1", "v1")
        for kind in ("RoleBinding", "ClusterRoleBinding")
    ),
    # pulumi-kubernetes provider/pkg/provider/diff.go: forceNew["storage.k8s.io"]["v1"]
    ForceNew("kubernetes:storage.k8s.io/v1:StorageClass", ("parameters", "provisioner")),
    # terraform-provider-cloudflare internal/services/zone/schema.go (RequiresReplace)
    ForceNew("cloudflare:index/zone:Zone", ("name", "account")),
    # terraform-provider-cloudflare internal/services/zone_setting/schema.go (RequiresReplace)
    ForceNew("cloudflare:index/zoneSetting:ZoneSetting", ("zoneId", "settingId")),
    # terraform-provider-cloudflare internal/services/ruleset/schema.go (RequiresReplace)
    ForceNew("cloudflare:index/ruleset:Ruleset", ("accountId", "zoneId", "kind", "name", "phase")),
    # terraform-provider-cloudflare internal/services/dns_record/schema.go (RequiresReplace; a
    # record's name is updated in place)
    ForceNew("cloudflare:index/dnsRecord:DnsRecord", ("zoneId", "type")),
    # terraform-provider-cloudflare internal/services/tiered_cache/schema.go (RequiresReplace)
    ForceNew("cloudflare:index/tieredCache:TieredCache", ("zoneId",)),
    # terraform-provider-cloudflare internal/services/bot_management/schema.go (RequiresReplace)
    ForceNew("cloudflare:index/botManagement:BotManagement", ("zoneId",)),
    # terraform-provider-cloudflare internal/services/url_normalization_settings/schema.go (RequiresReplace)
    ForceNew("cloudflare:index/urlNormalizationSettings:UrlNormalizationSettings", ("zoneId",)),
    # terraform-provider-cloudflare internal/services/zone_dnssec/schema.go (RequiresReplace)
    ForceNew("cloudflare:index/zoneDnssec:ZoneDnssec", ("zoneId",)),
    # terraform-provider-docker internal/provider/resource_docker_service.go: only the name and
    # the registry auth are ForceNew; everything else is a service update (a rolling one)
    ForceNew("docker:index/service:Service", ("name", "auth")),
    # terraform-provider-docker internal/provider/resource_docker_{network,volume,secret,config}.go:
    # no Update function, every input ForceNew (labels included)
    ForceNew(
        "docker:index/network:Network",
        (
            "name",
            "labels",
            "driver",
            "options",
            "internal",
            "attachable",
            "ingress",
            "ipv6",
            "ipamDriver",
            "ipamOptions",
            "ipamConfigs",
        ),
    ),
    ForceNew("docker:index/volume:Volume", ("name", "labels", "driver", "driverOpts", "cluster")),
    ForceNew("docker:index/secret:Secret", ("name", "labels", "data")),
    ForceNew("docker:index/serviceConfig:ServiceConfig", ("name", "labels", "data", "dataRaw")),
    # terraform-provider-random internal/provider/resource_id.go: every input (RequiresReplace;
    # keepers only when their values are set)
    ForceNew("random:index/randomId:RandomId", ("keepers", "byteLength", "prefix")),
    # terraform-provider-random internal/provider/resource_password.go, passwordSchemaV3: every
    # input (RequiresReplace; keepers only when their values are set)
    ForceNew(
        "random:index/randomPassword:RandomPassword",
        (
            "keepers",
            "length",
            "special",
            "upper",
            "lower",
            "number",
            "numeric",
            "minNumeric",
            "minUpper",
            "minLower",
            "minSpecial",
            "overrideSpecial",
        ),
    ),
)


def rules_for(type_: str) -> list[ForceNew]:
    """The rows for ``type_``, including the rows of its provider as a whole (``kubernetes:*``)."""
    provider = type_.split(":", 1)[0]
    return [row for row in FORCE_NEW if row.type in (type_, f"{provider}:*")]


def _fields(path: str) -> tuple[str, ...]:
    """``spec.containers[*].image`` -> ``("spec", "containers", "image")``: list positions dropped."""
    return tuple(part for part in path.replace("[*]", "").split(".") if part)


def covers(rule_path: str, keys: tuple[str | int, ...], new_value: object) -> bool:
    """Whether a change at ``keys`` (new value ``new_value``) touches ``rule_path``.

    pulumi-kubernetes (``openapi.PatchPropertiesChanged`` on the patch slice of one change)
    matches the row's JSONPath against the changed value with list positions collapsed: a
    change at or below the path matches, and so does a change of a parent whose new value
    holds the path. A bridged provider's RequiresReplace attribute matches any change in it.
    """
    rule = _fields(rule_path)
    changed = tuple(key for key in keys if isinstance(key, str))
    if changed[: len(rule)] == rule:
        return True
    if rule[: len(changed)] != changed:
        return False
    return _holds(new_value, rule[len(changed) :], rule_path.count("[*]") > 0)


def _holds(value: object, rest: tuple[str, ...], any_element: bool) -> bool:
    if not rest:
        return True
    if isinstance(value, list):
        return any_element and any(_holds(item, rest, any_element) for item in value)
    return isinstance(value, dict) and rest[0] in value and _holds(value[rest[0]], rest[1:], any_element)
