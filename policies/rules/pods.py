"""What every pod declares for the scheduler and the kubelet: resources, probes, env, ports, scratch space."""

from __future__ import annotations

import re
from typing import Any

from pulumi_policy import ResourceValidationArgs, Severity

from policies.kube import Container, as_int, containers, dig, mapping, quantity, sequence, shown
from policies.spec import ADVISORY, Report, pod_policy, resource_policy, settings
from policies.workloads import PodTemplate

_RESOURCES_CONFIG = {
    "limits": {
        "type": "array",
        "items": {"enum": ["cpu", "memory"]},
        "default": ["cpu", "memory"],
        "description": "resources every container must limit (requests are always required)",
    }
}


def _resource_problems(c: Container, required_limits: list[str]) -> list[str]:
    resources = mapping(c.container.get("resources"))
    wanted = [("requests", "cpu"), ("requests", "memory"), *(("limits", r) for r in required_limits)]
    problems = []
    for section, resource in wanted:
        value = mapping(resources.get(section)).get(resource)
        amount = quantity(value)
        if value in (None, ""):
            problems.append(f"no {section}.{resource}")
        elif amount is None:
            problems.append(f"{section}.{resource} {shown(value)} is not a quantity")
        elif amount <= 0:
            problems.append(f"{section}.{resource} is {shown(value)} (zero)")
    return problems


def _requests_and_limits(args: ResourceValidationArgs, pod: PodTemplate, report: Report) -> None:
    required_limits = list(settings(args, _RESOURCES_CONFIG)["limits"])
    if not any(True for _ in containers(pod.spec)):
        report("declares no containers; a pod needs at least one, with CPU and memory requests and limits")
    for c in containers(pod.spec):
        problems = _resource_problems(c, required_limits)
        if problems:
            report(f"{c.label} has {', '.join(problems)}; set CPU and memory requests and limits")


def _serving_containers(pod: PodTemplate) -> list[Container]:
    return list(containers(pod.spec, include_init=False)) if pod.long_running else []


def _probes(args: ResourceValidationArgs, pod: PodTemplate, report: Report) -> None:
    for c in _serving_containers(pod):
        for probe in ("readinessProbe", "livenessProbe"):
            if not mapping(c.container.get(probe)):
                report(f"{c.label} has no {probe}; add one that checks what the container serves")


def _port_number(port: Any, container: Container) -> Any:
    """A probe's port as a number: a named port resolves to the container's port of that name."""
    number = as_int(port)
    if number is not None or not isinstance(port, str):
        return number if number is not None else port
    if port.isdigit():
        return int(port)
    for declared in sequence(container.container.get("ports")):
        if dig(declared, "name") == port:
            return as_int(dig(declared, "containerPort")) or port
    return port


def probe_check(probe: Any, container: Container) -> tuple[Any, ...] | None:
    """What a probe checks, as kube-score compares them: HTTP path and port, TCP port, exec command, gRPC."""
    probe = mapping(probe)
    http, tcp, grpc = (
        mapping(probe.get("httpGet")),
        mapping(probe.get("tcpSocket")),
        mapping(probe.get("grpc")),
    )
    if http:
        return ("http", str(http.get("path") or "/"), _port_number(http.get("port"), container))
    if tcp:
        return ("tcp", _port_number(tcp.get("port"), container))
    if mapping(probe.get("exec")):
        return ("exec", tuple(str(word) for word in sequence(dig(probe, "exec", "command"))))
    if grpc:
        return ("grpc", _port_number(grpc.get("port"), container), str(grpc.get("service") or ""))
    return None


def _liveness_differs(args: ResourceValidationArgs, pod: PodTemplate, report: Report) -> None:
    if not pod.long_running:
        return
    for c in containers(pod.spec):
        readiness = probe_check(c.container.get("readinessProbe"), c)
        if readiness is not None and readiness == probe_check(c.container.get("livenessProbe"), c):
            report(
                f"{c.label} uses the same check for liveness and readiness; a dependency outage would "
                "restart healthy pods: make liveness a cheaper, local check"
            )


def _env_no_duplicates(args: ResourceValidationArgs, pod: PodTemplate, report: Report) -> None:
    for c in containers(pod.spec):
        seen: set[str] = set()
        for env in map(mapping, sequence(c.container.get("env"))):
            name = env.get("name")
            if isinstance(name, str) and name in seen:
                report(f"{c.label} sets env {name} twice (the last one silently wins); keep one")
            elif isinstance(name, str):
                seen.add(name)


# IANA service name, as the API validates container port names: <= 15 chars, a letter, no "--".
_PORT_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")


def _port_name_problem(name: str) -> str | None:
    if len(name) > 15:
        return "is longer than 15 characters"
    if not _PORT_NAME.match(name) or "--" in name or not re.search(r"[a-z]", name):
        return "is not a valid port name (lowercase letters, digits and single dashes, with a letter)"
    return None


def _ports_valid(args: ResourceValidationArgs, pod: PodTemplate, report: Report) -> None:
    for c in containers(pod.spec):
        names: set[str] = set()
        for port in map(mapping, sequence(c.container.get("ports"))):
            number, name = as_int(port.get("containerPort")), port.get("name")
            if number is None or not 0 < number < 65536:
                report(f"{c.label} declares a port without a containerPort between 1 and 65535")
            if name is None or name == "":
                continue
            if not isinstance(name, str):
                report(f"{c.label}: port name {shown(name)} is not a string; services cannot target it")
                continue
            problem = _port_name_problem(name)
            if problem:
                report(f"{c.label}: port name {shown(name)} {problem}; services cannot target it")
            if name in names:
                report(f"{c.label}: port name {shown(name)} is used twice; name each port once")
            names.add(name)


def _empty_dir_size_limit(args: ResourceValidationArgs, pod: PodTemplate, report: Report) -> None:
    for volume in map(mapping, sequence(pod.spec.get("volumes"))):
        if "emptyDir" not in volume:
            continue
        limit = mapping(volume.get("emptyDir")).get("sizeLimit")
        if limit is None or quantity(limit) is None or (quantity(limit) or 0) <= 0:
            report(
                f"emptyDir volume {shown(volume.get('name'))} has no sizeLimit; bound it so a pod "
                "cannot fill the node's disk (or memory, for medium: Memory)"
            )


POLICIES = [
    resource_policy(
        name="k8s-resource-requests-and-limits",
        description=(
            "Every container, init containers included, declares non-zero CPU and memory requests and "
            "limits. Stricter than Polaris's cpu/memory Requests/LimitsMissing, which skip init "
            "containers."
        ),
        severity=Severity.HIGH,
        validate=pod_policy(_requests_and_limits),
        config=_RESOURCES_CONFIG,
    ),
    resource_policy(
        name="k8s-readiness-and-liveness-probes",
        description=(
            "Every container of a long-running pod has a readiness and a liveness probe. Stricter than "
            "kube-score's pod-probes, which asks only pods behind a Service, counts probes across "
            "containers and lets a missing liveness probe pass."
        ),
        severity=Severity.MEDIUM,
        validate=pod_policy(_probes),
    ),
    resource_policy(
        name="k8s-liveness-differs-from-readiness",
        description="Liveness and readiness probes check different things.",
        severity=Severity.LOW,
        enforcement=ADVISORY,
        validate=pod_policy(_liveness_differs),
    ),
    resource_policy(
        name="k8s-env-no-duplicates",
        description="No container sets the same environment variable twice.",
        severity=Severity.MEDIUM,
        validate=pod_policy(_env_no_duplicates),
    ),
    resource_policy(
        name="k8s-container-ports-valid",
        description="Container ports have a containerPort and unique, valid (IANA service) names.",
        severity=Severity.MEDIUM,
        validate=pod_policy(_ports_valid),
    ),
    resource_policy(
        name="k8s-empty-dir-size-limit",
        description="Every emptyDir volume has a sizeLimit (the only node storage a read-only pod can fill).",
        severity=Severity.MEDIUM,
        validate=pod_policy(_empty_dir_size_limit),
    ),
]
