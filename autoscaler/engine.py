"""The Docker Engine as the autoscaler sees it: autoscaled services, their tasks, scaling.

Reads through the official ``docker`` SDK's low-level client; every answer is turned into
plain values here, defensively (a field that is missing or of the wrong type never raises
past ``read_service``: the service is reported unreadable instead). Writes one thing only:
``Mode.Replicated.Replicas`` of a service, with the version it was read at, so a concurrent
change (a deploy) wins and this cycle's scale is dropped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeGuard

import docker
from docker.types import ServiceMode

from autoscaler.labels import AUTOSCALE_LABEL, STACK_LABEL

# Swarm task states before a container runs (api/types/swarm/task.go), as the HPA's "Pending".
PENDING_STATES = frozenset(
    {"new", "allocated", "pending", "assigned", "accepted", "preparing", "ready", "starting"}
)
FAILED_STATES = frozenset({"failed", "rejected", "orphaned", "remove", "complete", "shutdown"})
# UpdateStatus.State values of a rolling update that has not finished.
UPDATE_IN_PROGRESS = frozenset({"updating", "paused", "rollback_started", "rollback_paused"})


class EngineError(Exception):
    """The Engine API could not be reached or refused a call; the cycle is skipped."""


@dataclass(frozen=True)
class TaskView:
    id: str
    slot: int | None
    node_id: str
    state: str
    desired_state: str
    container_id: str | None
    state_since: float | None  # when the task entered its current state
    addresses: tuple[str, ...] = ()  # its IPs on the service's networks

    @property
    def phase(self) -> str:
        if self.state == "running":
            return "running"
        if self.state in PENDING_STATES:
            return "pending"
        return "failed"

    @property
    def being_removed(self) -> bool:
        return self.desired_state != "running"


@dataclass(frozen=True)
class ServiceView:
    id: str
    name: str
    version: int
    labels: Mapping[str, str]
    replicas: int | None  # None: not a replicated service
    update_state: str | None
    reservations: Mapping[str, int] = field(default_factory=dict)  # cpu millicores, memory bytes

    @property
    def updating(self) -> bool:
        return self.update_state in UPDATE_IN_PROGRESS


def as_object(value: Any) -> Mapping[str, Any]:
    """``value`` if it is an object, else an empty one: a malformed answer reads as missing fields."""
    return value if isinstance(value, Mapping) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def parse_time(value: Any) -> float | None:
    """An Engine API timestamp (RFC 3339 with nanoseconds) as seconds since the epoch."""
    if not isinstance(value, str) or not value or value.startswith("0001-01-01"):
        return None
    text = value.rstrip("Z")
    whole, _, fraction = text.partition(".")
    try:
        moment = dt.datetime.fromisoformat(whole).replace(tzinfo=dt.UTC)
    except ValueError:
        return None
    digits = "".join(ch for ch in fraction if ch.isdigit())[:6]
    return moment.timestamp() + (int(digits) / 10 ** len(digits) if digits else 0.0)


def _reservations(spec: Mapping[str, Any]) -> dict[str, int]:
    resources = as_object(as_object(spec.get("TaskTemplate")).get("Resources"))
    reservations = as_object(resources.get("Reservations"))
    found = {}
    if isinstance(reservations.get("NanoCPUs"), int) and reservations["NanoCPUs"] > 0:
        found["cpu"] = reservations["NanoCPUs"] // 1_000_000
    if isinstance(reservations.get("MemoryBytes"), int) and reservations["MemoryBytes"] > 0:
        found["memory"] = reservations["MemoryBytes"]
    return found


def _is_count(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def service_view(raw: Any) -> ServiceView:
    """A service from the Engine's answer; ``ValueError`` naming what is missing or malformed."""
    body = as_object(raw)
    spec = as_object(body.get("Spec"))
    service_id, name, version = body.get("ID"), spec.get("Name"), as_object(body.get("Version")).get("Index")
    if not service_id or not isinstance(name, str) or not _is_count(version):
        raise ValueError(f"service without an ID, Spec.Name or Version.Index: {str(raw)[:200]}")
    replicated = as_object(spec.get("Mode")).get("Replicated")
    replicas = as_object(replicated).get("Replicas", 1) if isinstance(replicated, Mapping) else None
    if replicas is not None and not _is_count(replicas):
        raise ValueError(f"service {name}: Mode.Replicated.Replicas {replicas!r} is not a count")
    update_state = as_object(body.get("UpdateStatus")).get("State")
    return ServiceView(
        id=str(service_id),
        name=name,
        version=version,
        labels={str(k): str(v) for k, v in as_object(spec.get("Labels")).items()},
        replicas=replicas,
        update_state=str(update_state) if update_state is not None else None,
        reservations=_reservations(spec),
    )


def task_view(raw: Mapping[str, Any]) -> TaskView:
    """A task from the Engine's answer; ``KeyError`` when it has no ID (other fields default)."""
    status = as_object(raw.get("Status"))
    container = as_object(status.get("ContainerStatus")).get("ContainerID")
    addresses = tuple(
        address.split("/")[0]
        for attachment in as_list(raw.get("NetworksAttachments"))
        for address in as_list(as_object(attachment).get("Addresses"))
        if isinstance(address, str)
    )
    slot = raw.get("Slot")
    return TaskView(
        id=str(raw["ID"]),
        slot=slot if isinstance(slot, int) else None,
        node_id=str(raw.get("NodeID", "")),
        state=str(status.get("State", "")),
        desired_state=str(raw.get("DesiredState", "")),
        container_id=str(container) if container else None,
        state_since=parse_time(status.get("Timestamp")),
        addresses=addresses,
    )


class SwarmEngine:
    """The autoscaler's calls to one Engine (a Swarm manager)."""

    def __init__(self, client: docker.DockerClient) -> None:
        self.client = client
        self.api = client.api

    def _call(self, what: str, function: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except docker.errors.NotFound:
            raise
        except (docker.errors.DockerException, OSError, ValueError) as error:
            # requests' ConnectionError and timeouts are OSErrors; a garbled reply is a ValueError.
            raise EngineError(f"{what}: {error}") from error

    def node_id(self) -> str:
        info = self._call("docker info", self.api.info)
        return str((info.get("Swarm") or {}).get("NodeID", ""))

    def autoscaled_services(self, namespace: str | None = None) -> list[dict[str, Any]]:
        """The raw services labelled for autoscaling, of one stack namespace if given."""
        selector = [f"{AUTOSCALE_LABEL}=true"]
        if namespace:
            selector.append(f"{STACK_LABEL}={namespace}")
        result = self._call("list services", self.api.services, filters={"label": selector})
        return list(result or [])

    def running_tasks(self, service_id: str) -> list[TaskView]:
        """The service's tasks meant to run, and those still running while being removed."""
        raw = self._call("list tasks", self.api.tasks, filters={"service": service_id}) or []
        tasks = [task_view(item) for item in as_list(raw) if isinstance(item, Mapping) and item.get("ID")]
        return [t for t in tasks if t.desired_state == "running" or t.state in ("running", *PENDING_STATES)]

    def container(self, container_id: str) -> dict[str, Any] | None:
        """``docker inspect`` of a container on this engine; None when it is not here."""
        try:
            inspected: dict[str, Any] = self._call(
                "inspect container", self.api.inspect_container, container_id
            )
        except docker.errors.NotFound:
            return None
        return inspected

    def stats(self, container_id: str) -> dict[str, Any] | None:
        """One reading of a local container's counters (``one_shot``: no second sample wait)."""
        try:
            stats: dict[str, Any] = self._call(
                "container stats", self.api.stats, container_id, stream=False, one_shot=True
            )
        except docker.errors.NotFound:
            return None
        return stats

    def scale(self, service: ServiceView, replicas: int) -> None:
        """Set the replica count, at the version read (a newer spec makes this fail, unchanged)."""
        try:
            self._call(
                "update service",
                self.api.update_service,
                service.id,
                service.version,
                mode=ServiceMode("replicated", replicas=replicas),
                fetch_current_spec=True,
            )
        except docker.errors.NotFound as error:
            raise EngineError(f"service {service.name} is gone") from error
