"""The peers' fixtures as cases: which file, which check, what verdict the peer's own tests expect.

Polaris: a ``failure*`` file fails its folder's check, a ``success*`` file passes it.
kube-score: the grade each Go test asserts (critical or warning: fails; almost ok, all ok or
skipped: passes), under the run configuration that test sets, translated to the pack's settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from policies.peers import KUBE_SCORE, POLARIS, PeerCheck, peer_check

HERE = Path(__file__).resolve().parent
POLARIS_CHECKS = HERE / "polaris" / "checks"
KUBE_SCORE_TESTDATA = HERE / "kube-score" / "testdata"
FAILING_GRADES = (1, 5)  # kube-score's GradeCritical and GradeWarning


@dataclass(frozen=True)
class PeerCase:
    tool: str
    check: str
    case: str  # the fixture (Polaris) or the Go test (kube-score)
    path: Path
    fails: bool  # the peer's verdict: the check fails on this fixture
    config: dict[str, Any] = field(default_factory=dict)  # the pack config equivalent to the peer's run

    @property
    def mapping(self) -> PeerCheck:
        return peer_check(self.tool, self.check)

    @property
    def id(self) -> str:
        return f"{self.tool}:{self.check}:{self.case}"


def polaris_cases() -> list[PeerCase]:
    return [
        PeerCase(POLARIS, fixture.parent.name, fixture.name, fixture, fixture.name.startswith("failure"))
        for fixture in sorted(POLARIS_CHECKS.glob("*/*.yaml"))
    ]


def _pack_config(run: dict[str, Any]) -> dict[str, Any]:
    """kube-score's run configuration as the pack's per-policy settings."""
    config: dict[str, Any] = {}
    if "MinReplicasHPA" in run:
        config["k8s-hpa-min-replicas"] = {"minimum": run["MinReplicasHPA"]}
    if "MinReplicasDeployment" in run:
        config["k8s-workload-replicas"] = {"minimum": run["MinReplicasDeployment"]}
    if run.get("KubernetesVersion"):
        config["k8s-stable-api-version"] = {"kubernetesVersion": run["KubernetesVersion"]}
    ignored = [r for r in ("Cpu", "Memory") if run.get(f"IgnoreContainer{r}LimitRequirement")]
    if ignored:
        limits = [r for r in ("cpu", "memory") if r.capitalize() not in ignored]
        config["k8s-resource-requests-and-limits"] = {"limits": limits}
    return config


@cache
def _expectations() -> list[dict[str, Any]]:
    return yaml.safe_load((HERE / "kube-score" / "expectations.yaml").read_text())


def kube_score_cases() -> list[PeerCase]:
    return [
        PeerCase(
            KUBE_SCORE,
            peer_check(KUBE_SCORE, expected["check"]).check,
            expected["test"],
            KUBE_SCORE_TESTDATA / expected["file"],
            expected["grade"] in FAILING_GRADES,
            _pack_config(expected["config"]),
        )
        for expected in _expectations()
    ]


def all_cases() -> list[PeerCase]:
    return polaris_cases() + kube_score_cases()
