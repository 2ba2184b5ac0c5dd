"""pulumi_docker inputs as the Docker Engine API objects the provider creates from them.

Ported field by field from the provider's code (pulumi-docker bridges kreuzwerker's
terraform-provider-docker: ``internal/provider/resource_docker_service_structures.go``
``createServiceSpec`` and friends, ``resource_docker_network_funcs.go``,
``resource_docker_volume.go``, ``resource_docker_secret.go``, ``resource_docker_config.go``).
Inputs arrive with wire (camelCase) names, as the mock runtime records them. An input this
mapping does not know is an error: nothing is silently dropped.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping
from typing import Any

NETWORK = "docker:index/network:Network"
VOLUME = "docker:index/volume:Volume"
SECRET = "docker:index/secret:Secret"
CONFIG = "docker:index/serviceConfig:ServiceConfig"
SERVICE = "docker:index/service:Service"
# Provider-side options that are not part of the ServiceSpec.
CONVERGE_CONFIG = "convergeConfig"

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_NANOS = {"ns": 1, "us": 1_000, "µs": 1_000, "ms": 1_000_000, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}


class UnknownInputError(ValueError):
    """An input the mapping does not know (or a value it cannot translate)."""


def duration_ns(text: str, path: str) -> int:
    """Go's time.ParseDuration for the forms the provider accepts (``"10s"``, ``"1m30s"``)."""
    if text in ("0", ""):
        return 0
    parts = _DURATION.findall(text)
    if not parts or "".join(f"{n}{u}" for n, u in parts) != text:
        raise UnknownInputError(f"{path}: {text!r} is not a duration like '10s'")
    return int(sum(float(number) * _NANOS[unit] for number, unit in parts))


def _check(value: Any, path: str, known: set[str]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise UnknownInputError(f"{path}: expected an object, got {type(value).__name__}")
    unknown = sorted(set(value) - known)
    if unknown:
        raise UnknownInputError(f"{path}: unknown input(s) {', '.join(unknown)}")
    return value


def _labels(items: Any) -> dict[str, str]:
    return {item["label"]: item["value"] for item in items or []}


def _int(value: Any) -> int:
    return int(value)


def _put(target: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        target[key] = value


def _optional(source: Mapping[str, Any], key: str, convert: Callable[[Any], Any]) -> Any:
    return convert(source[key]) if key in source else None


def network_create(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """POST /networks/create."""
    known = {"name", "driver", "attachable", "internal", "ingress", "options", "labels", "ipamDriver"}
    _check(inputs, "network", known)
    body: dict[str, Any] = {"Name": inputs["name"], "CheckDuplicate": True}
    _put(body, "Driver", inputs.get("driver"))
    for key in ("attachable", "internal", "ingress"):
        _put(body, key.capitalize(), inputs.get(key))
    _put(body, "Options", inputs.get("options"))
    _put(body, "Labels", _labels(inputs.get("labels")) or None)
    if "ipamDriver" in inputs:
        body["IPAM"] = {"Driver": inputs["ipamDriver"]}
    return body


def volume_create(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """POST /volumes/create."""
    _check(inputs, "volume", {"name", "driver", "driverOpts", "labels"})
    body: dict[str, Any] = {"Name": inputs["name"]}
    _put(body, "Driver", inputs.get("driver"))
    _put(body, "DriverOpts", inputs.get("driverOpts"))
    _put(body, "Labels", _labels(inputs.get("labels")) or None)
    return body


def secret_spec(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """POST /secrets/create: ``data`` is already base64, as the Engine API wants it."""
    _check(inputs, "secret", {"name", "data", "labels"})
    return {"Name": inputs["name"], "Data": inputs["data"], "Labels": _labels(inputs.get("labels"))}


def config_spec(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """POST /configs/create: ``dataRaw`` is plain text, ``data`` base64."""
    _check(inputs, "serviceConfig", {"name", "data", "dataRaw", "labels"})
    if "dataRaw" in inputs:
        data = base64.b64encode(str(inputs["dataRaw"]).encode()).decode()
    else:
        data = inputs["data"]
    return {"Name": inputs["name"], "Data": data, "Labels": _labels(inputs.get("labels"))}


def _file_reference(item: Mapping[str, Any], path: str, kind: str) -> dict[str, Any]:
    _check(item, path, {f"{kind}Id", f"{kind}Name", "fileName", "fileUid", "fileGid", "fileMode"})
    prefix = kind.capitalize()
    return {
        f"{prefix}ID": item[f"{kind}Id"],
        f"{prefix}Name": item.get(f"{kind}Name"),
        "File": {
            "Name": item["fileName"],
            "UID": item.get("fileUid", "0"),
            "GID": item.get("fileGid", "0"),
            "Mode": _int(item.get("fileMode", 0o444)),
        },
    }


def _mount(item: Mapping[str, Any], path: str) -> dict[str, Any]:
    _check(item, path, {"type", "target", "source", "readOnly", "tmpfsOptions", "volumeOptions"})
    mount: dict[str, Any] = {"Type": item["type"], "Target": item["target"], "Source": item.get("source", "")}
    _put(mount, "ReadOnly", item.get("readOnly"))
    if "tmpfsOptions" in item:
        tmpfs = _check(item["tmpfsOptions"], f"{path}.tmpfsOptions", {"sizeBytes", "mode"})
        mount["TmpfsOptions"] = {
            key: _int(tmpfs[name])
            for key, name in (("SizeBytes", "sizeBytes"), ("Mode", "mode"))
            if name in tmpfs
        }
    if "volumeOptions" in item:
        volume = _check(item["volumeOptions"], f"{path}.volumeOptions", {"noCopy", "labels"})
        mount["VolumeOptions"] = {
            "NoCopy": bool(volume.get("noCopy")),
            "Labels": _labels(volume.get("labels")),
        }
    return mount


def _healthcheck(value: Any, path: str) -> dict[str, Any]:
    check = _check(value, path, {"tests", "interval", "timeout", "startPeriod", "retries"})
    health: dict[str, Any] = {"Test": list(check["tests"])}
    for key, name in (("Interval", "interval"), ("Timeout", "timeout"), ("StartPeriod", "startPeriod")):
        if name in check:
            health[key] = duration_ns(check[name], f"{path}.{name}")
    _put(health, "Retries", _optional(check, "retries", _int))
    return health


_CONTAINER_KNOWN = {
    "image", "commands", "args", "env", "user", "dir", "hostname", "readOnly", "capAdds", "capDrops",
    "mounts", "secrets", "configs", "healthcheck", "stopGracePeriod", "stopSignal", "init", "labels",
}  # fmt: skip


def container_spec(value: Any, path: str) -> dict[str, Any]:
    spec = _check(value, path, _CONTAINER_KNOWN)
    out: dict[str, Any] = {"Image": spec["image"]}
    _put(out, "Command", spec.get("commands"))
    _put(out, "Args", spec.get("args"))
    if "env" in spec:
        out["Env"] = [f"{key}={val}" for key, val in spec["env"].items()]
    for key, name in (
        ("User", "user"),
        ("Dir", "dir"),
        ("Hostname", "hostname"),
        ("StopSignal", "stopSignal"),
    ):
        _put(out, key, spec.get(name))
    _put(out, "ReadOnly", spec.get("readOnly"))
    _put(out, "CapabilityAdd", spec.get("capAdds"))
    _put(out, "CapabilityDrop", spec.get("capDrops"))
    _put(out, "Init", spec.get("init"))
    _put(out, "Labels", _labels(spec.get("labels")) or None)
    if "mounts" in spec:
        out["Mounts"] = [_mount(m, f"{path}.mounts[{i}]") for i, m in enumerate(spec["mounts"])]
    if "secrets" in spec:
        out["Secrets"] = [
            _file_reference(s, f"{path}.secrets[{i}]", "secret") for i, s in enumerate(spec["secrets"])
        ]
    if "configs" in spec:
        out["Configs"] = [
            _file_reference(c, f"{path}.configs[{i}]", "config") for i, c in enumerate(spec["configs"])
        ]
    if "healthcheck" in spec:
        out["Healthcheck"] = _healthcheck(spec["healthcheck"], f"{path}.healthcheck")
    if "stopGracePeriod" in spec:
        out["StopGracePeriod"] = duration_ns(spec["stopGracePeriod"], f"{path}.stopGracePeriod")
    return out


def _resources(value: Any, path: str) -> dict[str, Any]:
    spec = _check(value, path, {"limits", "reservation"})
    out: dict[str, Any] = {}
    for key, name in (("Limits", "limits"), ("Reservations", "reservation")):
        if name in spec:
            amounts = _check(spec[name], f"{path}.{name}", {"nanoCpus", "memoryBytes"})
            out[key] = {
                k: _int(amounts[n])
                for k, n in (("NanoCPUs", "nanoCpus"), ("MemoryBytes", "memoryBytes"))
                if n in amounts
            }
    return out


def _restart_policy(value: Any, path: str) -> dict[str, Any]:
    spec = _check(value, path, {"condition", "delay", "maxAttempts", "window"})
    out: dict[str, Any] = {}
    _put(out, "Condition", spec.get("condition"))
    for key, name in (("Delay", "delay"), ("Window", "window")):
        if name in spec:
            out[key] = duration_ns(spec[name], f"{path}.{name}")
    _put(out, "MaxAttempts", _optional(spec, "maxAttempts", _int))
    return out


def _placement(value: Any, path: str) -> dict[str, Any]:
    spec = _check(value, path, {"constraints", "prefs", "maxReplicas"})
    out: dict[str, Any] = {"Constraints": list(spec.get("constraints") or [])}
    if spec.get("prefs"):
        out["Preferences"] = [{"Spread": {"SpreadDescriptor": pref}} for pref in spec["prefs"]]
    _put(out, "MaxReplicas", _optional(spec, "maxReplicas", _int))
    return out


def _networks(value: Any, path: str) -> list[dict[str, Any]]:
    networks = []
    for index, item in enumerate(value):
        spec = _check(item, f"{path}[{index}]", {"name", "id", "aliases", "driverOpts"})
        target = spec.get("id") or spec.get("name")
        if not target:
            raise UnknownInputError(f"{path}[{index}]: network 'name' or 'id' must be specified")
        network: dict[str, Any] = {"Target": target}
        _put(network, "Aliases", spec.get("aliases"))
        _put(network, "DriverOpts", spec.get("driverOpts"))
        networks.append(network)
    return networks


def task_template(value: Any, path: str = "taskSpec") -> dict[str, Any]:
    spec = _check(
        value,
        path,
        {"containerSpec", "resources", "restartPolicy", "placement", "networksAdvanceds", "forceUpdate"},
    )
    out: dict[str, Any] = {"ContainerSpec": container_spec(spec["containerSpec"], f"{path}.containerSpec")}
    if "resources" in spec:
        out["Resources"] = _resources(spec["resources"], f"{path}.resources")
    if "restartPolicy" in spec:
        out["RestartPolicy"] = _restart_policy(spec["restartPolicy"], f"{path}.restartPolicy")
    if "placement" in spec:
        out["Placement"] = _placement(spec["placement"], f"{path}.placement")
    if "networksAdvanceds" in spec:
        out["Networks"] = _networks(spec["networksAdvanceds"], f"{path}.networksAdvanceds")
    _put(out, "ForceUpdate", _optional(spec, "forceUpdate", _int))
    return out


def _update_config(value: Any, path: str) -> dict[str, Any]:
    spec = _check(
        value, path, {"parallelism", "delay", "failureAction", "monitor", "maxFailureRatio", "order"}
    )
    out: dict[str, Any] = {}
    _put(out, "Parallelism", _optional(spec, "parallelism", _int))
    for key, name in (("Delay", "delay"), ("Monitor", "monitor")):
        if name in spec:
            out[key] = duration_ns(spec[name], f"{path}.{name}")
    _put(out, "FailureAction", spec.get("failureAction"))
    _put(out, "MaxFailureRatio", _optional(spec, "maxFailureRatio", float))
    _put(out, "Order", spec.get("order"))
    return out


def _mode(value: Any, path: str) -> dict[str, Any]:
    spec = _check(value, path, {"replicated", "global"})
    if spec.get("global"):
        return {"Global": {}}
    replicated = _check(spec.get("replicated") or {}, f"{path}.replicated", {"replicas"})
    return {"Replicated": {"Replicas": _int(replicated.get("replicas", 1))}}


def _endpoint_spec(value: Any, path: str) -> dict[str, Any]:
    spec = _check(value, path, {"mode", "ports"})
    out: dict[str, Any] = {}
    _put(out, "Mode", spec.get("mode"))
    ports = []
    for index, port in enumerate(spec.get("ports") or []):
        item = _check(
            port, f"{path}.ports[{index}]", {"name", "protocol", "targetPort", "publishedPort", "publishMode"}
        )
        ports.append(
            {
                "Name": item.get("name", ""),
                "Protocol": item.get("protocol", "tcp"),
                "TargetPort": _int(item["targetPort"]),
                "PublishedPort": _int(item.get("publishedPort", 0)),
                "PublishMode": item.get("publishMode", "ingress"),
            }
        )
    if ports:
        out["Ports"] = ports
    return out


def service_spec(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """POST /services/create (``createServiceSpec``); convergeConfig is the provider's own wait."""
    known = {"name", "labels", "taskSpec", "mode", "updateConfig", "rollbackConfig", "endpointSpec"}
    known.add(CONVERGE_CONFIG)
    _check(inputs, "service", known)
    spec: dict[str, Any] = {
        "Name": inputs["name"],
        "Labels": _labels(inputs.get("labels")),
        "TaskTemplate": task_template(inputs["taskSpec"]),
        "Mode": _mode(inputs.get("mode") or {"replicated": {"replicas": 1}}, "mode"),
    }
    if "updateConfig" in inputs:
        spec["UpdateConfig"] = _update_config(inputs["updateConfig"], "updateConfig")
    if "rollbackConfig" in inputs:
        spec["RollbackConfig"] = _update_config(inputs["rollbackConfig"], "rollbackConfig")
    if "endpointSpec" in inputs:
        spec["EndpointSpec"] = _endpoint_spec(inputs["endpointSpec"], "endpointSpec")
    return spec


ENGINE_OBJECTS: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    NETWORK: network_create,
    VOLUME: volume_create,
    SECRET: secret_spec,
    CONFIG: config_spec,
    SERVICE: service_spec,
}


def engine_object(resource_type: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The Engine API body for a pulumi_docker resource; UnknownInputError for anything else."""
    if resource_type not in ENGINE_OBJECTS:
        raise UnknownInputError(f"{resource_type}: no Engine API mapping for this resource type")
    return ENGINE_OBJECTS[resource_type](inputs)
