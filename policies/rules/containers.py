"""Plain Docker containers (pulumi_docker Container, the dev stack): the Swarm rules' guarantees
where a single container has them, and the file rules that uploads need.

Rules read a Container's inputs defensively (wire names: ``envs``, ``uploads``); anything else
is ignored. A one-shot container (``attach``, or ``mustRun`` false: it runs to completion) is
exempt from the rules about long-running containers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from policies.kube import mapping, sequence
from policies.rules.secrets import is_secret_name, secret_in_command_line
from policies.rules.swarm import REDIS_PORTS
from policies.spec import resource_policy
from policies.textconf import is_placeholder

CONTAINER = "docker:index/container:Container"
# Directories whose files are credentials (Docker's convention, and the Redis members').
SECRET_DIRS = ("/run/secrets/", "/etc/redis/secrets/")
RESTARTING = ("always", "unless-stopped", "on-failure")
ROOT_USERS = ("", "0", "root")
Check = Any


def _container_policy(check: Check) -> Any:
    """Run ``check(props, report)`` on containers; ignore every other resource."""

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type != CONTAINER:
            return
        name = args.props.get("name") or args.name
        check(args.props, lambda message: report_violation(f"Container {name}: {message}", None))

    return validate


def _one_shot(props: Mapping[str, Any]) -> bool:
    return bool(props.get("attach")) or props.get("mustRun") is False


def _literal_secrets(props: Mapping[str, Any], report: Any) -> None:
    for entry in sequence(props.get("envs")):
        name, _, value = str(entry).partition("=")
        if is_secret_name(name) and value and not is_placeholder(value):
            report(f"sets {name} to a literal value; upload the secret as a file, pass {name}_FILE")
    words = [*sequence(props.get("entrypoints")), *sequence(props.get("command"))]
    if secret_in_command_line(" ".join(str(word) for word in words)):
        report("passes a credential on its command line (visible in `docker inspect` and ps)")


def _limits(props: Mapping[str, Any], report: Any) -> None:
    missing = [field for field in ("memory", "cpus", "memoryReservation") if not props.get(field)]
    if missing:
        report(f"sets no {', '.join(missing)}: a runaway container takes the whole machine")


def _healthcheck_and_restart(props: Mapping[str, Any], report: Any) -> None:
    if _one_shot(props):
        return
    tests = sequence(mapping(props.get("healthcheck")).get("tests"))
    if not tests or tests[0] == "NONE":
        report("has no health check: nothing tells a hung container from a working one")
    if props.get("restart") not in RESTARTING:
        restart = props.get("restart") or "no"
        report(f"restart is {restart!r}: a crashed container stays down (use unless-stopped)")


def _redis_not_published(props: Mapping[str, Any], report: Any) -> None:
    for port in sequence(props.get("ports")):
        port = mapping(port)
        numbers = [p for p in (port.get("internal"), port.get("external")) if isinstance(p, int | float)]
        if any(int(p) in REDIS_PORTS for p in numbers):
            report(f"publishes Redis port {int(numbers[0])}: Redis stays inside the stack's network")


def _secret_files_private(props: Mapping[str, Any], report: Any) -> None:
    for upload in sequence(props.get("uploads")):
        upload = mapping(upload)
        path = str(upload.get("file") or "")
        if not path.startswith(SECRET_DIRS):
            continue
        mode = str(upload.get("permissions") or ("744" if upload.get("executable") else "644"))
        if int(mode, 8) & 0o077:
            report(f"uploads the secret {path} with mode {mode}: only its owner may read it (0400)")
        if str(upload.get("owner") or "0") in ROOT_USERS and str(props.get("user") or "") not in ROOT_USERS:
            user = props.get("user")
            report(f"uploads the secret {path} owned by root: its server's user ({user}) must own it")


def _hardened(props: Mapping[str, Any], report: Any) -> None:
    if props.get("privileged"):
        report("runs privileged: it owns the Docker host")
    if str(props.get("user") or "").split(":")[0] in ROOT_USERS:
        report("runs as root: set a non-root user")
    if "ALL" not in sequence(mapping(props.get("capabilities")).get("drops")):
        report("keeps Linux capabilities: drop ALL")
    if props.get("networkMode") == "host":
        report("shares the host's network: attach it to the stack's network")


POLICIES = [
    resource_policy(
        name="docker-no-literal-secrets",
        description="Containers take credentials from uploaded files, never env literals or arguments.",
        severity=Severity.CRITICAL,
        validate=_container_policy(_literal_secrets),
    ),
    resource_policy(
        name="docker-limits",
        description="Every container has a memory limit and reservation and a CPU limit.",
        severity=Severity.HIGH,
        validate=_container_policy(_limits),
    ),
    resource_policy(
        name="docker-healthcheck-and-restart",
        description="Every long-running container has a health check and restarts after a crash.",
        severity=Severity.MEDIUM,
        validate=_container_policy(_healthcheck_and_restart),
    ),
    resource_policy(
        name="docker-redis-not-published",
        description="No container publishes a Redis or Sentinel port on the host.",
        severity=Severity.CRITICAL,
        validate=_container_policy(_redis_not_published),
    ),
    resource_policy(
        name="docker-secret-files-private",
        description="Uploaded secret files are readable by their owner only: the server's user.",
        severity=Severity.HIGH,
        validate=_container_policy(_secret_files_private),
    ),
    resource_policy(
        name="docker-hardened",
        description="Containers run unprivileged, as non-root, without capabilities or the host network.",
        severity=Severity.HIGH,
        validate=_container_policy(_hardened),
    ),
]
