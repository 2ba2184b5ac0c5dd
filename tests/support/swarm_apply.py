"""Test support: apply what the program declared (pulumi_docker inputs) to a real Docker Engine.

Swarm resources (services, configs, secrets) and plain containers (the dev stack's, through
tests/support/container_apply.py) alike.

The Pulumi engine and the docker provider plugin cannot run here, so this does their part
with the official Docker SDK: each resource's inputs become the Engine API body through
preview/docker_api.py (the provider's own field mapping; an unknown input is an error), in
dependency order, with the mock runtime's ids replaced by the engine's. Updates change what
changed (services in place, content-named configs and secrets by replacement), deletes run
in reverse order and keep what is declared ``retain_on_delete`` (data volumes), and a
service with a ``convergeConfig`` is waited for as the provider waits: every task running.
Resources are created in dependency order (the engine's), which plain containers need: the
provider waits for each to turn healthy (or, attached, to exit) before its dependents start.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
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
from preview.docker_container_api import CONTAINER
from preview.synth import DeclaredResource, Synthesis, is_secret
from tests.support import container_apply

ORDER = (NETWORK, VOLUME, SECRET, CONFIG, SERVICE, CONTAINER)


UPDATE_ATTEMPTS = 5
# Containers created at once (the Pulumi engine's default parallelism is unbounded).
PARALLEL_CONTAINERS = 16


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
        for resource in self._containers_in_waves(declared, changed):
            body = engine_object(resource.type, _substitute(unwrap(resource.inputs), self.ids))
            previous = self.state.get(resource.urn)
            if previous is not None and previous.body == body:
                self._keep(previous, resource)
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

    def _containers_in_waves(
        self, declared: dict[str, DeclaredResource], changed: list[str]
    ) -> Iterator[DeclaredResource]:
        """The other resources in dependency order; containers applied here, a wave at a time:
        the engine creates what does not depend on each other in parallel, and the provider
        waits for each container (healthy, or exited) before its dependents start."""
        for wave in dependency_waves(declared):
            containers = [r for r in wave if r.type == CONTAINER]
            yield from (r for r in wave if r.type != CONTAINER)
            with ThreadPoolExecutor(max_workers=PARALLEL_CONTAINERS) as pool:
                names = list(pool.map(self._apply_container, containers))
            changed.extend(name for name in names if name)

    def _apply_container(self, resource: DeclaredResource) -> str | None:
        """Create, update or replace one container; its name when it changed."""
        body = engine_object(resource.type, _substitute(unwrap(resource.inputs), self.ids))
        previous = self.state.get(resource.urn)
        if previous is not None and previous.body == body:
            self._keep(previous, resource)
            return None
        self._change_container(resource, body, previous)
        return resource.name

    def _keep(self, previous: Applied, resource: DeclaredResource) -> None:
        """An unchanged resource: the engine still records its new options (``protect``,
        ``retainOnDelete``) in the state, so a later destroy follows them."""
        self.state[resource.urn] = Applied(resource, previous.engine_id, previous.body)

    def _change_container(
        self, resource: DeclaredResource, body: dict[str, Any], previous: Applied | None
    ) -> None:
        if previous is not None and container_apply.updatable(previous.body, body):
            container_apply.update(self.client, previous.engine_id, body)
            self.state[resource.urn] = Applied(resource, previous.engine_id, body)
            return
        if previous is not None:
            container_apply.delete(self.client, previous.engine_id, previous.body)
        engine_id = container_apply.create(self.client, body)
        self.state[resource.urn] = Applied(resource, engine_id, body)
        self.ids[f"{resource.name}-id"] = engine_id

    def destroy(self) -> None:
        """``pulumi destroy``: everything in reverse order, except what is declared retained.

        Like the engine, it refuses to start while anything it would delete is protected.
        """
        protected = sorted(a.resource.urn for a in self.state.values() if a.resource.protect)
        if protected:
            raise ProtectedResourceError(f"cannot delete protected resources: {', '.join(protected)}")
        # The engine deletes what does not depend on each other in parallel: all services go
        # at once (then their containers are waited for), then what they used. Containers go
        # in reverse dependency order (the CDN before its origin, the services before Redis).
        for type_ in reversed(ORDER):
            doomed = [
                a for a in self.state.values() if a.resource.type == type_ and not a.resource.retain_on_delete
            ]
            if type_ == CONTAINER:
                self._remove_containers(doomed)
                continue
            for applied in doomed:
                self._remove(applied)
            if type_ == SERVICE:
                for applied in doomed:
                    self._wait_tasks_gone(applied.body["Name"])
        self.state.clear()

    def _remove_containers(self, doomed: list[Applied]) -> None:
        """Dependents first, a wave at a time; the containers of one wave in parallel."""
        by_urn = {a.resource.urn: a for a in doomed}
        waves = dependency_waves({urn: a.resource for urn, a in by_urn.items()})
        with ThreadPoolExecutor(max_workers=PARALLEL_CONTAINERS) as pool:
            for wave in reversed(waves):
                list(pool.map(self._remove, [by_urn[r.urn] for r in wave]))

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
        if type_ == CONTAINER:
            container_apply.delete(self.client, engine_id, applied.body)
        elif type_ == SERVICE:
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


def dependency_waves(declared: dict[str, DeclaredResource]) -> list[list[DeclaredResource]]:
    """Resources in waves: each after every wave holding what it depends on; by kind, then URN."""
    done: set[str] = set()
    waves: list[list[DeclaredResource]] = []
    pending = sorted(declared.values(), key=lambda r: (ORDER.index(r.type), r.urn))
    while pending:
        wave = [r for r in pending if all(d in done or d not in declared for d in r.depends_on)]
        if not wave:
            raise ValueError(f"dependency cycle among {[r.name for r in pending]}")
        waves.append(wave)
        done.update(r.urn for r in wave)
        pending = [r for r in pending if r.urn not in done]
    return waves


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
