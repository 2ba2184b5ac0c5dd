"""The swarm stack under the mock runtime: what components/swarm/ declares, and from which settings."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.settings import SettingsError, load_settings
from preview.synth import DeclaredResource, Synthesis, redact
from tests.support.stacks import stack_config, synthesize_deployment, synthesize_stack, synthesized
from tests.support.swarm_apply import unwrap

SERVICE = "docker:index/service:Service"
CONFIG = "docker:index/serviceConfig:ServiceConfig"
SECRET = "docker:index/secret:Secret"
VOLUME = "docker:index/volume:Volume"
NETWORK = "docker:index/network:Network"
APPS = ("api-gateway", "product-service", "order-service", "frontend")


def swarm(**overrides: Any) -> Synthesis:
    return synthesized("swarm", **overrides)


def of_type(synthesis: Synthesis, type_: str) -> list[DeclaredResource]:
    return [r for r in synthesis.resources if r.type == type_]


def service(synthesis: Synthesis, name: str) -> DeclaredResource:
    (found,) = [r for r in of_type(synthesis, SERVICE) if r.name == name]
    return found


def swarm_settings(**changes: Any) -> dict[str, Any]:
    return {**json.loads(stack_config("swarm")["technovastore-scaling:swarm"]), **changes}


def test_the_stack_declares_docker_resources_only() -> None:
    types = {r.type for r in swarm().resources if r.custom}
    randoms = {"random:index/randomPassword:RandomPassword", "random:index/randomId:RandomId"}
    assert types == {SERVICE, CONFIG, SECRET, VOLUME, NETWORK, *randoms}
    # 4 app services, 6 cluster nodes and their bootstrap, 3 data nodes, 3 Sentinels, the CDN,
    # the autoscaler; the CDN's metrics reader, the Redis exporter, Prometheus and Grafana.
    assert len(of_type(swarm(), SERVICE)) == 23
    (network,) = of_type(swarm(), NETWORK)
    assert network.inputs["driver"] == "overlay" and network.inputs["attachable"] is True
    assert network.inputs["options"] == {"encrypted": "true"}


def test_app_services_follow_their_settings() -> None:
    settings = load_settings(stack_config("swarm"), "swarm")
    for name in APPS:
        inputs = service(swarm(), name).inputs
        wanted = settings.services[name]
        task = inputs["taskSpec"]
        assert inputs["mode"] == {"replicated": {"replicas": wanted.min_replicas}}
        assert (
            task["resources"]["limits"]["memoryBytes"] > task["resources"]["reservation"]["memoryBytes"] > 0
        )
        health = task["containerSpec"]["healthcheck"]["tests"]
        assert health[-1] == f"http://127.0.0.1:{wanted.port}{wanted.probes.liveness}"
        assert inputs["updateConfig"]["parallelism"] == 1
        assert (inputs["updateConfig"]["order"], inputs["updateConfig"]["failureAction"]) == (
            "start-first",
            "rollback",
        )
        assert task["restartPolicy"]["condition"] == "on-failure"
        assert inputs["endpointSpec"] == {"mode": "vip"}
        assert task["placement"]["prefs"] == ["node.labels.zone"]
        assert service(swarm(), name).ignore_changes == ("mode.replicated.replicas",)


def test_redis_users_get_the_password_as_a_mounted_secret_file_only() -> None:
    for name in ("api-gateway", "product-service", "order-service"):
        container = service(swarm(), name).inputs["taskSpec"]["containerSpec"]
        assert "REDIS_PASSWORD" not in container["env"]
        path = container["env"]["REDIS_PASSWORD_FILE"]
        assert path in [s["fileName"] for s in container["secrets"]]
    frontend = service(swarm(), "frontend").inputs["taskSpec"]["containerSpec"]
    assert "secrets" not in frontend or not frontend["secrets"]


def test_generated_passwords_appear_only_inside_secrets() -> None:
    values = {
        "redis-credentials-admin": "A" * 32,
        "redis-credentials-app": "B" * 32,
        "redis-credentials-metrics": "C" * 32,
        "grafana-admin": "D" * 32,
    }
    synthesis = synthesize_deployment("swarm", {}, passwords=values.__getitem__)
    for resource in synthesis.resources:
        text = json.dumps(redact(resource.inputs))
        assert not any(value in text for value in values.values()), resource.name
    secret_data = [unwrap(r.inputs["data"]) for r in of_type(synthesis, SECRET)]
    assert len(secret_data) == 7 and all(secret_data)


def test_configs_are_named_by_content_so_a_change_rolls_the_service() -> None:
    def cdn_config(synthesis: Synthesis) -> str:
        return next(r.inputs["name"] for r in of_type(synthesis, CONFIG) if r.name == "cdn-nginx")

    def cdn_mount(synthesis: Synthesis) -> str:
        return service(synthesis, "cdn").inputs["taskSpec"]["containerSpec"]["configs"][0]["configName"]

    changed = swarm(cdn={"rateLimit": {"requestsPerSecond": 77}})
    assert cdn_config(changed) != cdn_config(swarm())
    assert cdn_mount(changed) == cdn_config(changed) and cdn_mount(swarm()) == cdn_config(swarm())
    assert "rate=77r/s" in next(
        r.inputs["dataRaw"] for r in of_type(changed, CONFIG) if r.name == "cdn-nginx"
    )


def test_redis_members_are_single_tasks_with_kept_volumes_on_labelled_nodes() -> None:
    members = [
        r
        for r in of_type(swarm(), SERVICE)
        if r.name.startswith(("redis-cluster-", "redis-sessions-")) and "bootstrap" not in r.name
    ]
    assert len(members) == 12
    for member in members:
        inputs = member.inputs
        assert inputs["mode"] == {"replicated": {"replicas": 1}}
        assert inputs["endpointSpec"] == {"mode": "dnsrr"}
        assert inputs["updateConfig"]["order"] == "stop-first"
        assert inputs["taskSpec"]["placement"]["constraints"] == ["node.labels.technovastore.redis == true"]
        assert not inputs["endpointSpec"].get("ports")
    volumes = [v for v in of_type(swarm(), VOLUME) if v.name.startswith("redis-")]
    assert len(volumes) == 12 and all(v.retain_on_delete for v in volumes)


def test_the_bootstrap_runs_once_after_every_cluster_node() -> None:
    bootstrap = service(swarm(), "redis-cluster-bootstrap")
    assert bootstrap.inputs["taskSpec"]["restartPolicy"] == {"condition": "none"}
    assert (
        "convergeConfig" not in bootstrap.inputs
        and "healthcheck" not in bootstrap.inputs["taskSpec"]["containerSpec"]
    )
    nodes = {service(swarm(), f"redis-cluster-{i}").urn for i in range(6)}
    assert nodes <= set(bootstrap.depends_on)


@pytest.mark.parametrize(
    ("mode", "publish", "order", "resolver"),
    [("vip", "ingress", "start-first", False), ("dnsrr", "host", "stop-first", True)],
)
def test_the_cdn_publishes_its_port_and_follows_a_dnsrr_origin(
    mode: str, publish: str, order: str, resolver: bool
) -> None:
    synthesis = swarm(swarm=swarm_settings(endpointMode=mode, publishMode=publish, cdnPublishedPort=8088))
    inputs = service(synthesis, "cdn").inputs
    (port,) = inputs["endpointSpec"]["ports"]
    assert (port["publishedPort"], port["publishMode"], port["targetPort"]) == (8088, publish, 8080)
    # A host-mode port is held by the running task: the new one can only start after it stopped.
    assert inputs["updateConfig"]["order"] == order
    conf = next(r.inputs["dataRaw"] for r in of_type(synthesis, CONFIG) if r.name == "cdn-nginx")
    assert ("resolver 127.0.0.11" in conf) is resolver


def test_outputs_have_the_kubernetes_shape_without_a_namespace() -> None:
    kubernetes = synthesize_stack("staging").outputs
    outputs = swarm().outputs
    # A Swarm has no namespace, no StatefulSets (dataFootprint), no Ingress or load balancer
    # address (cdnAddress: its CDN is published by the Swarm) and here no Cloudflare (edge).
    # Its own Prometheus' and Grafana's ports and Grafana's admin password are its own.
    own = {"monitoring", "grafanaAdminPassword"}
    assert set(outputs) - own == set(kubernetes) - {"namespace", "dataFootprint", "cdnAddress", "edge"}
    assert set(outputs["endpoints"]) == set(kubernetes["endpoints"])
    # The Kubernetes Secret's name has no Swarm counterpart (the password is an output there too).
    for store in ("redisCluster", "sentinel"):
        assert set(outputs["endpoints"][store]) == set(kubernetes["endpoints"][store]) - {"secretName"}


def errors(swarm_block: dict[str, Any]) -> str:
    config = {**stack_config("swarm"), "technovastore-scaling:swarm": json.dumps(swarm_block)}
    with pytest.raises(SettingsError) as caught:
        load_settings(config, "swarm")
    return str(caught.value)


def test_bad_swarm_settings_name_the_key() -> None:
    assert "swarm.publishMode = 'ingress': must be 'host' with endpointMode dnsrr" in errors(
        swarm_settings(endpointMode="dnsrr", publishMode="ingress")
    )
    message = errors(swarm_settings(placementConstraints=["node.role = manager"], endpointMode="ipvs"))
    assert "swarm.placementConstraints.0 = 'node.role = manager'" in message
    assert "swarm.endpointMode" in message
    assert "swarm.spreadPreferences.0" in errors(swarm_settings(spreadPreferences=["zone"]))


def test_a_service_cannot_set_the_platform_variables() -> None:
    config = stack_config("swarm")
    services = json.loads(config["technovastore-scaling:services"])
    services["frontend"]["env"] = {"REDIS_PASSWORD": "x"}
    with pytest.raises(
        SettingsError, match=r"services\.frontend\.env\.REDIS_PASSWORD = 'x': is set by the platform"
    ):
        load_settings({**config, "technovastore-scaling:services": json.dumps(services)}, "swarm")


def test_kubernetes_only_settings_are_refused_on_a_swarm_with_every_problem() -> None:
    config = {
        **stack_config("swarm"),
        "kubernetes:context": "prod-cluster",
        "technovastore-scaling:cdn": json.dumps({"exposure": {"type": "loadBalancer"}}),
    }
    with pytest.raises(SettingsError) as caught:
        load_settings(config, "swarm")
    message = str(caught.value)
    assert "kubernetes:context and kubernetes:kubeconfig apply only with platform: kubernetes" in message
    assert "cdn.exposure.type = 'loadBalancer': must be none with platform: swarm" in message


def test_a_swarm_deployment_names_no_cluster_where_a_kubernetes_one_must() -> None:
    # What `pulumi up` demands (components/deployment.py): a named cluster, on Kubernetes only.
    settings = load_settings(stack_config("swarm"), "swarm", require_cluster=True)
    assert settings.platform == "swarm" and not settings.cluster.named
    kubernetes = {k: v for k, v in stack_config("staging").items() if not k.startswith("kubernetes:")}
    with pytest.raises(SettingsError, match="context"):
        load_settings(kubernetes, "staging", require_cluster=True)
