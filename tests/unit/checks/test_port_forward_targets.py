"""Which pod and port an address means, as the port-forwarder resolves it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from kubernetes import client

from checks.port_forward import NoSuchPod, PodDirectory

NS = "technovastore"
API = client.ApiClient()


def build(kind: str, document: dict[str, Any]) -> Any:
    """An object of the official client's model, from the API's JSON (as the client reads it)."""
    return API.deserialize(json.dumps(document), kind, "application/json")


def pod(
    name: str, ip: str, ports: dict[str, int], labels: dict[str, str] | None = None, ready: bool = True
) -> Any:
    return build(
        "V1Pod",
        {
            "metadata": {"name": name, "namespace": NS, "labels": labels or {}},
            "spec": {
                "containers": [
                    {"name": "main", "ports": [{"name": n, "containerPort": p} for n, p in ports.items()]}
                ]
            },
            "status": {
                "phase": "Running",
                "podIP": ip,
                "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
            },
        },
    )


def service(name: str, selector: dict[str, str], ports: list[dict[str, Any]]) -> Any:
    return build(
        "V1Service",
        {"metadata": {"name": name, "namespace": NS}, "spec": {"selector": selector, "ports": ports}},
    )


CDN = {"app.kubernetes.io/name": "cdn"}
DIRECTORY = PodDirectory(
    NS,
    pods=[
        pod("redis-cluster-0", "10.0.0.10", {"redis": 6379}),
        pod("redis-cluster-1", "10.0.0.11", {"redis": 6379}),
        # hostNetwork pods share the node's address: told apart by their ports.
        pod("exporter-a", "192.168.1.5", {"metrics": 9121}),
        pod("exporter-b", "192.168.1.5", {"metrics": 9122}),
        pod("cdn-b", "10.0.0.21", {"http": 8080}, CDN, ready=False),
        pod("cdn-a", "10.0.0.20", {"http": 8080}, CDN),
    ],
    services=[
        service("cdn", CDN, [{"name": "http", "port": 80, "targetPort": "http"}]),
        service("cdn-numbered", CDN, [{"port": 8081, "targetPort": 8080}]),
    ],
)


@pytest.mark.parametrize(
    ("host", "port", "expected"),
    [
        (f"redis-cluster-1.redis-cluster-headless.{NS}.svc.cluster.local", 6379, ("redis-cluster-1", 6379)),
        (f"redis-cluster-1.redis-cluster-headless.{NS}.svc.cluster.local.", 6379, ("redis-cluster-1", 6379)),
        ("10.0.0.10", 6379, ("redis-cluster-0", 6379)),
        ("192.168.1.5", 9122, ("exporter-b", 9122)),
        (f"cdn.{NS}.svc.cluster.local", 80, ("cdn-a", 8080)),
        (f"cdn.{NS}.svc", 80, ("cdn-a", 8080)),
        ("cdn", 80, ("cdn-a", 8080)),
        (f"cdn-numbered.{NS}", 8081, ("cdn-a", 8080)),
    ],
)
def test_an_address_resolves_to_its_pod_and_port(host: str, port: int, expected: tuple[str, int]) -> None:
    assert DIRECTORY.target(host, port) == expected


@pytest.mark.parametrize(
    ("host", "port", "message"),
    [
        (f"redis-cluster-7.redis-cluster-headless.{NS}.svc.cluster.local", 6379, "no pod in namespace"),
        ("redis-cluster-0.redis-cluster-headless.elsewhere.svc.cluster.local", 6379, "no pod in namespace"),
        ("10.9.9.9", 6379, "no pod in namespace technovastore answers to 10.9.9.9:6379"),
        ("192.168.1.5", 9999, "no pod in namespace"),
        (f"cdn.{NS}.svc.cluster.local", 443, "Service cdn has no port 443"),
        (f"frontend.{NS}.svc.cluster.local", 80, "no Service frontend with a selector"),
    ],
)
def test_an_address_nothing_here_answers_to_is_a_connection_error(host: str, port: int, message: str) -> None:
    with pytest.raises(NoSuchPod, match=message) as raised:
        DIRECTORY.target(host, port)
    assert isinstance(raised.value, OSError)  # redis-py and http.client report it as unreachable


def test_a_service_without_a_ready_pod_is_unreachable() -> None:
    directory = PodDirectory(
        NS, [pod("cdn-b", "10.0.0.21", {"http": 8080}, CDN, ready=False)], DIRECTORY.services
    )
    with pytest.raises(NoSuchPod, match="no ready pod behind Service cdn"):
        directory.target("cdn", 80)
