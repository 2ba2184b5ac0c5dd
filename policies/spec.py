"""How a rule of this pack is declared: metadata, config with defaults, Kubernetes helpers.

Every policy carries a name, description, severity, default enforcement level and, where a
rule has knobs, a config schema whose ``default`` values apply when the pack config omits them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from policies.kube import kind_of, object_name, object_namespace
from policies.workloads import PodTemplate, pod_template

Validate = Callable[[ResourceValidationArgs, ReportViolation], None]
StackValidate = Callable[[StackValidationArgs, ReportViolation], None]
# A remediation returns the fixed props, or None when there is nothing to fix.
Remediate = Callable[[ResourceValidationArgs], Any]
Report = Callable[[str], None]
PodCheck = Callable[[ResourceValidationArgs, PodTemplate, Report], None]
ObjectCheck = Callable[[ResourceValidationArgs, Mapping[str, Any], Report], None]

MANDATORY = EnforcementLevel.MANDATORY
ADVISORY = EnforcementLevel.ADVISORY


def _schema(config: Mapping[str, dict[str, Any]] | None) -> PolicyConfigSchema | None:
    return PolicyConfigSchema(properties=dict(config)) if config else None


def resource_policy(
    *,
    name: str,
    description: str,
    severity: Severity,
    validate: Validate,
    enforcement: EnforcementLevel = MANDATORY,
    config: Mapping[str, dict[str, Any]] | None = None,
    remediate: Remediate | None = None,
    remediation_steps: str | None = None,
) -> ResourceValidationPolicy:
    return ResourceValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=enforcement,
        config_schema=_schema(config),
        remediate=remediate,
        severity=severity,
        remediation_steps=remediation_steps,
    )


def stack_policy(
    *,
    name: str,
    description: str,
    severity: Severity,
    validate: StackValidate,
    enforcement: EnforcementLevel = MANDATORY,
    config: Mapping[str, dict[str, Any]] | None = None,
) -> StackValidationPolicy:
    return StackValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=enforcement,
        config_schema=_schema(config),
        severity=severity,
    )


def settings(
    args: ResourceValidationArgs | StackValidationArgs, schema: Mapping[str, dict[str, Any]]
) -> dict[str, Any]:
    """A policy's config: its schema's defaults overlaid with what the pack config sets."""
    values = {key: prop["default"] for key, prop in schema.items() if "default" in prop}
    values.update({k: v for k, v in (args.get_config() or {}).items() if k != "enforcementLevel"})
    return values


def describe(resource_type: str, props: Mapping[str, Any], fallback: str) -> str:
    """How messages name an object: ``Deployment technovastore/api-gateway``."""
    kind = kind_of(resource_type, props) or resource_type
    name = object_name(props) or fallback
    namespace = object_namespace(props)
    return f"{kind} {namespace}/{name}" if namespace else f"{kind} {name}"


def subject_reporter(args: ResourceValidationArgs, report_violation: ReportViolation) -> Report:
    """Report messages prefixed with the object they are about."""
    subject = describe(args.resource_type, args.props, args.name)
    return lambda message: report_violation(f"{subject}: {message}", None)


def pod_policy(check: PodCheck) -> Validate:
    """Run ``check`` on every workload that has a pod template; ignore everything else."""

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        template = pod_template(kubernetes_kind(args), args.props)
        if template is not None:
            check(args, template, subject_reporter(args, report_violation))

    return validate


def object_policy(kinds: tuple[str, ...], check: ObjectCheck) -> Validate:
    """Run ``check(args, spec, report)`` on Kubernetes objects of ``kinds``; ignore everything else."""

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if kubernetes_kind(args) in kinds:
            spec = args.props.get("spec")
            check(args, spec if isinstance(spec, Mapping) else {}, subject_reporter(args, report_violation))

    return validate


def kubernetes_kind(args: ResourceValidationArgs) -> str | None:
    return kind_of(args.resource_type, args.props)
