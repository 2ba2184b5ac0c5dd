"""The dev stack under the mock runtime: what components/docker/ declares, and from which settings."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.settings import SettingsError, load_settings
from preview.synth import DeclaredResource, Synthesis, redact
from tests.support.stacks import stack_config, synthesize_deployment, synthesize_stack, synthesized
from tests.support.swarm_apply import unwrap

CONTAINER = "docker:index/container:Container"
VOLUME = "docker:index/volume:Volume"
NETWORK = "docker:index/network:Network"
APPS = ("api-gateway", "product-service", "order-service", "frontend")


def dev(**overrides: Any) -> Synthesis:
    return synthesized("dev", **overrides)


def containers(synthesis: Synthesis) -> dict[str, DeclaredResource]:
    return {r.name: r for r in synthesis.resources if r.type == CONTAINER}


def uploads(container: DeclaredResource) -> dict[str, dict[str, Any]]:
    return {item["file"]: item for item in unwrap(container.inputs.get("uploads", []))}


def docker_block(**changes: Any) -> dict[str, Any]:
    return {**json.loads(stack_config("dev")["technovastore-scaling:docker"]), **changes}


def test_the_stack_declares_plain_docker_resources_only() -> None:
    types = {r.type for r in dev().resources if r.custom}
    assert types == {CONTAINER, VOLUME, NETWORK, "random:index/randomPassword:RandomPassword"}
    # One container per app service, 6 cluster nodes and their bootstrap, 3 data nodes, 3 Sentinels, the CDN.
    assert sorted(containers(dev())) == sorted(
        [f"{app}-0" for app in APPS]
        + [f"redis-cluster-{i}" for i in range(6)]
        + ["redis-cluster-bootstrap", "cdn"]
        + [f"redis-sessions-{i}" for i in range(3)]
        + [f"redis-sessions-sentinel-{i}" for i in range(3)]
    )
    (network,) = [r for r in dev().resources if r.type == NETWORK]
    assert (network.inputs["name"], network.inputs["driver"]) == ("technovastore-dev", "bridge")


def test_app_containers_follow_their_settings() -> None:
    settings = load_settings(stack_config("dev"), "dev")
    for name in APPS:
        wanted = settings.services[name]
        inputs = containers(dev())[f"{name}-0"].inputs
        assert inputs["image"] == wanted.image and inputs["name"] == f"{name}-0"
        assert inputs["networksAdvanced"] == [{"name": "technovastore-dev", "aliases": [name]}]
        assert inputs["restart"] == "unless-stopped" and inputs["wait"] is True
        assert inputs["healthcheck"]["tests"][-1] == f"http://127.0.0.1:{wanted.port}{wanted.probes.liveness}"
        # 256Mi / 128Mi as MB, "500m" as 0.5 CPUs, "100m" as the kubelet's 102 shares.
        assert (inputs["memory"], inputs["memoryReservation"], inputs["cpus"], inputs["cpuShares"]) == (
            256,
            128,
            "0.5",
            102,
        )
        assert inputs["user"] == "10001:10001" and inputs["capabilities"] == {"drops": ["ALL"]}
        assert f"PORT={wanted.port}" in inputs["envs"]


def test_scale_gives_a_service_that_many_containers_behind_its_name() -> None:
    scaled = containers(dev(docker=docker_block(scale={"frontend": 3})))
    frontends = sorted(name for name in scaled if name.startswith("frontend-"))
    assert frontends == ["frontend-0", "frontend-1", "frontend-2"]
    for name in frontends:
        assert scaled[name].inputs["networksAdvanced"] == [
            {"name": "technovastore-dev", "aliases": ["frontend"]}
        ]
    assert "api-gateway-1" not in scaled


def test_secrets_reach_containers_as_files_only_their_user_reads() -> None:
    values = {
        "redis-credentials-admin": "A" * 32,
        "redis-credentials-app": "B" * 32,
        "redis-credentials-metrics": "C" * 32,
    }
    synthesis = synthesize_deployment("dev", {}, passwords=values.__getitem__)
    for resource in synthesis.resources:
        text = json.dumps(redact(resource.inputs))
        assert not any(value in text for value in values.values()), resource.name
    app = containers(synthesis)["product-service-0"]
    assert "REDIS_PASSWORD_FILE=/run/secrets/app-password" in app.inputs["envs"]
    secret = uploads(app)["/run/secrets/app-password"]
    assert (secret["content"], secret["permissions"], secret["owner"], secret["group"]) == (
        "B" * 32,
        "0400",
        "10001",
        "10001",
    )
    node = containers(synthesis)["redis-cluster-0"]
    files = uploads(node)
    for path in ("/etc/redis/secrets/admin-password", "/etc/redis/secrets/redis-auth.conf"):
        assert (files[path]["permissions"], files[path]["owner"], files[path]["group"]) == (
            "0400",
            "999",
            "999",
        )
    config = files["/etc/redis/config/redis.conf"]
    assert (config["permissions"], config["owner"]) == ("0444", "0") and "cluster-enabled yes" in config[
        "content"
    ]
    assert not any(
        value in " ".join(node.inputs["envs"] + node.inputs["entrypoints"]) for value in values.values()
    )


def test_redis_members_announce_their_container_names_and_keep_state_on_volumes() -> None:
    node = containers(dev())["redis-cluster-3"].inputs
    # The start script points saved peers at their current addresses, then announces this name.
    assert node["entrypoints"][-2:] == ["sh", "/etc/redis/config/start.sh"]
    assert "ANNOUNCE_HOST=redis-cluster-3" in node["envs"]
    assert node["networksAdvanced"][0]["aliases"] == ["redis-cluster-3"]
    assert {"type": "volume", "source": "technovastore-dev-redis-cluster-3-data", "target": "/data"} in node[
        "mounts"
    ]
    assert "ANNOUNCE_HOST=redis-sessions-1" in containers(dev())["redis-sessions-1"].inputs["envs"]
    # A Sentinel keeps its id, epochs and known peers on its own volume.
    sentinel = containers(dev())["redis-sessions-sentinel-2"].inputs
    assert {
        "type": "volume",
        "source": "technovastore-dev-redis-sessions-sentinel-2-data",
        "target": "/data",
    } in sentinel["mounts"]
    volumes = [r for r in dev().resources if r.type == VOLUME]
    assert len(volumes) == 12
    assert not any(c.inputs.get("ports") for n, c in containers(dev()).items() if n.startswith("redis-"))


def test_redis_volumes_and_passwords_follow_the_stack_protection() -> None:
    guarded_types = (VOLUME, "random:index/randomPassword:RandomPassword")

    def guarded(synthesis: Synthesis) -> list[DeclaredResource]:
        return [r for r in synthesis.resources if r.type in guarded_types]

    # A laptop's stack leaves nothing behind by default.
    assert not any(r.retain_on_delete or r.protect for r in guarded(dev()))
    kept = dev(protection={"retainOnDelete": True})
    assert len(guarded(kept)) == 15 and all(r.retain_on_delete and not r.protect for r in guarded(kept))


def test_services_start_after_the_bootstrap_and_the_cdn_after_its_origin() -> None:
    declared = containers(dev())
    bootstrap = declared["redis-cluster-bootstrap"]
    assert (bootstrap.inputs["attach"], bootstrap.inputs["mustRun"], bootstrap.inputs["restart"]) == (
        True,
        False,
        "no",
    )
    assert {declared[f"redis-cluster-{i}"].urn for i in range(6)} <= set(bootstrap.depends_on)
    for app in APPS:
        assert bootstrap.urn in declared[f"{app}-0"].depends_on, app
    assert declared["frontend-0"].urn in declared["cdn"].depends_on
    assert declared["api-gateway-0"].urn not in declared["cdn"].depends_on


def test_the_cdn_is_published_on_the_host_address_and_follows_its_origin() -> None:
    cdn = containers(dev())["cdn"].inputs
    assert cdn["ports"] == [{"internal": 8080, "external": 8080, "ip": "127.0.0.1", "protocol": "tcp"}]
    conf = uploads(containers(dev())["cdn"])["/etc/nginx/cdn/nginx.conf"]["content"]
    assert "resolver 127.0.0.11" in conf and "frontend:3000" in conf
    outputs = unwrap(dev().outputs)
    assert outputs["endpoints"]["cdn"]["publishedUrl"] == "http://127.0.0.1:8080"
    ipv6 = unwrap(dev(docker=docker_block(cdnPublishAddress="::1")).outputs)
    assert ipv6["endpoints"]["cdn"]["publishedUrl"] == "http://[::1]:8080"


def test_a_changed_health_check_changes_a_label_so_the_container_is_replaced() -> None:
    def health_label(synthesis: Synthesis) -> str:
        labels = containers(synthesis)["product-service-0"].inputs["labels"]
        return next(item["value"] for item in labels if item["label"] == "technovastore.io/healthcheck")

    services = json.loads(stack_config("dev")["technovastore-scaling:services"])
    services["product-service"]["probes"] = {"liveness": "/alive", "readiness": "/ready"}
    assert health_label(dev(services=services)) != health_label(dev())


def test_outputs_have_the_shape_of_the_other_platforms() -> None:
    outputs, swarm = unwrap(dev().outputs), unwrap(synthesize_stack("swarm").outputs)
    # Only a Swarm stack runs its own Prometheus and Grafana (and says where they answer).
    assert outputs.keys() == swarm.keys() - {"monitoring", "grafanaAdminPassword"}
    assert outputs["endpoints"].keys() == swarm["endpoints"].keys()
    for entry in ("redisCluster", "sentinel"):
        assert outputs["endpoints"][entry].keys() == swarm["endpoints"][entry].keys()
    assert set(swarm["endpoints"]["cdn"]) <= set(outputs["endpoints"]["cdn"])
    assert outputs["endpoints"]["redisCluster"]["nodes"][0] == "redis-cluster-0:6379"
    assert outputs["services"]["frontend"] == {
        "host": "frontend",
        "port": 3000,
        "minReplicas": 1,
        "maxReplicas": 3,
    }


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"docker": {"scale": {"web": 2}}}, "technovastore-scaling:docker.scale.web = 2: names no service"),
        ({"docker": {"scale": {"frontend": 9}}},
         "docker.scale.frontend = 9: must not exceed services.frontend.maxReplicas (3)"),
        ({"docker": {"scale": {"frontend": 0}}}, "docker.scale.frontend"),
        ({"docker": {"redisUser": "redis"}}, "docker.redisUser = 'redis': must be a numeric 'uid:gid'"),
        ({"docker": {"cdnPublishAddress": "localhost"}},
         "docker.cdnPublishAddress = 'localhost': must be an IP address"),
        ({"platform": "kubernetes"},
         "technovastore-scaling:docker = '(set)': applies only with platform: docker"),
    ],
)  # fmt: skip
def test_bad_docker_settings_name_the_key(changes: dict[str, Any], expected: str) -> None:
    config = dict(stack_config("dev"))
    for key, value in changes.items():
        config[f"technovastore-scaling:{key}"] = value if isinstance(value, str) else json.dumps(value)
    with pytest.raises(SettingsError) as raised:
        load_settings(config, "dev")
    assert expected in str(raised.value)
