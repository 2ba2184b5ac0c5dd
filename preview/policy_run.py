"""The policy pack run offline over the synthesized resources: the adapter to its runner.

The pack (``policies/``) owns its rules and its offline runner; this module only calls it and
turns its violations into findings the preview prints, so the pack can change freely.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from preview.synth import REDACTED, DeclaredResource, is_secret, redact

# The pack's offline runner: ``run_policies(resources, pack_config)`` and ``load_pack_config(stack)``.
RUNNER_MODULE = "policies.offline"

Runner = Callable[[Sequence[DeclaredResource], str], Sequence[Any]]


class PolicyPackUnavailable(Exception):
    """The repository has no offline runner for the policy pack."""


@dataclass(frozen=True)
class PolicyFinding:
    policy: str
    enforcement: str
    resource: str
    message: str

    @property
    def mandatory(self) -> bool:
        return self.enforcement == "mandatory"

    def __str__(self) -> str:
        return f"[{self.enforcement}] {self.policy}: {self.resource}: {self.message}"


def pack_runner(resources: Sequence[DeclaredResource], stack: str) -> Sequence[Any]:
    """The whole pack with ``stack``'s pack config (policies/config/<stack>.json), as CI runs it."""
    try:
        offline = importlib.import_module(RUNNER_MODULE)
    except ModuleNotFoundError as error:
        if error.name and RUNNER_MODULE.startswith(error.name):
            raise PolicyPackUnavailable(f"no policy pack runner ({RUNNER_MODULE} is missing)") from None
        raise
    violations: Sequence[Any] = offline.run_policies(resources, offline.load_pack_config(stack))
    return violations


def run_pack(
    resources: Sequence[DeclaredResource], stack: str, runner: Runner | None = None
) -> list[PolicyFinding]:
    """Every violation the pack reports for ``stack``, mandatory ones first."""
    violations = (runner or pack_runner)(resources, stack)
    secrets = secret_strings(resources)
    findings = [_masked(_finding(violation), secrets) for violation in violations]
    return sorted(findings, key=lambda f: (not f.mandatory, f.policy, f.resource, f.message))


def secret_strings(resources: Sequence[DeclaredResource]) -> set[str]:
    """Every text inside a secret input: policies see plain values and may quote one."""
    found: set[str] = set()

    def walk(value: Any, inside_secret: bool) -> None:
        if is_secret(value):
            walk(value.get("value"), True)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item, inside_secret)
        elif isinstance(value, list):
            for item in value:
                walk(item, inside_secret)
        elif inside_secret and isinstance(value, str) and value:
            found.add(value)

    for resource in resources:
        walk(resource.inputs, False)
    return found


def _masked(finding: PolicyFinding, secrets: set[str]) -> PolicyFinding:
    message = finding.message
    for secret in sorted(secrets, key=len, reverse=True):
        message = message.replace(secret, REDACTED)
    return replace(finding, message=message)


def _finding(violation: Any) -> PolicyFinding:
    level = getattr(violation, "enforcement_level", None) or getattr(violation, "severity", "advisory")
    level = getattr(level, "value", level)
    resource = getattr(violation, "urn", None) or getattr(violation, "resource", None) or "(stack)"
    return PolicyFinding(
        policy=str(getattr(violation, "policy", None) or getattr(violation, "policy_name", "?")),
        enforcement=str(level).lower(),
        resource=_short_urn(str(resource)),
        # A policy may quote a value it objects to; never let that be a secret.
        message=str(redact(getattr(violation, "message", ""))),
    )


def _short_urn(urn: str) -> str:
    """``urn:pulumi:stack::project::a$b$kubernetes:apps/v1:Deployment::name`` -> ``Deployment name``."""
    if not urn.startswith("urn:pulumi:"):
        return urn
    type_path, _, name = urn.rpartition("::")
    return f"{type_path.rsplit('$', 1)[-1].rsplit(':', 1)[-1]} {name}"
