"""Compliant and violating plain Docker containers for each container rule (registered into CASES)."""

from __future__ import annotations

from typing import Any

from preview.synth import DeclaredResource
from tests.policies.builders import edited, resource
from tests.policies.cases import _set, bad, ok

CONTAINER = "docker:index/container:Container"


def docker_container(name: str = "product-service-0") -> DeclaredResource:
    """A compliant app container: secret as a private file, limits, health check, restart, hardened."""
    return resource(
        CONTAINER,
        name,
        {
            "name": name,
            "image": "ghcr.io/technovastore/product-service:2.3.0",
            "envs": ["PORT=3001", "REDIS_PASSWORD_FILE=/run/secrets/app-password"],
            "uploads": [
                {
                    "file": "/run/secrets/app-password",
                    "content": "generated-password",
                    "permissions": "0400",
                    "owner": "10001",
                    "group": "10001",
                }
            ],
            "user": "10001:10001",
            "capabilities": {"drops": ["ALL"]},
            "healthcheck": {
                "tests": ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:3001/health/live"]
            },
            "restart": "unless-stopped",
            "memory": 256,
            "memoryReservation": 128,
            "cpus": "0.5",
        },
    )


def bootstrap() -> DeclaredResource:
    """A one-shot container (attached, never restarted): no health check, no restart."""
    container = edited(docker_container("redis-cluster-bootstrap"), _set("healthcheck", None))
    return edited(container, lambda i: i.update(restart="no", attach=True, mustRun=False))


CONTAINER_OK = docker_container()


def changed(path: str, value: Any) -> DeclaredResource:
    return edited(CONTAINER_OK, _set(path, value))


def upload(**changes: Any) -> DeclaredResource:
    return edited(CONTAINER_OK, lambda i: i["uploads"][0].update(changes))


ok("docker-no-literal-secrets", "secret-file", [CONTAINER_OK])
ok("docker-no-literal-secrets", "placeholder", [changed("envs", ["REDIS_PASSWORD=${REDIS_PASSWORD}"])])
bad("docker-no-literal-secrets", "env-literal", [changed("envs", ["REDIS_PASSWORD=hunter2hunter2"])])
bad(
    "docker-no-literal-secrets",
    "argument",
    [changed("command", ["redis-server", "--requirepass", "hunter2"])],
)

ok("docker-limits", "all-set", [CONTAINER_OK])
bad("docker-limits", "no-memory-limit", [changed("memory", None)])
bad("docker-limits", "no-cpu-limit", [changed("cpus", None)])
bad("docker-limits", "no-reservation", [changed("memoryReservation", None)])

ok("docker-healthcheck-and-restart", "long-running", [CONTAINER_OK])
ok("docker-healthcheck-and-restart", "one-shot-exempt", [bootstrap()])
bad("docker-healthcheck-and-restart", "no-healthcheck", [changed("healthcheck", None)])
bad("docker-healthcheck-and-restart", "disabled", [changed("healthcheck", {"tests": ["NONE"]})])
bad("docker-healthcheck-and-restart", "no-restart", [changed("restart", None)])

ok("docker-redis-not-published", "http", [changed("ports", [{"internal": 8080, "external": 8080}])])
bad("docker-redis-not-published", "redis", [changed("ports", [{"internal": 6379, "external": 6379}])])
bad(
    "docker-redis-not-published",
    "sentinel-elsewhere",
    [changed("ports", [{"internal": 8080, "external": 26379}])],
)

ok("docker-secret-files-private", "owner-only", [CONTAINER_OK])
ok(
    "docker-secret-files-private",
    "config-readable",
    [changed("uploads", [{"file": "/etc/app.conf", "content": "x"}])],
)
bad("docker-secret-files-private", "default-mode", [upload(permissions=None)])
bad("docker-secret-files-private", "group-readable", [upload(permissions="0440")])
bad("docker-secret-files-private", "root-owned", [upload(owner="0", group="0")])

ok("docker-hardened", "non-root-no-capabilities", [CONTAINER_OK])
bad("docker-hardened", "privileged", [changed("privileged", True)])
bad("docker-hardened", "root", [changed("user", "0:0")])
bad("docker-hardened", "no-user", [changed("user", None)])
bad("docker-hardened", "capabilities-kept", [changed("capabilities", None)])
bad("docker-hardened", "host-network", [changed("networkMode", "host")])
