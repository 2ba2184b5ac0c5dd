"""Dangers of Cloudflare changes: a hostname that stops resolving, a zone that stops validating,
an edge that stops filtering.

The Kubernetes dangers are about data and capacity; at the edge the loss is reachability and
protection, and it is just as immediate: a deleted record takes the hostname off the internet.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from preview.danger_texts import Danger
from preview.verdicts import ResourceChange

_PHASE_PURPOSE = {
    "http_request_cache_settings": "its cache rules (the private-path and signed-in bypasses among them)",
    "http_ratelimit": "its rate limiting",
    "http_request_firewall_custom": "its WAF custom rules",
    "http_request_firewall_managed": "its managed WAF rulesets",
}


def edge_danger(change: ResourceChange, document: Mapping[str, Any]) -> Danger | None:
    """The danger of one change of a Cloudflare resource; None when it takes nothing away."""
    kind = change.type.rsplit(":", 1)[-1]
    inputs: Mapping[str, Any] = document.get("inputs") or {}
    resource = f"{change.type} {change.name}"
    if kind == "DnsRecord" and change.op in ("delete", "replace"):
        why, instead = _record(change, inputs)
    elif kind == "ZoneDnssec" and change.op in ("delete", "replace"):
        why, instead = _dnssec(change)
    elif kind == "Ruleset" and change.op in ("delete", "replace"):
        why, instead = _ruleset(change, inputs)
    else:
        return None
    return Danger(change.op, kind, change.name, resource, why, instead)


def _record(change: ResourceChange, inputs: Mapping[str, Any]) -> tuple[str, str]:
    host = inputs.get("name") or change.name
    if change.op == "delete":
        return (
            f"{host} stops resolving: every visitor of that hostname gets a DNS error "
            "(and anything still linking to it breaks).",
            "keep the record until nothing uses the hostname; to move it, change its content in place.",
        )
    because = ", ".join(f"`{path}`" for path in change.replace_because)
    order = (
        "deletes the record first: the hostname does not resolve until the new one exists"
        if change.delete_first
        else "creates the new record first, which Cloudflare refuses while an A, AAAA or CNAME record "
        "with the same name exists: the deployment fails"
    )
    return (
        f"the record for {host} is replaced ({because} cannot change in place) and the engine {order}.",
        "set `delete_before_replace=True` on the record for this change (a short resolution gap), or "
        "add a record under a new hostname first and move traffic to it.",
    )


def _dnssec(change: ResourceChange) -> tuple[str, str]:
    return (
        "DNSSEC is switched off while the registrar still publishes the zone's DS record: validating "
        "resolvers then reject every answer of the zone, and the whole site stops resolving for them.",
        "remove the DS record at the registrar first, wait for its TTL (and the parent zone's) to pass, "
        "then switch DNSSEC off.",
    )


def _ruleset(change: ResourceChange, inputs: Mapping[str, Any]) -> tuple[str, str]:
    phase = str(inputs.get("phase") or "")
    purpose = _PHASE_PURPOSE.get(phase, f"its {phase or 'rules'}")
    if change.op == "delete":
        return (
            f"the zone loses {purpose}: requests reach the CDN tier without them.",
            "keep the ruleset; change its rules instead of removing it.",
        )
    because = ", ".join(f"`{path}`" for path in change.replace_because)
    return (
        f"the ruleset is replaced ({because} cannot change in place): a zone has one entry-point ruleset "
        "per phase, so creating the new one first fails while the old one exists, and in between the "
        f"zone is without {purpose}.",
        "change the rules of the existing ruleset instead; if the phase or kind must change, delete the "
        "old ruleset in a deployment of its own first.",
    )
