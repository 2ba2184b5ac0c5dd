"""Test support: the swarm stack as this machine runs it, and a client loop through its CDN.

Used by the real-Swarm integration tests and by ``make bench``.
"""

from __future__ import annotations

import http.client
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from tests.support.docker_engine import Engine
from tests.support.docker_images import Images

# The label Pulumi.swarm.yaml's redisNodeLabel names: Redis runs only on nodes carrying it.
REDIS_NODE_LABEL = "technovastore.redis"
# The name visitors reach this machine's CDN by (cdn.hostnames; RFC 6761 keeps .localhost on
# loopback): NGINX answers no other Host.
PUBLIC_HOSTNAME = "shop.localhost"
# A client no faster than the CDN's per-client rate limit allows (50 requests per second).
REQUEST_INTERVAL = 0.05
MAX_REQUESTS = 6000


@dataclass
class SwarmImages(Images):
    """The test images and the one the Swarm stack's monitoring runs: Prometheus,
    redis_exporter and mtail at their upstream images' paths."""

    monitoring: str


@dataclass
class Passwords:
    """What pulumi-random would generate, once per resource, kept across updates (as in state)."""

    values: dict[str, str] = field(default_factory=dict)

    def __call__(self, resource_name: str) -> str:
        return self.values.setdefault(resource_name, secrets.token_hex(16))


def machine_overrides(
    images: SwarmImages, cdn_port: int, prometheus_port: int, engine_socket: str | None = None
) -> dict[str, Any]:
    """The swarm stack's settings, changed only where this machine differs from a real Swarm.

    ``engine_socket``: the private engine's socket path, for the stack's autoscaler (without
    it the stack declares none).
    """
    small = {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}}
    services = {
        name: {
            "image": images.app,
            "port": port,
            "tier": tier,
            "minReplicas": replicas,
            "maxReplicas": 4,
            "usesRedis": name != "frontend",
            "resources": small,
        }
        for name, port, tier, replicas in (
            ("api-gateway", 3000, "gateway", 1),
            ("product-service", 3001, "backend", 1),
            ("order-service", 3002, "backend", 1),
            ("frontend", 3000, "edge", 2),
        )
    }
    return {
        "services": services,
        # Production's protection but for `protect`: the tests destroy the stack, as an
        # operator may after unprotecting it; the data volumes are still kept (retainOnDelete).
        "protection": {"protect": False},
        # No IPVS here: no virtual IPs and no routing mesh; dnsrr and host publishing instead.
        "swarm": {
            "endpointMode": "dnsrr",
            "publishMode": "host",
            "cdnPublishedPort": cdn_port,
            "spreadPreferences": [],
            "encryptedNetwork": False,
            # Every rolling update waits this long after its last task: shorter than the
            # production 30 s to keep the suite within its budget; the same rollback rules.
            "updateMonitorSeconds": 5,
            # The stack's autoscaler runs from the app image and only decides: the Swarm tests
            # change replica counts themselves (tests/integration/swarm/test_autoscaler.py
            # scales its own services with an autoscaler of its own).
            "autoscaler": (
                {"image": images.app, "dryRun": True, "intervalSeconds": 5, "dockerSocket": engine_socket}
                if engine_socket
                else {"enabled": False}
            ),
        },
        "redis": {
            "image": images.base,
            "exporterImage": images.monitoring,
            "resources": small,
            "cluster": {"maxmemoryMb": 64, "storageSize": "1Gi"},
            "sentinel": {"maxmemoryMb": 64, "resources": small},
        },
        "cdn": {
            "image": images.base,
            "minReplicas": 1,
            "maxReplicas": 3,
            "cacheSizeMb": 64,
            "expectedKeys": 1000,
            "hostnames": [PUBLIC_HOSTNAME],
        },
        # Prometheus runs (from Debian's package); Grafana has no package and no image here.
        # Scrapes every 5 s (the shortest allowed) so rates have samples within seconds.
        "monitoring": {
            "scrapeIntervalSeconds": 5,
            "cdnMetricsImage": images.monitoring,
            "prometheus": {"image": images.monitoring, "publishedPort": prometheus_port, "resources": small},
            "grafana": {"enabled": False},
        },
    }


def label_redis_node(engine: Engine) -> None:
    node = engine.client.nodes.list()[0]
    spec = node.attrs["Spec"]
    spec["Labels"] = {**spec.get("Labels", {}), REDIS_NODE_LABEL: "true"}
    node.update(spec)


def get(
    port: int, path: str, timeout: float = 5, host: str = PUBLIC_HOSTNAME
) -> tuple[int, dict[str, str], bytes]:
    """GET ``path`` from the CDN's published port, as a visitor outside the Swarm does (by name)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Host": host})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


@dataclass
class ClientLoop:
    """Uncached requests through the CDN, one after another, until stopped (or the bound)."""

    cdn_port: int
    versions: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self.stop.is_set() and len(self.versions) + len(self.failures) < MAX_REQUESTS:
            try:
                status, _, body = get(self.cdn_port, "/")
                if status == 200:
                    self.versions.append(json.loads(body)["version"])
                else:
                    self.failures.append(f"{status}: {body[:200]!r}")
            except (OSError, http.client.HTTPException) as error:
                self.failures.append(repr(error))
            time.sleep(REQUEST_INTERVAL)
