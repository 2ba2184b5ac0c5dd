"""The peers' own fixtures through ``policies.scan``: the pack catches what Polaris and kube-score catch.

Each fixture runs alone (its objects are the whole "stack") through the policies the peer check is
mapped to in policies/peers.py. A failure fixture must be flagged and a success fixture must pass,
unless policies/peer_verdicts.py lists it with the reason the pack judges it differently.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from policies.peer_verdicts import DIFFERENT_VERDICTS
from policies.peers import KUBE_SCORE, PEER_CHECKS, POLARIS, different_verdict, peer_check, render
from policies.rules import ALL_POLICIES
from policies.scan import scan_paths
from tests.policies.peers.cases import HERE, PeerCase, all_cases

POLICIES = {policy.name: policy for policy in ALL_POLICIES}
CASES = all_cases()
COVERED = [case for case in CASES if case.mapping.covered]
RECALL_FLOOR = 0.98


_FLAGGED: dict[str, bool] = {}


def flagged(case: PeerCase) -> bool:
    """Does any policy mapped to the case's check report a violation on the fixture? (computed once)"""
    if case.id not in _FLAGGED:
        policies = [POLICIES[name] for name in case.mapping.policies]
        _FLAGGED[case.id] = bool(scan_paths([case.path], policies=policies, config=case.config).findings)
    return _FLAGGED[case.id]


def _source_checks(tool: str) -> list[str]:
    return list(yaml.safe_load((HERE / tool / "SOURCE.yaml").read_text())["checks"])


@pytest.mark.parametrize("tool", [POLARIS, KUBE_SCORE])
def test_every_peer_check_has_a_policy_or_a_reason(tool: str) -> None:
    mapped = {entry.check: entry for entry in PEER_CHECKS if entry.tool == tool}
    assert sorted(mapped) == sorted(_source_checks(tool))
    for entry in mapped.values():
        assert set(entry.policies) <= set(POLICIES), entry
        assert entry.covered != bool(entry.why_not), f"{entry.check}: a policy or a reason, not both"


def test_every_fixture_belongs_to_a_mapped_check() -> None:
    assert len(CASES) >= 480
    assert {case.tool for case in CASES} == {POLARIS, KUBE_SCORE}
    assert all(case.path.is_file() for case in CASES)


@pytest.mark.parametrize("case", COVERED, ids=[case.id for case in COVERED])
def test_fixture_gets_the_peers_verdict(case: PeerCase) -> None:
    listed = different_verdict(case.tool, case.check, case.case)
    if listed is None:
        assert flagged(case) == case.fails, (
            f"{case.path.name}: expected {'a' if case.fails else 'no'} violation"
        )
    else:
        assert flagged(case) == listed.flags != case.fails, f"{case.id} is listed but judged like the peer"


def test_every_listed_verdict_names_a_real_case() -> None:
    known = {(case.tool, case.check, case.case) for case in COVERED}
    stale = [v for v in DIFFERENT_VERDICTS if (v.tool, v.check, v.case) not in known]
    assert not stale
    assert all(v.reason.endswith(".") for v in DIFFERENT_VERDICTS)


@pytest.mark.parametrize("tool", [POLARIS, KUBE_SCORE])
def test_recall_where_the_pack_claims_an_equivalent(tool: str) -> None:
    failures = [case for case in COVERED if case.tool == tool and case.fails]
    caught = [case for case in failures if flagged(case)]
    assert len(failures) >= 90
    assert len(caught) / len(failures) >= RECALL_FLOOR, [c.id for c in failures if c not in caught]


def test_false_positives_are_all_stricter_or_broader_by_design() -> None:
    passes = [case for case in COVERED if not case.fails]
    unexplained = [c.id for c in passes if flagged(c) and different_verdict(c.tool, c.check, c.case) is None]
    assert unexplained == []
    outcome = Counter("flagged" if flagged(c) else "passed" for c in passes)
    assert outcome["passed"] > outcome["flagged"]


def _fixture_files() -> list[Path]:
    return sorted(p for p in HERE.rglob("*.yaml") if p.name not in ("SOURCE.yaml", "expectations.yaml"))


def test_the_whole_pack_runs_on_every_fixture_without_an_exception() -> None:
    files = _fixture_files()
    assert len(files) >= 460
    for path in files:
        scan_paths([path])  # a rule that raises surfaces as CouldNotRun naming it


def test_peers_md_is_the_rendering_of_the_mapping() -> None:
    document = Path(__file__).resolve().parents[2] / "policies" / "PEERS.md"
    assert document.read_text() == render(), "regenerate: python -m policies.peers > policies/PEERS.md"


PEER_NAMES = {POLARIS: "Polaris", KUBE_SCORE: "kube-score"}


@pytest.mark.parametrize("verdict", [v for v in DIFFERENT_VERDICTS if v.reason.startswith("Stricter")])
def test_stricter_policies_say_so_and_name_the_peers_rule(verdict) -> None:
    entry = peer_check(verdict.tool, verdict.check)
    descriptions = " ".join(POLICIES[name].description for name in entry.policies)
    assert "Stricter than" in descriptions and PEER_NAMES[verdict.tool] in descriptions, entry.policies
    assert entry.check in descriptions, f"{entry.policies} should name {verdict.tool}'s {entry.check}"
