"""Test support: apply what the program declared (pulumi_docker inputs) to a real Docker Engine.

The Pulumi engine and the docker provider plugin cannot run here, so this does their part
with the official Docker SDK: each resource's inputs become the Engine API body through
preview/docker_api.py (the provider's own field mapping; an unknown input is an error), in
dependency order, with the mock runtime's ids replaced by the engine's. Updates change what
changed (services in place, content-named configs and secrets by replacement), deletes run
in reverse order and keep what is declared ``retain_on_delete`` (data volumes), and a
service with a ``convergeConfig`` is waited for as the provider waits: every task running.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import docker

from components.swarm.service import REPLICAS_PATH
from preview.docker_api import (
    CONFIG,
    CONVERGE_CONFIG,
    NETWORK,
    SECRET,
    SERVICE,
    VOLUME,
    duration_ns,
    engine_object,
)
from preview.synth import DeclaredResource, Synthesis, is_secret

ORDER = (NETWORK, VOLUME, SECRET, CONFIG, SERVICE)


UPDATE_ATTEMPTS = 5


class ProtectedResourceError(Exception):
    """A destroy that would delete a resource declared ``protect`` (the engine refuses it)."""


class ConvergeError(Exception):
    """A service whose tasks did not all run within its convergeConfig timeout."""


def unwrap(value: Any) -> Any:
    """Inputs as the provider receives them: secrets unwrapped, integral floats as ints."""
    if is_secret(value):
        return unwrap(value["value"])
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: unwrap(item) for key, item in value.items()}
    if isinstance(value, list):
        return [unwrap(item) for item in value]
    return value


def _substitute(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return ids.get(value, value)
    if isinstance(value, dict):
        return {key: _substitute(item, ids) for key, item in value.items()}
    if isinstance(value, list):
        return [_substitute(item, ids) for item in value]
    return value


@dataclass
class Applied:
    resource: DeclaredResource
    engine_id: str
    body: dict[str, Any]


@dataclass
class SwarmApplier:
    """The engine-side state of one stack: what was created from which declared resource."""

    client: docker.DockerClient
    converge: bool = True
    state: dict[str, Applied] = field(default_factory=dict)
    # The mock runtime's id of each resource ("<name>-id") -> the engine's id.
    ids: dict[str, str] = field(default_factory=dict)

    def apply(self, synthesis: Synthesis) -> list[str]:
        """Create, update and delete until the engine holds ``synthesis``; returns what changed."""
        declared = {r.urn: r for r in synthesis.resources if r.custom and r.type in ORDER}
        changed: list[str] = []
        created: list[tuple[str, dict[str, Any]]] = []
        updated: list[str] = []
        replaced: list[Applied] = []
        for resource in sorted(declared.values(), key=lambda r: (ORDER.index(r.type), r.urn)):
            body = engine_object(resource.type, _substitute(unwrap(resource.inputs), self.ids))
            previous = self.state.get(resource.urn)
            if previous is not None and previous.body == body:
                continue
            changed.append(resource.name)
            if previous is not None and resource.type == SERVICE:
                self._update_service(previous.engine_id, body, resource.ignore_changes)
                self.state[resource.urn] = Applied(resource, previous.engine_id, body)
                updated.append(previous.engine_id)
                continue
            engine_id = self._create(resource.type, body)
            self.state[resource.urn] = Applied(resource, engine_id, body)
            self.ids[f"{resource.name}-id"] = engine_id
            if previous is not None:
                # Content-named configs and secrets: create the new one, roll the services to
                # it, then delete the old one (the engine's create-before-delete replacement).
                replaced.append(previous)
            if resource.type == SERVICE and CONVERGE_CONFIG in resource.inputs:
                created.append((engine_id, resource.inputs[CONVERGE_CONFIG]))
        if self.converge:
            # The engine creates independent resources in parallel: wait once all are created.
            for service_id, converge in created:
                self.wait_converged(service_id, converge)
            for service_id in updated:
                self.wait_updated(service_id)
        for applied in replaced:
            self._delete(applied)
        for urn in [urn for urn in self.state if urn not in declared]:
            self._delete(self.state.pop(urn))
            changed.append(urn)
        return changed

    def destroy(self) -> None:
        """``pulumi destroy``: everything in reverse order, except what is declared retained.

        Like the engine, it refuses to start while anything it would delete is protected.
        """
        protected = sorted(a.resource.urn for a in self.state.values() if a.resource.protect)
        if protected:
            raise ProtectedResourceError(f"cannot delete protected resources: {', '.join(protected)}")
        # The engine deletes what does not depend on each other in parallel: all services go
        # at once (then their containers are waited for), then what they used.
        for type_ in reversed(ORDER):
            doomed = [
                a for a in self.state.values() if a.resource.type == type_ and not a.resource.retain_on_delete
            ]
            for applied in doomed:
                self._remove(applied)
            if type_ == SERVICE:
                for applied in doomed:
                    self._wait_tasks_gone(applied.body["Name"])
        self.state.clear()

    def _create(self, type_: str, body: dict[str, Any]) -> str:
        api = self.client.api
        if type_ == NETWORK:
            return str(self.client.networks.create(body["Name"], **_network_kwargs(body)).id)
        if type_ == VOLUME:
            return str(
                api.create_volume(
                    body["Name"], body.get("Driver"), body.get("DriverOpts"), body.get("Labels")
                )["Name"]
            )
        if type_ in (SECRET, CONFIG):
            create = api.create_secret if type_ == SECRET else api.create_config
            # The SDK base64-encodes the data itself.
            return str(create(body["Name"], base64.b64decode(body["Data"]), body.get("Labels"))["ID"])
        return str(api.create_service(body["TaskTemplate"], **_service_kwargs(body))["ID"])

    def _update_service(self, service_id: str, body: dict[str, Any], ignore_changes: Iterable[str]) -> None:
        for path in ignore_changes:
            if path != REPLICAS_PATH:
                raise ValueError(f"ignore_changes {path!r}: the applier keeps only {REPLICAS_PATH!r} live")

        def declared(live: dict[str, Any]) -> dict[str, Any]:
            # The autoscaler (or an operator) owns the replica count once the service exists.
            return {**body, "Mode": live["Mode"]} if ignore_changes else body

        self.update_spec(service_id, declared)

    def scale(self, service_id: str, replicas: int) -> None:
        """``docker service scale``: the live spec with only the replica count changed."""
        self.update_spec(service_id, lambda live: {**live, "Mode": {"Replicated": {"Replicas": replicas}}})

    def update_spec(self, service_id: str, change: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
        """Replace the service's spec with ``change(live spec)``, at the live version."""
        for attempt in range(UPDATE_ATTEMPTS):
            live = self.client.api.inspect_service(service_id)
            spec = change(live["Spec"])
            try:
                self.client.api.update_service(
                    service_id,
                    live["Version"]["Index"],
                    task_template=spec["TaskTemplate"],
                    **_service_kwargs(spec),
                )
                return
            except docker.errors.APIError as error:
                # Swarm itself bumped the version (an update's progress) since it was read.
                if "out of sequence" not in str(error) or attempt == UPDATE_ATTEMPTS - 1:
                    raise
                time.sleep(0.5)

    def _delete(self, applied: Applied) -> None:
        self._remove(applied)
        if applied.resource.type == SERVICE:
            self._wait_tasks_gone(applied.body["Name"])

    def _remove(self, applied: Applied) -> None:
        api, engine_id, type_ = self.client.api, applied.engine_id, applied.resource.type
        if type_ == SERVICE:
            api.remove_service(engine_id)
        elif type_ == NETWORK:
            api.remove_network(engine_id)
        elif type_ == VOLUME:
            api.remove_volume(engine_id)
        elif type_ == SECRET:
            api.remove_secret(engine_id)
        else:
            api.remove_config(engine_id)

    def _wait_tasks_gone(self, name: str, timeout: float = 120) -> None:
        # The provider waits for the containers to go, so networks and volumes can follow.
        deadline = time.monotonic() + timeout
        label = f"com.docker.swarm.service.name={name}"
        while self.client.containers.list(all=True, filters={"label": label}):
            if time.monotonic() > deadline:
                raise ConvergeError(f"containers of {name} still exist after {timeout:g} s")
            time.sleep(0.5)

    def wait_converged(self, service_id: str, converge: dict[str, Any]) -> None:
        """Every desired task running (and healthy where the service has a health check)."""
        timeout = duration_ns(converge.get("timeout", "3m"), "convergeConfig.timeout") / 1e9
        deadline = time.monotonic() + timeout
        while True:
            if self.converged(service_id):
                return
            if time.monotonic() > deadline:
                raise ConvergeError(
                    f"service {service_id} did not converge in {timeout:g} s: "
                    f"{self.task_states(service_id)}; "
                    f"last log lines: {self.logs(service_id)}"
                )
            time.sleep(1)

    def wait_updated(self, service_id: str, timeout: float = 180) -> None:
        """A rolling update finished (every slot replaced and monitored) and the tasks are healthy."""
        deadline = time.monotonic() + timeout
        while True:
            status = self.client.api.inspect_service(service_id).get("UpdateStatus", {})
            state = status.get("State", "completed")
            if state in ("paused", "rollback_completed", "rollback_paused"):
                raise ConvergeError(f"update of {service_id} ended {state}: {status.get('Message')}")
            if state == "completed" and self.converged(service_id):
                return
            if time.monotonic() > deadline:
                raise ConvergeError(f"update of {service_id} still {state} after {timeout:g} s")
            time.sleep(1)

    def logs(self, service_id: str) -> str:
        # As the provider does for a service that did not converge: its tasks' last lines.
        output = self.client.api.service_logs(service_id, stdout=True, stderr=True, tail=10)
        return b"".join(output).decode(errors="replace")[-2000:]

    def task_states(self, service_id: str) -> list[str]:
        tasks = self.client.api.tasks(filters={"service": service_id, "desired-state": "running"})
        return [f"{t['Status']['State']} {t['Status'].get('Err', '')}".strip() for t in tasks]

    def converged(self, service_id: str) -> bool:
        """The wanted number of tasks run the service's current container spec, healthy."""
        service = self.client.api.inspect_service(service_id)
        wanted = service["Spec"]["Mode"].get("Replicated", {}).get("Replicas", 1)
        current = service["Spec"]["TaskTemplate"]["ContainerSpec"]
        tasks = self.client.api.tasks(filters={"service": service_id, "desired-state": "running"})
        running = [
            t for t in tasks if t["Status"]["State"] == "running" and t["Spec"]["ContainerSpec"] == current
        ]
        if len(running) != wanted or len(tasks) != wanted:
            return False
        return all(self._healthy(t) for t in running)

    def _healthy(self, task: dict[str, Any]) -> bool:
        container_id = task["Status"].get("ContainerStatus", {}).get("ContainerID")
        if not container_id:
            return False
        health = self.client.api.inspect_container(container_id)["State"].get("Health")
        return health is None or health.get("Status") == "healthy"

    def service_id(self, name: str) -> str:
        return next(
            a.engine_id for a in self.state.values() if a.resource.name == name and a.resource.type == SERVICE
        )

    def retained(self) -> Iterable[Applied]:
        return [a for a in self.state.values() if a.resource.retain_on_delete]


def _network_kwargs(body: dict[str, Any]) -> dict[str, Any]:
    keys = {
        "Driver": "driver",
        "Options": "options",
        "Labels": "labels",
        "Attachable": "attachable",
        "Internal": "internal",
        "Ingress": "ingress",
        "CheckDuplicate": "check_duplicate",
    }
    return {keys[key]: value for key, value in body.items() if key in keys}


def _service_kwargs(spec: dict[str, Any]) -> dict[str, Any]:
    """The Docker SDK's keyword arguments for a ServiceSpec's parts besides its task template."""
    return {
        "name": spec["Name"],
        "labels": spec.get("Labels"),
        "mode": spec.get("Mode"),
        "update_config": spec.get("UpdateConfig"),
        "rollback_config": spec.get("RollbackConfig"),
        "endpoint_spec": spec.get("EndpointSpec"),
    }
