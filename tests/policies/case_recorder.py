"""Recording policy cases: ``ok``/``bad`` append a compliant or a violating case to a list."""

from __future__ import annotations

from typing import Any

from preview.synth import DeclaredResource
from tests.policies.cases import Case


class CaseRecorder:
    def __init__(self) -> None:
        self.cases: list[Case] = []

    def ok(self, policy: str, id_: str, resources: list[DeclaredResource], **config: Any) -> None:
        self.cases.append(Case(policy, False, resources, f"{policy}:ok:{id_}", config))

    def bad(self, policy: str, id_: str, resources: list[DeclaredResource], **config: Any) -> None:
        self.cases.append(Case(policy, True, resources, f"{policy}:bad:{id_}", config))
