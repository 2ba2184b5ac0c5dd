"""Violations as a SARIF 2.1.0 log that GitHub code scanning accepts.

One run, the pack as the tool with every policy as a rule (its description, severity and
remediation), one result per violation at the file and line of the object it is about.
What GitHub reads beyond the schema: ``level`` per result, ``security-severity`` and ``tags``
per rule, a relative ``artifactLocation.uri`` with a ``startLine``, and a
``partialFingerprints`` entry so an alert keeps its identity when lines move.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

import yaml
from pulumi_policy import Policy

from policies.manifests import Location

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
TOOL_NAME = "technovastore-policies"
# Enforcement level -> SARIF level: blocking, fixed automatically, reported only.
LEVELS = {"mandatory": "error", "remediate": "note", "advisory": "warning"}
# Pack severity -> GitHub's security-severity score (critical >= 9, high >= 7, medium >= 4).
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}


class FindingLike(Protocol):
    @property
    def policy(self) -> str: ...
    @property
    def level(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def location(self) -> Location | None: ...


def pack_version() -> str:
    project = yaml.safe_load((Path(__file__).resolve().parent / "PulumiPolicy.yaml").read_text())
    return str(project.get("version", "0.0.0"))


def _rule(policy: Policy) -> dict[str, Any]:
    severity = policy.severity.value if policy.severity else "medium"
    level = policy.enforcement_level.value if policy.enforcement_level else "advisory"
    return {
        "id": policy.name,
        "name": "".join(part.capitalize() for part in policy.name.split("-")),
        "shortDescription": {"text": policy.description.split(". ")[0].rstrip(".")},
        "fullDescription": {"text": policy.description},
        "help": {"text": getattr(policy, "remediation_steps", None) or policy.description},
        "defaultConfiguration": {"level": LEVELS.get(level, "warning")},
        "properties": {
            "tags": ["security", "kubernetes"] if severity in ("critical", "high") else ["kubernetes"],
            "security-severity": SECURITY_SEVERITY.get(severity, "5.5"),
            "precision": "high",
        },
    }


def artifact_uri(path: str) -> str:
    """A file path as the URI reference SARIF requires (RFC 3986, so ``#``, ``%`` and spaces are
    escaped): relative to the working directory (the checkout) when under it, which is what
    GitHub maps to the repository's files; a ``file://`` URI otherwise."""
    location = Path(path)
    if location.is_absolute():
        try:
            location = location.resolve().relative_to(Path.cwd().resolve())
        except ValueError:
            return location.as_uri()
    return quote(location.as_posix())


def _fingerprint(finding: FindingLike) -> str:
    where = finding.location.path if finding.location else ""
    return hashlib.sha256(f"{finding.policy}\0{where}\0{finding.message}".encode()).hexdigest()


def _result(finding: FindingLike, index: dict[str, int], fallback: Location) -> dict[str, Any]:
    location = finding.location or fallback
    return {
        "ruleId": finding.policy,
        "ruleIndex": index[finding.policy],
        "level": LEVELS.get(finding.level, "warning"),
        "message": {"text": finding.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": artifact_uri(location.path)},
                    "region": {"startLine": location.line},
                }
            }
        ],
        "partialFingerprints": {"technovastorePolicyViolation/v1": _fingerprint(finding)},
    }


def sarif_log(findings: Sequence[FindingLike], policies: Sequence[Policy]) -> dict[str, Any]:
    index = {policy.name: i for i, policy in enumerate(policies)}
    # A stack-wide violation with no object of its own is shown at the first file's top.
    located = [f.location for f in findings if f.location]
    fallback = located[0] if located else Location("manifests", 1)
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": TOOL_NAME,
                        "version": pack_version(),
                        "rules": [_rule(policy) for policy in policies],
                    }
                },
                "results": [_result(f, index, Location(fallback.path, 1)) for f in findings],
                "columnKind": "unicodeCodePoints",
            }
        ],
    }


def render_sarif(findings: Sequence[FindingLike], policies: Sequence[Policy]) -> str:
    return json.dumps(sarif_log(findings, policies), indent=2)
