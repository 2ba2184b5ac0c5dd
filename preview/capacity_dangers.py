"""Updates that take capacity away without deleting anything.

- An autoscaler whose minimum is at or below what its PodDisruptionBudget must keep: at the
  minimum the budget allows no eviction, so node drains and cluster upgrades block (a PDB
  whose minAvailable is >= the HPA's minReplicas blocks every voluntary eviction).
- A Deployment whose pods roll with ``strategy: Recreate`` (or a rolling update that may take
  every pod down): every replica stops before the new ones start.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from preview.danger_texts import Danger
from preview.verdicts import ResourceChange

Document = Mapping[str, Any]


def capacity_dangers(changes: list[ResourceChange], documents: Mapping[str, Document]) -> list[Danger]:
    found: list[Danger] = []
    changed_files = {c.new_file for c in changes if c.op in ("create", "import", "update", "replace")}
    for path in sorted(changed_files):
        document = documents.get(path) or {}
        if document.get("kind") == "HorizontalPodAutoscaler":
            found += _budget_blocks(document, documents.values())
        elif document.get("kind") == "PodDisruptionBudget":
            found += [
                text
                for hpa in documents.values()
                if hpa.get("kind") == "HorizontalPodAutoscaler" and _same_namespace(hpa, document)
                for text in _budget_blocks(hpa, [document])
            ]
    for change in changes:
        if change.op == "update" and change.type.endswith(":Deployment"):
            document = documents.get(change.new_file) or {}
            if any(f.path.startswith("spec.template") for f in change.fields) and _stops_everything(document):
                found.append(_recreate(change, document))
    return _unique(found)


def _same_namespace(a: Document, b: Document) -> bool:
    return (a.get("metadata") or {}).get("namespace") == (b.get("metadata") or {}).get("namespace")


def _budget_blocks(hpa: Document, documents: Iterable[Document]) -> list[Danger]:
    """The autoscaler's minimum against every budget covering the pods of the workload it scales."""
    spec = hpa.get("spec") or {}
    minimum = int(spec.get("minReplicas", 1))
    target = (spec.get("scaleTargetRef") or {}).get("name")
    workload = next(
        (
            d
            for d in documents
            if d.get("kind") == (spec.get("scaleTargetRef") or {}).get("kind")
            and (d.get("metadata") or {}).get("name") == target
            and _same_namespace(d, hpa)
        ),
        None,
    )
    pod_labels = (
        (((workload or {}).get("spec") or {}).get("template") or {}).get("metadata", {}).get("labels", {})
    )
    found = []
    for pdb in documents:
        if pdb.get("kind") != "PodDisruptionBudget" or not _same_namespace(pdb, hpa):
            continue
        selector = ((pdb.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        covers = workload is None and selector.get("app.kubernetes.io/name") == target
        if (covers or (selector and selector.items() <= pod_labels.items())) and _no_eviction(pdb, minimum):
            found.append(_blocked_drain(hpa, pdb, minimum))
    return found


def _no_eviction(pdb: Document, replicas: int) -> bool:
    """Whether the budget allows no voluntary eviction with ``replicas`` healthy pods."""
    spec = pdb.get("spec") or {}
    if "maxUnavailable" in spec:
        return _count(spec["maxUnavailable"], replicas, math.floor) == 0
    if "minAvailable" in spec:
        return _count(spec["minAvailable"], replicas, math.ceil) >= replicas
    return False


def _count(value: Any, replicas: int, rounding: Any) -> int:
    if isinstance(value, str) and value.endswith("%"):
        return int(rounding(replicas * float(value[:-1]) / 100))
    return int(value)


def _blocked_drain(hpa: Document, pdb: Document, minimum: int) -> Danger:
    name = str((hpa.get("metadata") or {}).get("name"))
    namespace = (hpa.get("metadata") or {}).get("namespace")
    pdb_name = (pdb.get("metadata") or {}).get("name")
    budget = {
        key: value
        for key, value in (pdb.get("spec") or {}).items()
        if key in ("minAvailable", "maxUnavailable")
    }
    why = (
        f"the autoscaler may scale down to {minimum} pods, and the PodDisruptionBudget {pdb_name} ({budget}) "
        "then allows no eviction: node drains and cluster upgrades block until someone deletes pods by hand."
    )
    instead = (
        "keep the budget below the autoscaler's minimum: minAvailable < minReplicas, or maxUnavailable: 1."
    )
    return Danger(
        "update",
        "HorizontalPodAutoscaler",
        name,
        f"kubernetes:autoscaling/v2:HorizontalPodAutoscaler {namespace}/{name}",
        why,
        instead,
    )


def _stops_everything(deployment: Document) -> bool:
    strategy = (deployment.get("spec") or {}).get("strategy") or {}
    if strategy.get("type") == "Recreate":
        return True
    unavailable = (strategy.get("rollingUpdate") or {}).get("maxUnavailable")
    return unavailable == "100%"


def _recreate(change: ResourceChange, deployment: Document) -> Danger:
    name = str((deployment.get("metadata") or {}).get("name"))
    why = "its pod template changes and its strategy stops every pod before the new ones start."
    instead = "roll it with `strategy: RollingUpdate` and `maxUnavailable: 0` (surge instead)."
    return Danger("update", "Deployment", name, f"{change.type} {change.name}", why, instead)


def _unique(texts: list[Danger]) -> list[Danger]:
    return list({(t.key, t.why): t for t in texts}.values())
