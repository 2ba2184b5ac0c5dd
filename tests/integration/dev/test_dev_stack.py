"""The dev stack on a real Docker Engine: healthy containers, a formed Redis Cluster, the post-deploy
checks, the CDN on the host's loopback, a larger scale, secrets as private files, and destroy.

The tests run in this order (the scale test changes the stack, the last one destroys it); each
also passes alone: ``dev`` deploys the stack first when nothing runs.
"""

from __future__ import annotations

import http.client
from typing import Any

import pytest

from components.render.redis_layout import ADMIN_USER, CONFIG_DIR, SECRETS_DIR
from tests.integration.dev.conftest import DevDeployment
from tests.integration.swarm.probes import eventually
from tests.support.swarm_stack import get

pytestmark = pytest.mark.integration
VOLUME = "docker:index/volume:Volume"
# 4 services, 6 cluster nodes, 3 session nodes, 3 Sentinels, the CDN; and the bootstrap.
LONG_RUNNING = 17


def health(container: Any) -> str | None:
    container.reload()
    return (container.attrs["State"].get("Health") or {}).get("Status")


def visit(dev: DevDeployment, path: str) -> tuple[int, dict[str, str], bytes]:
    """GET ``path`` as the laptop's browser does: http://127.0.0.1:<published port><path>."""
    return get(dev.cdn_port, path, host=f"127.0.0.1:{dev.cdn_port}")


def redis_cli(dev: DevDeployment, member: str, *args: str) -> str:
    """``redis-cli`` inside a member, authenticated as the member's own programs are."""
    container = dev.client.containers.get(member)
    wrapper = ["sh", f"{CONFIG_DIR}/env-from-files.sh"]
    code, output = container.exec_run(
        [*wrapper, "redis-cli", "--no-auth-warning", "--user", ADMIN_USER, *args]
    )
    assert code == 0, output.decode(errors="replace")
    return str(output.decode())


def test_every_container_is_healthy_and_the_bootstrap_formed_the_cluster(dev: DevDeployment) -> None:
    containers = {c.name: c for c in dev.containers()}
    bootstrap = containers.pop("redis-cluster-bootstrap")
    assert bootstrap.attrs["State"]["Status"] == "exited" and bootstrap.attrs["State"]["ExitCode"] == 0
    assert len(containers) == LONG_RUNNING, sorted(containers)
    unhealthy = {name: health(c) for name, c in containers.items() if health(c) != "healthy"}
    assert not unhealthy
    for container in containers.values():
        assert container.attrs["HostConfig"]["RestartPolicy"]["Name"] == "unless-stopped"
        assert container.attrs["HostConfig"]["Memory"] > 0 and container.attrs["HostConfig"]["NanoCpus"] > 0
    info = redis_cli(dev, "redis-cluster-0", "CLUSTER", "INFO")
    assert "cluster_state:ok" in info and "cluster_slots_assigned:16384" in info
    assert "cluster_known_nodes:6" in info and "cluster_size:3" in info


def test_the_post_deploy_checks_pass(dev: DevDeployment) -> None:
    code, report = dev.run_checks()
    failed = [r for r in report["results"] if r["status"] in ("fail", "error")]
    assert code == 0 and not failed, failed
    passed = {r["family"] for r in report["results"] if r["status"] == "ok"}
    assert {"redis-cluster", "sentinel", "cdn"} <= passed, report["results"]


def test_the_cdn_on_loopback_caches_a_static_path(dev: DevDeployment) -> None:
    assert dev.outputs["endpoints"]["cdn"]["publishedUrl"] == f"http://127.0.0.1:{dev.cdn_port}"
    path = "/static/dev-cache-probe.css"
    first = visit(dev, path)
    second = visit(dev, path)
    assert (first[0], first[1].get("x-cache-status")) == (200, "MISS")
    assert (second[0], second[1].get("x-cache-status")) == (200, "HIT")
    assert second[2] == first[2]
    # A Host the stack does not serve gets no answer (NGINX closes the connection).
    with pytest.raises(http.client.RemoteDisconnected):
        get(dev.cdn_port, path, host="unknown.example")


def test_secrets_are_files_only_their_server_can_read(dev: DevDeployment) -> None:
    redis_user = dev.overrides["docker"]["redisUser"]
    node = dev.client.containers.get("redis-cluster-0")
    code, listing = node.exec_run(["stat", "-c", "%n %a %u:%g", f"{SECRETS_DIR}/admin-password"])
    assert code == 0 and listing.decode().split()[1:] == ["400", redis_user]
    code, _ = node.exec_run(["cat", f"{SECRETS_DIR}/admin-password"], user="10001:10001")
    assert code != 0  # another user of the container cannot read it
    app = dev.client.containers.get("product-service-0")
    code, listing = app.exec_run(["stat", "-c", "%a %u:%g", "/run/secrets/app-password"])
    assert code == 0 and listing.decode().split() == ["400", "10001:10001"]
    passwords = set(dev.passwords.values.values())
    for container in dev.containers():
        config = container.attrs["Config"]
        visible = " ".join(
            [*(config.get("Env") or []), *(config.get("Entrypoint") or []), *(config.get("Cmd") or [])]
        )
        assert not [p for p in passwords if p in visible], container.name


def test_scale_three_gives_three_healthy_containers_behind_the_cdn(dev: DevDeployment) -> None:
    docker_settings = {**dev.overrides["docker"], "scale": {"frontend": 3}}
    changed = dev.change(docker=docker_settings)
    assert sorted(changed) == ["frontend-1", "frontend-2"]
    frontends = dev.containers(**{"technovastore.io/component": "edge"})
    assert sorted(c.name for c in frontends) == ["frontend-0", "frontend-1", "frontend-2"]
    assert all(health(c) == "healthy" for c in frontends)
    hostnames = {c.attrs["Config"]["Hostname"] for c in frontends}

    def served_by_all() -> set[str]:
        seen = {visit(dev, "/")[1].get("x-served-by", "") for _ in range(30)}
        return seen if hostnames <= seen else set()

    assert eventually(served_by_all, "uncached requests reaching all three frontends", timeout=60)


def stack_volumes(dev: DevDeployment) -> list[str]:
    volumes = dev.client.volumes.list(filters={"label": f"technovastore.io/stack={dev.network}"})
    return sorted(v.name for v in volumes)


def assert_destroyed(dev: DevDeployment, kept: list[str]) -> None:
    dev.applier.destroy()
    assert dev.containers() == []
    assert not dev.client.networks.list(names=[dev.network])
    assert stack_volumes(dev) == kept


def test_destroy_leaves_nothing_but_the_volumes_declared_kept(dev: DevDeployment) -> None:
    # A laptop's stack keeps nothing by default.
    engine_objects = [r for r in dev.synthesis.resources if r.type.startswith("docker:")]
    assert not any(r.retain_on_delete for r in engine_objects) and len(stack_volumes(dev)) == 12
    assert_destroyed(dev, kept=[])
    # A developer keeps the Redis data with protection.retainOnDelete (no container changes).
    dev.deployed()
    assert dev.change(protection={"retainOnDelete": True}) == []
    engine_objects = [r for r in dev.synthesis.resources if r.type.startswith("docker:")]
    kept = sorted(r.inputs["name"] for r in engine_objects if r.retain_on_delete)
    assert kept == sorted(r.inputs["name"] for r in engine_objects if r.type == VOLUME)
    assert len(kept) == 12
    node_id = redis_cli(dev, "redis-cluster-0", "CLUSTER", "MYID").strip()
    assert_destroyed(dev, kept=kept)
    # The next `pulumi up` creates the volumes by name (the engine hands back the kept ones):
    # new containers start from the saved state and are the same cluster (a fresh node would
    # draw a new id).
    dev.deployed()
    assert redis_cli(dev, "redis-cluster-0", "CLUSTER", "MYID").strip() == node_id
    assert "cluster_state:ok" in redis_cli(dev, "redis-cluster-0", "CLUSTER", "INFO")
    code, report = dev.run_checks()
    assert code == 0, [r for r in report["results"] if r["status"] in ("fail", "error")]
    assert_destroyed(dev, kept=kept)
