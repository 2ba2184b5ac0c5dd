"""What a stack gets for what its config leaves out: the seed's values, stated once."""

from __future__ import annotations

from typing import Any

from components.settings import load_settings


def service(
    image: str, port: int, tier: str, replicas: tuple[int, int], *, uses_redis: bool
) -> dict[str, Any]:
    return {
        "image": f"ghcr.io/technovastore/{image}:1.0.0",
        "port": port,
        "tier": tier,
        "min_replicas": replicas[0],
        "max_replicas": replicas[1],
        "resources": {
            "requests": {"cpu": "250m", "memory": "256Mi"},
            "limits": {"cpu": "1", "memory": "512Mi"},
        },
        "probes": {"readiness": "/health/ready", "liveness": "/health/live"},
        "uses_redis": uses_redis,
        "env": {},
    }


def test_a_stack_that_names_no_services_gets_the_seeds_four() -> None:
    services = {name: value.model_dump() for name, value in load_settings({}, "staging").services.items()}
    assert services == {
        "api-gateway": service("api-gateway", 3000, "gateway", (2, 10), uses_redis=True),
        "product-service": service("product-service", 3001, "backend", (2, 8), uses_redis=True),
        "order-service": service("order-service", 3002, "backend", (2, 6), uses_redis=True),
        "frontend": service("frontend", 3000, "edge", (2, 6), uses_redis=False),
    }
