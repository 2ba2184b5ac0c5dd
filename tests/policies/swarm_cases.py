"""Compliant and violating Docker Swarm services for each Swarm rule (registered into CASES)."""

from __future__ import annotations

from typing import Any

from tests.policies import platform_builders as pb
from tests.policies.builders import edited
from tests.policies.cases import _set, bad, ok

SERVICE = pb.swarm_service()
BOOTSTRAP = pb.swarm_bootstrap()


def container(path: str, value: Any) -> Any:
    return edited(SERVICE, _set(f"taskSpec.containerSpec.{path}", value))


ok("swarm-no-literal-secrets", "secret-file", [SERVICE])
ok("swarm-no-literal-secrets", "placeholder", [container("env.REDIS_PASSWORD", "${REDIS_PASSWORD}")])
bad("swarm-no-literal-secrets", "env-literal", [container("env.REDIS_PASSWORD", "hunter2hunter2")])
bad("swarm-no-literal-secrets", "argument", [container("args", ["--requirepass", "hunter2"])])

ok("swarm-limits-and-reservations", "both", [SERVICE])
bad("swarm-limits-and-reservations", "no-limits", [edited(SERVICE, _set("taskSpec.resources.limits", None))])
bad(
    "swarm-limits-and-reservations",
    "no-memory-reservation",
    [edited(SERVICE, _set("taskSpec.resources.reservation.memoryBytes", None))],
)

ok("swarm-healthcheck", "wget", [SERVICE])
ok("swarm-healthcheck", "one-shot-exempt", [BOOTSTRAP])
bad("swarm-healthcheck", "none", [container("healthcheck", None)])
bad("swarm-healthcheck", "disabled", [container("healthcheck", {"tests": ["NONE"]})])

ok("swarm-update-and-rollback", "start-first", [SERVICE])
ok("swarm-update-and-rollback", "one-shot-exempt", [BOOTSTRAP])
bad("swarm-update-and-rollback", "pause", [edited(SERVICE, _set("updateConfig.failureAction", "pause"))])
bad("swarm-update-and-rollback", "no-order", [edited(SERVICE, _set("updateConfig.order", None))])
bad("swarm-update-and-rollback", "no-rollback-config", [edited(SERVICE, _set("rollbackConfig", None))])

ok("swarm-redis-not-published", "http", [SERVICE])
bad(
    "swarm-redis-not-published",
    "redis",
    [edited(SERVICE, _set("endpointSpec.ports", [{"targetPort": 6379, "publishedPort": 6379}]))],
)
bad(
    "swarm-redis-not-published",
    "sentinel-published-elsewhere",
    [edited(SERVICE, _set("endpointSpec.ports", [{"targetPort": 8080, "publishedPort": 26379}]))],
)

ok("swarm-replicas-within-bounds", "at-min", [SERVICE])
ok("swarm-replicas-within-bounds", "no-bounds-labels", [BOOTSTRAP])
bad("swarm-replicas-within-bounds", "below-min", [pb.swarm_service(replicas=1, lo=2, hi=6)])
bad("swarm-replicas-within-bounds", "above-max", [pb.swarm_service(replicas=7, lo=2, hi=6)])
