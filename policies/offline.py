"""Run the policy pack without the Pulumi engine, over resources captured by the mock runtime.

The API is two functions::

    config = load_pack_config("staging")           # policies/config/<stack>.json
    violations = run_policies(synthesis.resources, config)
    blocking = [v for v in violations if v.mandatory]

``run_policies`` builds ``ResourceValidationArgs`` / ``StackValidationArgs`` itself and
resolves enforcement levels as the engine does (per-policy config, then ``all``, then the
policy's default). For a policy at ``remediate`` it applies the remediation first, reports
that as a ``remediate`` violation, and validates the remediated resource, so what is left
is mandatory, as in a real ``pulumi preview``.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from policies.kube import to_plain
from policies.rules import ALL_POLICIES

CONFIG_DIR = Path(__file__).resolve().parent / "config"
# How the SDK marks a secret value on the wire; policies see the plain value, as in the engine.
_SECRET_SIGNATURE = ("4dabf18193072939515e22adb298388d", "1b47061264138c4ac30d75fd1eb44270")


class DeclaredResourceLike(Protocol):
    """What the runner needs of a resource (preview.synth.DeclaredResource fits)."""

    @property
    def urn(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def inputs(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class Violation:
    policy: str
    severity: str
    enforcement_level: str
    urn: str | None
    message: str

    @property
    def mandatory(self) -> bool:
        return self.enforcement_level == EnforcementLevel.MANDATORY.value

    def __str__(self) -> str:
        return f"[{self.enforcement_level}] {self.policy} ({self.severity}): {self.message}"


def load_pack_config(stack: str) -> dict[str, Any]:
    """The pack config for ``stack``; review stacks (pr-<n>) use staging's."""
    name = "staging" if stack.startswith("pr-") else stack
    path = CONFIG_DIR / f"{name}.json"
    if not path.is_file():
        raise FileNotFoundError(f"no policy pack config for stack {stack!r} (expected {path.name})")
    return json.loads(path.read_text())


def enforcement_level(policy: Policy, pack_config: Mapping[str, Any]) -> EnforcementLevel:
    entry = pack_config.get(policy.name)
    if isinstance(entry, Mapping) and "enforcementLevel" in entry:
        return EnforcementLevel(entry["enforcementLevel"])
    if isinstance(entry, str):
        return EnforcementLevel(entry)
    if "all" in pack_config:
        return EnforcementLevel(pack_config["all"])
    return policy.enforcement_level or EnforcementLevel.ADVISORY


def policy_config(policy: Policy, pack_config: Mapping[str, Any]) -> dict[str, Any]:
    entry = pack_config.get(policy.name)
    if not isinstance(entry, Mapping):
        return {}
    return {k: v for k, v in entry.items() if k != "enforcementLevel"}


def _unwrap_secrets(value: Any) -> Any:
    if isinstance(value, Mapping):
        if (value.get(_SECRET_SIGNATURE[0]) == _SECRET_SIGNATURE[1]) and "value" in value:
            return _unwrap_secrets(value["value"])
        return {k: _unwrap_secrets(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [_unwrap_secrets(v) for v in value]
    return value


def _options(resource: Any) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect=bool(getattr(resource, "protect", False)),
        ignore_changes=list(getattr(resource, "ignore_changes", ()) or ()),
        delete_before_replace=None,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=[],
        parent=getattr(resource, "parent", None),
    )


def to_policy_resources(resources: Iterable[DeclaredResourceLike | PolicyResource]) -> list[PolicyResource]:
    """Declared resources as the engine would hand them to policies (parents linked)."""
    converted: list[PolicyResource] = []
    for resource in resources:
        if isinstance(resource, PolicyResource):
            converted.append(resource)
            continue
        props = _unwrap_secrets(to_plain(resource.inputs))
        converted.append(
            PolicyResource(
                resource.type, props, resource.urn, resource.name, _options(resource), None, None, [], {}
            )
        )
    by_urn = {r.urn: r for r in converted}
    for resource in converted:
        if resource.parent is None and resource.opts.parent in by_urn:
            resource.parent = by_urn[resource.opts.parent]
    return converted


def _settle(result: Any) -> Any:
    """The value of a rule's result; the SDK lets rules be async."""
    if not inspect.isawaitable(result):
        return result

    async def wait() -> Any:
        return await result

    return asyncio.run(wait())


def _resource_args(
    resource: PolicyResource, config: Mapping[str, Any], *, props: Any = None
) -> ResourceValidationArgs:
    """The args a rule gets for ``resource``, or for it with ``props`` instead (remediated)."""
    return ResourceValidationArgs(
        resource.resource_type,
        resource.props if props is None else props,
        resource.urn,
        resource.name,
        resource.opts,
        None,
        config,
    )


def _level_after_remediation(level: EnforcementLevel) -> EnforcementLevel:
    """The level validation reports at: remediate fixes what it can first, and what is left blocks."""
    return EnforcementLevel.MANDATORY if level == EnforcementLevel.REMEDIATE else level


class _Collector:
    def __init__(self, policy: Policy, level: EnforcementLevel) -> None:
        self.policy, self.level = policy, level
        self.violations: list[Violation] = []

    def reporter(self, default_urn: str | None, level: EnforcementLevel | None = None):
        def report(message: str, urn: str | None = None) -> None:
            severity = self.policy.severity.value if self.policy.severity else "unspecified"
            chosen = level or self.level
            self.violations.append(
                Violation(self.policy.name, severity, chosen.value, urn or default_urn, message)
            )

        return report


def _run_resource_policy(
    policy: ResourceValidationPolicy,
    level: EnforcementLevel,
    config: Mapping[str, Any],
    resources: list[PolicyResource],
) -> list[Violation]:
    collector = _Collector(policy, _level_after_remediation(level))
    for resource in resources:
        args = _resource_args(resource, config)
        if level == EnforcementLevel.REMEDIATE and policy.has_remediation():
            remediated = _settle(policy.remediate(args))
            if remediated:
                collector.reporter(resource.urn, EnforcementLevel.REMEDIATE)(
                    f"{resource.name}: remediated automatically "
                    f"({policy.remediation_steps or policy.description})"
                )
                args = _resource_args(resource, config, props=remediated)
        _settle(policy.validate(args, collector.reporter(resource.urn)))
    return collector.violations


def run_policies(
    resources: Iterable[DeclaredResourceLike | PolicyResource],
    pack_config: Mapping[str, Any] | None = None,
    *,
    policies: Sequence[Policy] | None = None,
) -> list[Violation]:
    """Every violation of ``policies`` (default: the whole pack) over ``resources``.

    ``pack_config`` has the shape of policies/config/<stack>.json (``{"all": level,
    "<policy>": level or {"enforcementLevel": level, ...config}}``).
    """
    pack_config = pack_config or {}
    converted = to_policy_resources(resources)
    violations: list[Violation] = []
    for policy in policies if policies is not None else ALL_POLICIES:
        level = enforcement_level(policy, pack_config)
        if level == EnforcementLevel.DISABLED:
            continue
        config = policy_config(policy, pack_config)
        if isinstance(policy, ResourceValidationPolicy):
            violations += _run_resource_policy(policy, level, config, converted)
        elif isinstance(policy, StackValidationPolicy):
            collector = _Collector(policy, _level_after_remediation(level))
            _settle(policy.validate(StackValidationArgs(converted, config), collector.reporter(None)))
            violations += collector.violations
    return violations
