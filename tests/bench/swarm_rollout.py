"""The swarm stack on a real (private, single-node) Swarm: time from apply to every service
healthy, and failed requests through the CDN while one service rolls (goal: 0).

The same engine, images and machine settings as the integration tests (dnsrr, host
publishing; see the README's "Docker Swarm" section). Figures: image preparation (cached
root filesystem or a fresh mmdebstrap), the storage driver, apply-to-healthy for the 18
services, the rolling update's duration, and the requests it served and failed.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from tests.bench import goal
from tests.support.docker_engine import swarm_engine
from tests.support.docker_images import (
    MONITORING,
    base_rootfs_path,
    build_app_image,
    import_base,
    import_rootfs,
)
from tests.support.ports import free_port
from tests.support.stacks import synthesize_deployment
from tests.support.swarm_apply import SwarmApplier
from tests.support.swarm_stack import ClientLoop, Passwords, SwarmImages, label_redis_node, machine_overrides

NAME = "swarm_rollout"
SERVICE = "docker:index/service:Service"
PRODUCTION_MONITOR_SECONDS = 30


def _timed(action: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def run() -> dict[str, Any]:
    cached = base_rootfs_path().exists()
    with swarm_engine() as engine:
        (images, image_seconds) = _timed(lambda: _images(engine.client))
        label_redis_node(engine)
        cdn_port, passwords = free_port(), Passwords()
        overrides = machine_overrides(images, cdn_port, free_port())
        # The production monitor window: the update's duration as `pulumi up` would wait it.
        overrides["swarm"] = {**overrides["swarm"], "updateMonitorSeconds": PRODUCTION_MONITOR_SECONDS}
        synthesis = synthesize_deployment("swarm", overrides, passwords=passwords)
        applier = SwarmApplier(engine.client)
        _, apply_seconds = _timed(lambda: applier.apply(synthesis))
        services = len([r for r in synthesis.resources if r.type == SERVICE])
        loop = ClientLoop(cdn_port)
        thread = threading.Thread(target=loop.run)
        thread.start()
        try:
            time.sleep(2)
            frontend = {**overrides["services"]["frontend"], "env": {"APP_VERSION": "2"}}
            changed = {**overrides, "services": {**overrides["services"], "frontend": frontend}}
            _, update_seconds = _timed(
                lambda: applier.apply(synthesize_deployment("swarm", changed, passwords=passwords))
            )
            time.sleep(2)
        finally:
            loop.stop.set()
            thread.join()
        driver = engine.client.info()["Driver"]
    failed = len(loop.failures)
    return {
        "storage_driver": driver,
        "base_rootfs_was_cached": cached,
        "images_seconds": round(image_seconds, 1),
        "services": services,
        "apply_to_healthy_seconds": round(apply_seconds, 1),
        "rolling_update_seconds": round(update_seconds, 1),
        "rolling_update_requests": len(loop.versions) + failed,
        "rolling_update_failed_requests": failed,
        "rolling_update_versions_seen": sorted(set(loop.versions)),
        "failures_sample": loop.failures[:5],
        "goals": {"failed_requests_during_rolling_update": goal(failed, "0", failed == 0)},
    }


def _images(client: Any) -> SwarmImages:
    base = import_base(client)
    monitoring = import_rootfs(client, MONITORING)
    return SwarmImages(base=base, app=build_app_image(client, base), monitoring=monitoring)
