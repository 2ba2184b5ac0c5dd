"""preview/docker_api.py: pulumi_docker inputs (wire names) to Engine API bodies, field by field.

Each expected body is built with the official Docker SDK's own ServiceSpec builders
(docker.types), an independent statement of the Engine API's field names and units.
"""

from __future__ import annotations

import base64
from typing import Any

import docker.types as engine
import pytest

from preview.docker_api import (
    CONFIG,
    NETWORK,
    SECRET,
    SERVICE,
    VOLUME,
    UnknownInputError,
    container_spec,
    duration_ns,
    engine_object,
    service_spec,
    task_template,
)

S = 10**9


def sdk(value: Any) -> dict[str, Any]:
    """An SDK builder's dict without the keys it sets to None (the provider omits them)."""
    return {key: item for key, item in dict(value).items() if item is not None}


@pytest.mark.parametrize(
    ("text", "nanos"),
    [("10s", 10 * S), ("1m30s", 90 * S), ("250ms", S // 4), ("2h", 7200 * S), ("1.5s", 3 * S // 2), ("0", 0)],
)
def test_durations_are_go_durations_in_nanoseconds(text: str, nanos: int) -> None:
    assert duration_ns(text, "x") == nanos


@pytest.mark.parametrize("text", ["10", "10 s", "s10", "10sec", "-1s"])
def test_a_malformed_duration_names_its_path(text: str) -> None:
    with pytest.raises(UnknownInputError, match=r"taskSpec\.restartPolicy\.delay: .* is not a duration"):
        duration_ns(text, "taskSpec.restartPolicy.delay")


FULL_CONTAINER: dict[str, Any] = {
    "image": "img:1",
    "commands": ["a"],
    "args": ["b"],
    "env": {"A": "1"},
    "user": "10001:10001",
    "dir": "/w",
    "hostname": "h",
    "readOnly": True,
    "capAdds": ["NET_BIND_SERVICE"],
    "capDrops": ["ALL"],
    "stopGracePeriod": "30s",
    "stopSignal": "SIGTERM",
    "init": True,
    "labels": [{"label": "a", "value": "b"}],
}


def test_container_spec_fields_match_the_sdk() -> None:
    expected = engine.ContainerSpec(
        "img:1",
        command=["a"],
        args=["b"],
        env={"A": "1"},
        user="10001:10001",
        workdir="/w",
        hostname="h",
        read_only=True,
        cap_add=["NET_BIND_SERVICE"],
        cap_drop=["ALL"],
        stop_grace_period=30 * S,
        stop_signal="SIGTERM",
        init=True,
        labels={"a": "b"},
    )
    assert container_spec(FULL_CONTAINER, "c") == dict(expected)


def test_mounts_secrets_configs_and_healthcheck_match_the_sdk() -> None:
    spec = {
        "image": "img:1",
        "mounts": [
            {"type": "tmpfs", "target": "/tmp", "tmpfsOptions": {"sizeBytes": 64, "mode": 0o1777}},
            {"type": "volume", "source": "data", "target": "/data", "readOnly": False},
        ],
        "secrets": [{"secretId": "s1", "secretName": "pw", "fileName": "/run/secrets/pw", "fileMode": 0o444}],
        "configs": [{"configId": "c1", "configName": "conf", "fileName": "/etc/conf", "fileMode": 0o444}],
        "healthcheck": {
            "tests": ["CMD", "true"],
            "interval": "5s",
            "timeout": "2s",
            "startPeriod": "60s",
            "retries": 3,
        },
    }
    body = container_spec(spec, "c")
    # Go omits a false ReadOnly on the wire (omitempty); the SDK writes it: compare without it.
    tmpfs = sdk(engine.Mount("/tmp", "", type="tmpfs", tmpfs_size=64, tmpfs_mode=0o1777))
    volume = sdk(engine.Mount("/data", "data", type="volume"))
    assert [{k: v for k, v in m.items() if k != "ReadOnly"} for m in body["Mounts"]] == [
        {k: v for k, v in m.items() if k != "ReadOnly"} for m in (tmpfs, volume)
    ]
    assert body["Mounts"][0]["TmpfsOptions"] == {"SizeBytes": 64, "Mode": 0o1777}
    assert body["Secrets"] == [dict(engine.SecretReference("s1", "pw", "/run/secrets/pw", "0", "0", 0o444))]
    assert body["Configs"] == [dict(engine.ConfigReference("c1", "conf", "/etc/conf", "0", "0", 0o444))]
    assert body["Healthcheck"] == dict(
        engine.Healthcheck(
            test=["CMD", "true"], interval=5 * S, timeout=2 * S, retries=3, start_period=60 * S
        )
    )


def test_task_template_parts_match_the_sdk() -> None:
    template = task_template(
        {
            "containerSpec": {"image": "img:1"},
            "resources": {
                "limits": {"nanoCpus": 500_000_000, "memoryBytes": 256},
                "reservation": {"nanoCpus": 50_000_000, "memoryBytes": 64},
            },
            "restartPolicy": {"condition": "on-failure", "delay": "5s", "maxAttempts": 0, "window": "120s"},
            "placement": {"constraints": ["node.role == manager"], "prefs": ["node.labels.zone"]},
            "networksAdvanceds": [{"name": "net-id", "aliases": ["x"]}],
            "forceUpdate": 2,
        }
    )
    assert template["Resources"] == dict(
        engine.Resources(cpu_limit=500_000_000, mem_limit=256, cpu_reservation=50_000_000, mem_reservation=64)
    )
    assert template["RestartPolicy"] == dict(
        engine.RestartPolicy(condition="on-failure", delay=5 * S, max_attempts=0, window=120 * S)
    )
    assert template["Placement"] == dict(
        engine.Placement(constraints=["node.role == manager"], preferences=[("spread", "node.labels.zone")])
    )
    assert template["Networks"] == [sdk(engine.NetworkAttachmentConfig("net-id", aliases=["x"]))]
    assert template["ForceUpdate"] == 2


def test_service_spec_update_rollback_mode_and_endpoint_match_the_sdk() -> None:
    update = {
        "parallelism": 1,
        "delay": "5s",
        "failureAction": "rollback",
        "monitor": "30s",
        "maxFailureRatio": "0",
        "order": "start-first",
    }
    spec = service_spec(
        {
            "name": "web",
            "labels": [{"label": "tier", "value": "edge"}],
            "taskSpec": {"containerSpec": {"image": "img:1"}},
            "mode": {"replicated": {"replicas": 3}},
            "updateConfig": update,
            "rollbackConfig": {**update, "failureAction": "pause"},
            "endpointSpec": {
                "mode": "dnsrr",
                "ports": [{"name": "http", "targetPort": 80, "publishedPort": 8080, "publishMode": "host"}],
            },
            "convergeConfig": {"delay": "5s", "timeout": "5m"},
        }
    )
    expected_update = engine.UpdateConfig(
        parallelism=1,
        delay=5 * S,
        failure_action="rollback",
        monitor=30 * S,
        max_failure_ratio=0.0,
        order="start-first",
    )
    assert spec["Name"] == "web" and spec["Labels"] == {"tier": "edge"}
    assert spec["UpdateConfig"] == dict(expected_update)
    assert spec["RollbackConfig"] == {**dict(expected_update), "FailureAction": "pause"}
    assert spec["Mode"] == {"Replicated": {"Replicas": 3}}
    port = {"Name": "http", "Protocol": "tcp", "TargetPort": 80, "PublishedPort": 8080, "PublishMode": "host"}
    assert spec["EndpointSpec"] == dict(engine.EndpointSpec(mode="dnsrr", ports=[port]))
    # convergeConfig is the provider's own wait, not part of the ServiceSpec.
    assert "convergeConfig" not in str(spec) and "Converge" not in str(spec)


def test_networks_volumes_secrets_and_configs() -> None:
    network = engine_object(
        NETWORK, {"name": "n", "driver": "overlay", "attachable": True, "options": {"encrypted": "true"}}
    )
    assert network == {
        "Name": "n",
        "CheckDuplicate": True,
        "Driver": "overlay",
        "Attachable": True,
        "Options": {"encrypted": "true"},
    }
    assert engine_object(
        VOLUME, {"name": "v", "driver": "local", "labels": [{"label": "a", "value": "b"}]}
    ) == {
        "Name": "v",
        "Driver": "local",
        "Labels": {"a": "b"},
    }
    secret = engine_object(SECRET, {"name": "s", "data": base64.b64encode(b"pw").decode()})
    assert base64.b64decode(secret["Data"]) == b"pw"
    config = engine_object(CONFIG, {"name": "c", "dataRaw": "text\n"})
    assert base64.b64decode(config["Data"]) == b"text\n"


@pytest.mark.parametrize(
    ("inputs", "path"),
    [
        (
            {"name": "web", "taskSpec": {"containerSpec": {"image": "i"}}, "rollbackOnFailure": True},
            "service",
        ),
        (
            {"name": "web", "taskSpec": {"containerSpec": {"image": "i", "sysctl": {}}}},
            r"taskSpec\.containerSpec",
        ),
        ({"name": "web", "taskSpec": {"containerSpec": {"image": "i"}, "logDriver": {}}}, "taskSpec"),
        (
            {
                "name": "web",
                "taskSpec": {
                    "containerSpec": {
                        "image": "i",
                        "mounts": [{"type": "bind", "target": "/x", "bindOptions": {}}],
                    }
                },
            },
            r"taskSpec\.containerSpec\.mounts\[0\]",
        ),
        (
            {"name": "web", "taskSpec": {"containerSpec": {"image": "i"}}, "mode": {"replicatedJob": {}}},
            "mode",
        ),
        (
            {"name": "web", "taskSpec": {"containerSpec": {"image": "i"}}, "updateConfig": {"speed": 1}},
            "updateConfig",
        ),
    ],
)
def test_an_unknown_service_input_is_an_error_naming_its_path(inputs: dict[str, Any], path: str) -> None:
    with pytest.raises(UnknownInputError, match=rf"^{path}: unknown input"):
        engine_object(SERVICE, inputs)


def test_an_unknown_resource_type_is_an_error() -> None:
    with pytest.raises(
        UnknownInputError, match="docker:index/remoteImage:RemoteImage: no Engine API mapping"
    ):
        engine_object("docker:index/remoteImage:RemoteImage", {})


def test_every_service_the_swarm_stack_declares_maps_without_error() -> None:
    from tests.support.stacks import synthesize_stack
    from tests.support.swarm_apply import unwrap

    synthesis = synthesize_stack("swarm")
    services = [r for r in synthesis.resources if r.type == SERVICE]
    # The 18 of the platform, the autoscaler, and its monitoring (components/swarm/monitoring.py).
    assert len(services) == 23
    for resource in services:
        body = engine_object(SERVICE, unwrap(resource.inputs))
        assert body["TaskTemplate"]["ContainerSpec"]["Image"]
