"""``python -m checks --port-forward``: reach a stack's pods through the Kubernetes API.

The addresses the checks use (``redis-cluster-0.redis-cluster-headless.<ns>.svc.cluster.local``,
pod IPs from CLUSTER NODES, ``cdn.<ns>.svc.cluster.local``) resolve only inside the cluster, and
its default-deny NetworkPolicies admit no one from outside. Port-forwarding (what
``kubectl port-forward`` does, here through the official client's ``portforward``) opens a
stream to a pod's port over the API server, so the checks run from a CI runner with nothing
but a kubeconfig.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kubernetes import client

CLUSTER_DOMAIN_SUFFIX = ".svc.cluster.local"


class NoSuchPod(OSError):
    """No pod of the namespace answers to the address (redis-py reports it as a connection error)."""


def object_name(obj: Any) -> str:
    return str(obj.metadata.name) if obj.metadata else "(unnamed)"


def _ready(pod: client.V1Pod) -> bool:
    conditions = (pod.status.conditions if pod.status else None) or []
    return (
        pod.status is not None
        and pod.status.phase == "Running"
        and any(c.type == "Ready" and c.status == "True" for c in conditions)
    )


def container_ports(pod: client.V1Pod) -> dict[str, int]:
    """The pod's named container ports, and every port number by its own text."""
    ports: dict[str, int] = {}
    for container in (pod.spec.containers if pod.spec else None) or []:
        for port in container.ports or []:
            ports[str(port.container_port)] = port.container_port
            if port.name:
                ports[port.name] = port.container_port
    return ports


def pods_at(pods: Sequence[client.V1Pod], ip: str, port: int | None = None) -> list[client.V1Pod]:
    """Pods with address ``ip``; when several share it (hostNetwork), those declaring ``port``."""
    found = [pod for pod in pods if pod.status and pod.status.pod_ip == ip]
    if len(found) > 1 and port is not None:
        found = [pod for pod in found if str(port) in container_ports(pod)]
    return found


@dataclass(frozen=True)
class PodDirectory:
    """The pods and Services of one namespace, and which pod port an address means."""

    namespace: str
    pods: Sequence[client.V1Pod]
    services: Sequence[client.V1Service]

    def target(self, host: str, port: int) -> tuple[str, int]:
        """(pod name, pod port) behind ``host:port``; NoSuchPod when nothing here answers to it."""
        host = host.rstrip(".").removesuffix(CLUSTER_DOMAIN_SUFFIX).removesuffix(".svc")
        at_ip = pods_at(self.pods, host, port)
        if len(at_ip) == 1:
            return object_name(at_ip[0]), port
        labels = host.split(".")
        by_name = {object_name(pod): pod for pod in self.pods}
        # <pod>.<headless service>.<namespace>: a StatefulSet pod's own name.
        if len(labels) == 3 and labels[2] == self.namespace and labels[0] in by_name:
            return labels[0], port
        # <service>.<namespace> or <service>: one ready pod behind the Service.
        if len(labels) == 1 or (len(labels) == 2 and labels[1] == self.namespace):
            return self._behind_service(labels[0], port)
        raise NoSuchPod(f"no pod in namespace {self.namespace} answers to {host}:{port}")

    def _behind_service(self, name: str, port: int) -> tuple[str, int]:
        service = next((s for s in self.services if s.metadata and s.metadata.name == name), None)
        if service is None or not service.spec or not service.spec.selector:
            raise NoSuchPod(f"no Service {name} with a selector in namespace {self.namespace}")
        service_port = next((p for p in service.spec.ports or [] if p.port == port), None)
        if service_port is None:
            raise NoSuchPod(f"Service {name} has no port {port}")
        selector = service.spec.selector
        candidates = sorted(
            (pod for pod in self.pods if _ready(pod) and _matches(selector, pod)),
            key=object_name,
        )
        target = str(service_port.target_port if service_port.target_port is not None else port)
        for pod in candidates:
            if target in container_ports(pod):
                return object_name(pod), container_ports(pod)[target]
        raise NoSuchPod(f"no ready pod behind Service {name} serves its port {port} ({target})")


def _matches(selector: dict[str, str], pod: client.V1Pod) -> bool:
    labels = (pod.metadata.labels if pod.metadata else None) or {}
    return all(labels.get(key) == value for key, value in selector.items())


class PortForwarder:
    """A dialer (checks/dialer.py) that opens each connection as a port-forward to a pod."""

    def __init__(self, api: client.ApiClient, namespace: str, timeout: float) -> None:
        from kubernetes import client

        self._core = client.CoreV1Api(api)
        self._namespace = namespace
        self._timeout = timeout
        self._directory: PodDirectory | None = None
        self._lock = threading.Lock()

    def directory(self) -> PodDirectory:
        """The namespace's pods and Services, listed once on first use."""
        with self._lock:
            if self._directory is None:
                options: dict[str, Any] = {"_request_timeout": self._timeout}
                pods = self._core.list_namespaced_pod(self._namespace, **options).items
                services = self._core.list_namespaced_service(self._namespace, **options).items
                self._directory = PodDirectory(self._namespace, pods, services)
            return self._directory

    def connect(self, host: str, port: int, timeout: float) -> Any:
        from kubernetes.client.exceptions import ApiException
        from kubernetes.stream import portforward

        try:
            pod, pod_port = self.directory().target(host, port)
        except ApiException as error:
            raise OSError(f"cannot list pods in {self._namespace}: {error.status} {error.reason}") from None
        try:
            forward = portforward(
                self._core.connect_get_namespaced_pod_portforward,
                pod,
                self._namespace,
                ports=str(pod_port),
                _request_timeout=timeout,
            )
        except ApiException as error:
            raise OSError(f"port-forward to pod {pod} port {pod_port} failed: {error.reason}") from None
        sock = forward.socket(pod_port)
        sock.settimeout(timeout)
        return sock
