"""A pulumi_docker Container's inputs as the Docker Engine API calls the provider makes for it.

Ported field by field from terraform-provider-docker v4.5.0 (the version pulumi-docker 5
bridges), ``internal/provider/resource_docker_container_funcs.go``
``resourceDockerContainerCreate``: ``POST /containers/create`` (Config and HostConfig), then
``POST /networks/{name}/connect`` per ``networks_advanced`` entry (after leaving the default
``bridge``), ``PUT /containers/{id}/archive`` per upload (a one-file tar at ``/``), and the
start and waits. pulumi-docker 5.2's schema adds an upload's ``owner`` and ``group``: numeric
ids become the tar entry's uid and gid (names would be looked up on the machine running
Pulumi, so only numbers are mapped here). An input this mapping does not know is an error.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from preview.docker_api import UnknownInputError, _check, _int, _labels, _put, duration_ns
from preview.synth import REDACTED

CONTAINER = "docker:index/container:Container"
MIB = 1024 * 1024

_KNOWN = {
    "name", "image", "command", "entrypoints", "envs", "user", "workingDir", "hostname", "domainname",
    "labels", "healthcheck", "stopSignal", "stopTimeout", "restart", "maxRetryCount", "readOnly",
    "capabilities", "securityOpts", "privileged", "init", "mounts", "tmpfs", "ports", "memory",
    "memoryReservation", "memorySwap", "cpus", "cpuShares", "cpuSet", "shmSize", "networkMode",
    "networksAdvanced", "uploads", "start", "wait", "waitTimeout", "attach", "logs", "mustRun",
    "destroyGraceSeconds", "removeVolumes", "rm", "logDriver", "logOpts", "groupAdds",
}  # fmt: skip
# The provider's schema defaults (resource_docker_container.go): restart "no", wait_timeout 60 s,
# start, must_run and remove_volumes true.
DEFAULT_WAIT_SECONDS = 60


def _healthcheck(value: Any) -> dict[str, Any]:
    check = _check(
        value, "healthcheck", {"tests", "interval", "timeout", "startPeriod", "startInterval", "retries"}
    )
    health: dict[str, Any] = {"Test": list(check.get("tests") or [])}
    for key, name in (
        ("Interval", "interval"),
        ("Timeout", "timeout"),
        ("StartPeriod", "startPeriod"),
        ("StartInterval", "startInterval"),
    ):
        if name in check:
            health[key] = duration_ns(check[name], f"healthcheck.{name}")
    _put(health, "Retries", int(check["retries"]) if "retries" in check else None)
    return health


def _mount(item: Any, path: str) -> dict[str, Any]:
    spec = _check(item, path, {"type", "target", "source", "readOnly", "tmpfsOptions", "volumeOptions"})
    mount: dict[str, Any] = {"Type": spec["type"], "Target": spec["target"], "Source": spec.get("source", "")}
    _put(mount, "ReadOnly", spec.get("readOnly"))
    if spec["type"] == "tmpfs" and "tmpfsOptions" in spec:
        options = _check(spec["tmpfsOptions"], f"{path}.tmpfsOptions", {"sizeBytes", "mode"})
        mount["TmpfsOptions"] = {
            key: _int(options[name])
            for key, name in (("SizeBytes", "sizeBytes"), ("Mode", "mode"))
            if name in options
        }
    if spec["type"] == "volume" and "volumeOptions" in spec:
        options = _check(spec["volumeOptions"], f"{path}.volumeOptions", {"noCopy", "labels"})
        mount["VolumeOptions"] = {
            "NoCopy": bool(options.get("noCopy")),
            "Labels": _labels(options.get("labels")),
        }
    return mount


def _ports(value: Any) -> tuple[dict[str, Any], dict[str, list[dict[str, str]]]]:
    """``portSetToDockerPorts``: exposed ports, and host bindings where an address or port is set."""
    exposed: dict[str, Any] = {}
    bindings: dict[str, list[dict[str, str]]] = {}
    for index, item in enumerate(value):
        port = _check(item, f"ports[{index}]", {"internal", "external", "ip", "protocol"})
        key = f"{_int(port['internal'])}/{port.get('protocol', 'tcp')}"
        exposed[key] = {}
        if "external" in port or "ip" in port:
            binding = {
                "HostIp": str(port.get("ip", "")),
                "HostPort": str(_int(port["external"])) if "external" in port else "",
            }
            bindings.setdefault(key, []).append(binding)
    return exposed, bindings


def nano_cpus(text: str) -> int:
    """The docker CLI's ``opts.ParseCPUs``: a decimal number of CPUs as NanoCPUs."""
    try:
        value = Decimal(text) * 10**9
    except InvalidOperation:
        raise UnknownInputError(f"cpus: {text!r} is not a number of CPUs like '0.5'") from None
    if value != value.to_integral_value() or value < 0:
        raise UnknownInputError(f"cpus: {text!r}: value is too precise or negative")
    return int(value)


def _host_config(inputs: Mapping[str, Any]) -> dict[str, Any]:
    host: dict[str, Any] = {
        "Privileged": bool(inputs.get("privileged", False)),
        "RestartPolicy": {
            "Name": inputs.get("restart", "no"),
            "MaximumRetryCount": _int(inputs.get("maxRetryCount", 0)),
        },
        "Mounts": [_mount(m, f"mounts[{i}]") for i, m in enumerate(inputs.get("mounts") or [])],
        "AutoRemove": bool(inputs.get("rm", False)),
        "ReadonlyRootfs": bool(inputs.get("readOnly", False)),
        # Unset, log_driver is "" (the engine's default driver) and init false.
        "LogConfig": {
            "Type": inputs.get("logDriver", ""),
            **({"Config": inputs["logOpts"]} if "logOpts" in inputs else {}),
        },
        "Init": bool(inputs.get("init", False)),
    }
    _put(host, "Tmpfs", inputs.get("tmpfs"))
    capabilities = _check(inputs.get("capabilities") or {}, "capabilities", {"adds", "drops"})
    _put(host, "CapAdd", capabilities.get("adds"))
    _put(host, "CapDrop", capabilities.get("drops"))
    _put(host, "SecurityOpt", inputs.get("securityOpts"))
    _put(host, "GroupAdd", inputs.get("groupAdds"))
    # Memory sizes are MB in the provider's schema; the engine wants bytes.
    for key, name in (
        ("Memory", "memory"),
        ("MemoryReservation", "memoryReservation"),
        ("ShmSize", "shmSize"),
    ):
        if inputs.get(name):
            host[key] = _int(inputs[name]) * MIB
    if "memorySwap" in inputs:
        swap = _int(inputs["memorySwap"])
        host["MemorySwap"] = swap * MIB if swap > 0 else swap
    if inputs.get("cpus"):
        host["NanoCpus"] = nano_cpus(str(inputs["cpus"]))
    _put(host, "CpuShares", _int(inputs["cpuShares"]) if inputs.get("cpuShares") else None)
    _put(host, "CpusetCpus", inputs.get("cpuSet"))
    _put(host, "NetworkMode", inputs.get("networkMode"))
    return host


def _create_body(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """``POST /containers/create``: the container's Config with its HostConfig."""
    body: dict[str, Any] = {
        "Image": inputs["image"],
        "Hostname": inputs.get("hostname", ""),
        "Domainname": inputs.get("domainname", ""),
    }
    _put(body, "StopSignal", inputs.get("stopSignal"))
    _put(body, "StopTimeout", _int(inputs["stopTimeout"]) if "stopTimeout" in inputs else None)
    _put(body, "Env", list(inputs["envs"]) if inputs.get("envs") else None)
    if inputs.get("command"):
        if any(word == "" for word in inputs["command"]):
            raise UnknownInputError("command: values for command may not be empty")
        body["Cmd"] = list(inputs["command"])
    _put(body, "Entrypoint", list(inputs["entrypoints"]) if inputs.get("entrypoints") else None)
    _put(body, "User", inputs.get("user") or None)
    _put(body, "WorkingDir", inputs.get("workingDir") or None)
    _put(body, "Labels", _labels(inputs.get("labels")) or None)
    if "healthcheck" in inputs:
        body["Healthcheck"] = _healthcheck(inputs["healthcheck"])
    host = _host_config(inputs)
    if inputs.get("ports"):
        exposed, bindings = _ports(inputs["ports"])
        body["ExposedPorts"] = exposed
        _put(host, "PortBindings", bindings or None)
    body["HostConfig"] = host
    return body


def _connections(value: Any) -> list[dict[str, Any]]:
    """``POST /networks/{name}/connect`` bodies (the container leaves ``bridge`` first)."""
    connections = []
    for index, item in enumerate(value or []):
        spec = _check(item, f"networksAdvanced[{index}]", {"name", "aliases", "ipv4Address", "ipv6Address"})
        endpoint: dict[str, Any] = {
            "IPAMConfig": {
                key: spec[name]
                for key, name in (("IPv4Address", "ipv4Address"), ("IPv6Address", "ipv6Address"))
                if name in spec
            }
        }
        _put(endpoint, "Aliases", list(spec["aliases"]) if spec.get("aliases") else None)
        connections.append({"Network": spec["name"], "EndpointConfig": endpoint})
    return connections


def _numeric_id(value: Any, path: str) -> int:
    if not str(value).isdigit():
        raise UnknownInputError(
            f"{path}: {value!r}: only numeric ids are mapped (names resolve on the Pulumi host)"
        )
    return int(value)


def _upload(item: Any, path: str) -> dict[str, Any]:
    """One ``PUT /containers/{id}/archive?path=/``: a tar holding the file, with its mode and owner."""
    spec = _check(
        item, path, {"file", "content", "contentBase64", "executable", "permissions", "owner", "group"}
    )
    sources = [name for name in ("content", "contentBase64") if spec.get(name)]
    if len(sources) != 1:
        raise UnknownInputError(f"{path}: exactly one of 'content' or 'contentBase64' must be set")
    content = (
        str(spec["content"]).encode() if sources == ["content"] else base64.b64decode(spec["contentBase64"])
    )
    if "permissions" in spec:
        mode = int(str(spec["permissions"]), 8)
    else:
        mode = 0o744 if spec.get("executable") else 0o644
    return {
        "Path": spec["file"],
        "Mode": mode,
        "Uid": _numeric_id(spec.get("owner", 0), f"{path}.owner"),
        "Gid": _numeric_id(spec.get("group", 0), f"{path}.group"),
        "Content": base64.b64encode(content).decode(),
    }


def _uploads(value: Any) -> Any:
    # A list holding one secret file is secret as a whole: the preview shows each of its files
    # (or, nested deeper, the list itself) as a marker.
    if value == REDACTED:
        return REDACTED
    return [
        REDACTED if item == REDACTED else _upload(item, f"uploads[{index}]")
        for index, item in enumerate(value or [])
    ]


def container_create(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Every call the provider makes to create and start the container, in order."""
    _check(inputs, "container", _KNOWN)
    if not inputs.get("image"):
        raise UnknownInputError("container: 'image' is required")
    lifecycle = {
        "start": bool(inputs.get("start", True)),
        "mustRun": bool(inputs.get("mustRun", True)),
        "removeVolumes": bool(inputs.get("removeVolumes", True)),
        "wait": bool(inputs.get("wait", False)),
        "waitTimeout": _int(inputs.get("waitTimeout", DEFAULT_WAIT_SECONDS)),
        "attach": bool(inputs.get("attach", False)),
        "destroyGraceSeconds": _int(inputs.get("destroyGraceSeconds", 0)),
    }
    if lifecycle["wait"] and "healthcheck" not in inputs:
        raise UnknownInputError("wait: the container has no healthcheck to wait for")
    return {
        "Name": inputs.get("name", ""),
        "Create": _create_body(inputs),
        "Connect": _connections(inputs.get("networksAdvanced")),
        "Uploads": _uploads(inputs.get("uploads")),
        "Lifecycle": lifecycle,
    }
