"""Docker Swarm services (pulumi_docker): the same guarantees as the Kubernetes rules, in Swarm terms.

Rules read a Service's inputs defensively (wire names: ``taskSpec.containerSpec``); anything
else is ignored. A one-shot service (restart condition ``none``) runs once and is exempt from
the rules about long-running tasks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from autoscaler.labels import MAX_REPLICAS_LABEL, MIN_REPLICAS_LABEL
from policies.kube import mapping, sequence
from policies.rules.secrets import is_secret_name, secret_in_command_line
from policies.spec import resource_policy
from policies.textconf import is_placeholder

SERVICE = "docker:index/service:Service"
REDIS_PORTS = {6379, 16379, 26379}
HEALTH_FROM_LABEL = "technovastore.io/health-from"
HEALTH_FROM_SCRAPE = "prometheus-scrape"
Check = Any


def _service_policy(check: Check) -> Any:
    """Run ``check(props, container, report)`` on Swarm services; ignore every other resource."""

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type != SERVICE:
            return
        name = args.props.get("name") or args.name
        container = mapping(mapping(args.props.get("taskSpec")).get("containerSpec"))
        check(
            args.props, container, lambda message: report_violation(f"Swarm service {name}: {message}", None)
        )

    return validate


def _one_shot(props: Mapping[str, Any]) -> bool:
    restart = mapping(mapping(props.get("taskSpec")).get("restartPolicy"))
    return restart.get("condition") == "none"


def _literal_secrets(props: Mapping[str, Any], container: Mapping[str, Any], report: Any) -> None:
    for name, value in mapping(container.get("env")).items():
        if is_secret_name(str(name)) and isinstance(value, str) and value and not is_placeholder(value):
            report(f"sets {name} to a literal value; mount a Swarm secret and pass {name}_FILE instead")
    command = " ".join(
        str(word) for word in [*sequence(container.get("commands")), *sequence(container.get("args"))]
    )
    if secret_in_command_line(command):
        report("passes a credential on its command line (visible in `docker service inspect` and ps)")


def _limits_and_reservations(props: Mapping[str, Any], container: Mapping[str, Any], report: Any) -> None:
    resources = mapping(mapping(props.get("taskSpec")).get("resources"))
    for part in ("limits", "reservation"):
        amounts = mapping(resources.get(part))
        missing = [field for field in ("nanoCpus", "memoryBytes") if not amounts.get(field)]
        if missing:
            report(f"sets no {part} for {' and '.join(missing)}")


def _labels(props: Mapping[str, Any]) -> dict[Any, Any]:
    return {mapping(item).get("label"): mapping(item).get("value") for item in sequence(props.get("labels"))}


def _healthcheck(props: Mapping[str, Any], container: Mapping[str, Any], report: Any) -> None:
    # A metrics exporter built FROM scratch has nothing to run a check with; the label says
    # Prometheus' scrape (its `up` series and the alerts on it) watches the service instead.
    if _one_shot(props) or _labels(props).get(HEALTH_FROM_LABEL) == HEALTH_FROM_SCRAPE:
        return
    tests = sequence(mapping(container.get("healthcheck")).get("tests"))
    if not tests or tests[0] == "NONE":
        report(
            "has no health check: Swarm can neither replace a hung task nor wait for a healthy one "
            f"(an exporter whose image cannot run one is labelled {HEALTH_FROM_LABEL}={HEALTH_FROM_SCRAPE})"
        )


def _update_and_rollback(props: Mapping[str, Any], container: Mapping[str, Any], report: Any) -> None:
    if _one_shot(props):
        return
    update = mapping(props.get("updateConfig"))
    if update.get("failureAction") != "rollback":
        report("updateConfig.failureAction must be 'rollback' (a failed rollout returns to the old version)")
    if update.get("order") not in ("start-first", "stop-first"):
        report("updateConfig.order must be set (start-first for stateless services)")
    if not props.get("rollbackConfig"):
        report("sets no rollbackConfig (how a failed rollout is undone)")


def _redis_not_published(props: Mapping[str, Any], container: Mapping[str, Any], report: Any) -> None:
    for port in sequence(mapping(props.get("endpointSpec")).get("ports")):
        port = mapping(port)
        numbers = [_number(port.get(key)) for key in ("targetPort", "publishedPort")]
        for number in numbers:
            if number in REDIS_PORTS:
                report(f"publishes Redis port {number}: Redis stays inside the overlay network")
                break


def _replicas_within_bounds(props: Mapping[str, Any], container: Mapping[str, Any], report: Any) -> None:
    labels = _labels(props)
    replicas = _number(mapping(mapping(props.get("mode")).get("replicated")).get("replicas"))
    low = _number(labels.get(MIN_REPLICAS_LABEL))
    high = _number(labels.get(MAX_REPLICAS_LABEL, low))
    if replicas is None or low is None:
        return
    if high is None or not low <= replicas <= high:
        report(f"runs {replicas} replicas outside its bounds {low}..{labels.get(MAX_REPLICAS_LABEL)}")


def _number(value: Any) -> int | None:
    """An integer input or label value (labels are text); None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


POLICIES = [
    resource_policy(
        name="swarm-no-literal-secrets",
        description="Swarm services take credentials from Swarm secrets, never env literals or arguments.",
        severity=Severity.CRITICAL,
        validate=_service_policy(_literal_secrets),
    ),
    resource_policy(
        name="swarm-limits-and-reservations",
        description="Every Swarm service reserves and limits CPU and memory.",
        severity=Severity.HIGH,
        validate=_service_policy(_limits_and_reservations),
    ),
    resource_policy(
        name="swarm-healthcheck",
        description="Every long-running Swarm service has a health check.",
        severity=Severity.MEDIUM,
        validate=_service_policy(_healthcheck),
    ),
    resource_policy(
        name="swarm-update-and-rollback",
        description="Swarm services roll out in a set order, roll back on failure and say how.",
        severity=Severity.HIGH,
        validate=_service_policy(_update_and_rollback),
    ),
    resource_policy(
        name="swarm-redis-not-published",
        description="No Swarm service publishes a Redis or Sentinel port.",
        severity=Severity.CRITICAL,
        validate=_service_policy(_redis_not_published),
    ),
    resource_policy(
        name="swarm-replicas-within-bounds",
        description="A Swarm service's replicas lie within its declared min/max bounds.",
        severity=Severity.HIGH,
        validate=_service_policy(_replicas_within_bounds),
    ),
]
