"""An in-memory stand-in for the autoscaler's Engine adapter and a constant CPU source.

For answers a real Engine cannot be made to give on cue (malformed objects, a service vanishing
between two calls, a refused update); the real Engine runs in tests/integration/swarm/.
"""

from __future__ import annotations

import copy
from typing import Any

import docker

from autoscaler.controller import Controller, ControllerConfig
from autoscaler.engine import EngineError, ServiceView, SwarmEngine, TaskView
from autoscaler.labels import ServiceRules, encode
from autoscaler.observability import AutoscalerMetrics
from autoscaler.replicas import Sample
from autoscaler.sources import Samples
from autoscaler.spec import AutoscalingSpec, Behavior, MetricTarget

NOW = 1_577_837_400.0  # 2020-01-01T00:10:00Z: the tasks have run 10 min
RULES = ServiceRules(AutoscalingSpec(2, 6, (MetricTarget("cpu", 50),), Behavior()))


def raw_service(name: str, replicas: int = 2, **extra: Any) -> dict[str, Any]:
    return {
        "ID": f"id-{name}",
        "Version": {"Index": 7},
        "Spec": {
            "Name": name,
            "Labels": encode(RULES),
            "Mode": {"Replicated": {"Replicas": replicas}},
            "TaskTemplate": {"Resources": {"Reservations": {"NanoCPUs": 100_000_000}}},
        },
        **extra,
    }


def raw_task(index: int) -> dict[str, Any]:
    return {
        "ID": f"task-{index}",
        "DesiredState": "running",
        "Status": {"State": "running", "Timestamp": "2020-01-01T00:00:00.5Z"},
    }


class InMemoryEngine:
    """Answers like SwarmEngine's, from a dict; ``fail`` makes every call raise EngineError."""

    def __init__(self, services: list[dict[str, Any]]) -> None:
        self.services = services
        self.scaled: list[tuple[str, int]] = []
        self.fail = False
        self.refuse_scale = False
        self.vanish: set[str] = set()
        self.raw_tasks: list[Any] = [raw_task(i) for i in range(2)]

    def autoscaled_services(self, namespace: str | None = None) -> list[dict[str, Any]]:
        if self.fail:
            raise EngineError("list services: connection refused")
        return copy.deepcopy(self.services)

    def running_tasks(self, service_id: str) -> list[TaskView]:
        if service_id in self.vanish:
            raise docker.errors.NotFound("no such service")
        return SwarmEngine.running_tasks(self, service_id)  # type: ignore[arg-type]

    def _call(self, what: str, function: Any, *args: Any, **kwargs: Any) -> Any:
        return function(*args, **kwargs)

    @property
    def api(self) -> Any:
        engine = self

        class Api:
            def tasks(self, filters: dict[str, Any]) -> list[Any]:
                return copy.deepcopy(engine.raw_tasks)

        return Api()

    def container(self, container_id: str) -> None:
        return None

    def scale(self, service: ServiceView, replicas: int) -> None:
        if self.refuse_scale:
            raise EngineError("update out of sequence")
        self.scaled.append((service.name, replicas))
        for raw in self.services:
            if isinstance(raw, dict) and raw.get("ID") == service.id:  # as the Engine: the spec says so
                raw["Spec"]["Mode"] = {"Replicated": {"Replicas": replicas}}


class BusySource:
    """Every task at ``millicores``."""

    metrics = ("cpu",)

    def __init__(self, millicores: int) -> None:
        self.millicores = millicores

    def read(self, service: ServiceView, tasks: Any, health: Any) -> Samples:
        return {"cpu": {t.id: Sample(self.millicores, NOW, 1.0) for t in tasks}}


def controller(engine: InMemoryEngine, millicores: int = 200, **config: Any) -> Controller:
    return Controller(
        engine,  # type: ignore[arg-type]
        [BusySource(millicores)],  # type: ignore[list-item]
        AutoscalerMetrics(),
        ControllerConfig(**config),
        clock=lambda: NOW,
    )
