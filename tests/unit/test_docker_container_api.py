"""preview/docker_container_api.py: a Container's inputs (wire names) to the provider's Engine API calls.

The expected HostConfig and health check are built with the official Docker SDK's builders
(docker.types), an independent statement of the Engine API's field names and units.
"""

from __future__ import annotations

import base64
import io
import tarfile
from typing import Any

import docker.types as engine
import pytest

from preview.docker_api import UnknownInputError, engine_object
from preview.docker_container_api import CONTAINER, container_create, nano_cpus
from tests.support.container_apply import _tar, updatable

S = 10**9
MIB = 2**20

FULL: dict[str, Any] = {
    "name": "cdn",
    "image": "img:1",
    "entrypoints": ["nginx", "-c", "/etc/nginx/cdn/nginx.conf"],
    "envs": ["A=1"],
    "user": "10001:10001",
    "labels": [{"label": "k", "value": "v"}],
    "healthcheck": {
        "tests": ["CMD", "true"], "interval": "5s", "timeout": "2s", "startPeriod": "60s", "retries": 3,
    },
    "stopTimeout": 30,
    "restart": "unless-stopped",
    "capabilities": {"drops": ["ALL"]},
    "securityOpts": ["no-new-privileges:true"],
    "readOnly": False,
    "mounts": [{"type": "tmpfs", "target": "/tmp", "tmpfsOptions": {"sizeBytes": 64 * MIB, "mode": 0o1777}}],
    "ports": [{"internal": 8080, "external": 18080, "ip": "127.0.0.1", "protocol": "tcp"}],
    "memory": 256,
    "memoryReservation": 128,
    "cpus": "0.5",
    "cpuShares": 102,
    "networksAdvanced": [{"name": "technovastore", "aliases": ["cdn"]}],
    "uploads": [
        {"file": "/etc/x.conf", "content": "text", "permissions": "0444", "owner": "0", "group": "0"},
    ],
    "wait": True,
    "waitTimeout": 300,
    "destroyGraceSeconds": 30,
}  # fmt: skip


def sdk(value: Any) -> dict[str, Any]:
    return {key: item for key, item in dict(value).items() if item is not None}


def test_the_host_config_is_what_the_sdk_builds_for_the_same_values() -> None:
    host = container_create(FULL)["Create"]["HostConfig"]
    expected = sdk(
        engine.HostConfig(
            version="1.41",
            mem_limit=256 * MIB,
            mem_reservation=128 * MIB,
            nano_cpus=S // 2,
            cpu_shares=102,
            restart_policy={"Name": "unless-stopped", "MaximumRetryCount": 0},
            cap_drop=["ALL"],
            security_opt=["no-new-privileges:true"],
            read_only=False,
            auto_remove=False,
            privileged=False,
            init=False,
            port_bindings={8080: ("127.0.0.1", 18080)},
        )
    )
    # The SDK leaves false flags out and names the default network; the provider sends both flags.
    assert expected.pop("NetworkMode") == "default"
    assert (host.pop("Privileged"), host.pop("AutoRemove")) == (False, False)
    mounts = host.pop("Mounts")
    assert host.pop("LogConfig") == {"Type": ""}  # the engine's default driver
    assert host == expected
    tmpfs = sdk(engine.Mount("/tmp", "", type="tmpfs", tmpfs_size=64 * MIB, tmpfs_mode=0o1777))
    assert mounts == [{k: v for k, v in tmpfs.items() if k != "ReadOnly"}]


def test_config_healthcheck_ports_and_the_calls_after_create() -> None:
    calls = container_create(FULL)
    create = calls["Create"]
    assert create["Entrypoint"] == FULL["entrypoints"] and "Cmd" not in create
    assert (create["Env"], create["User"], create["Labels"], create["StopTimeout"]) == (
        ["A=1"],
        "10001:10001",
        {"k": "v"},
        30,
    )
    health = sdk(
        engine.Healthcheck(
            test=["CMD", "true"], interval=5 * S, timeout=2 * S, start_period=60 * S, retries=3
        )
    )
    assert create["Healthcheck"] == health
    assert create["ExposedPorts"] == {"8080/tcp": {}}
    assert calls["Connect"] == [
        {"Network": "technovastore", "EndpointConfig": {"IPAMConfig": {}, "Aliases": ["cdn"]}}
    ]
    assert calls["Lifecycle"] == {
        "start": True,
        "mustRun": True,
        "removeVolumes": True,
        "wait": True,
        "waitTimeout": 300,
        "attach": False,
        "destroyGraceSeconds": 30,
    }
    assert engine_object(CONTAINER, FULL) == calls


def test_an_upload_is_a_one_file_tar_with_its_mode_and_numeric_owner() -> None:
    upload = {
        "file": "/run/secrets/p",
        "content": "s3cret",
        "permissions": "0400",
        "owner": "999",
        "group": "998",
    }
    (mapped,) = container_create({**FULL, "uploads": [upload]})["Uploads"]
    with tarfile.open(fileobj=io.BytesIO(_tar(mapped))) as tar:
        (member,) = tar.getmembers()
        content = tar.extractfile(member).read()  # type: ignore[union-attr]
    assert (member.name, member.mode, member.uid, member.gid, content) == (
        "/run/secrets/p",
        0o400,
        999,
        998,
        b"s3cret",
    )


@pytest.mark.parametrize(
    ("upload", "mode"),
    [
        ({"content": "x"}, 0o644),
        ({"content": "x", "executable": True}, 0o744),
        ({"content": "x", "executable": True, "permissions": "0600"}, 0o600),
        ({"contentBase64": base64.b64encode(b"x").decode()}, 0o644),
    ],
)
def test_the_upload_mode_follows_the_provider(upload: dict[str, Any], mode: int) -> None:
    (mapped,) = container_create({**FULL, "uploads": [{"file": "/f", **upload}]})["Uploads"]
    assert mapped["Mode"] == mode and base64.b64decode(mapped["Content"]) == b"x"


@pytest.mark.parametrize(
    ("text", "nanos"), [("0.5", S // 2), ("1", S), ("1.5", 3 * S // 2), ("0.001", 10**6)]
)
def test_cpus_are_parsed_as_the_docker_cli_does(text: str, nanos: int) -> None:
    assert nano_cpus(text) == nanos


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"privilegedMode": True}, r"container: unknown input\(s\) privilegedMode"),
        ({"image": ""}, "'image' is required"),
        ({"command": ["a", ""]}, "values for command may not be empty"),
        ({"cpus": "half"}, "cpus: 'half' is not a number of CPUs"),
        ({"cpus": "0.0000000001"}, "too precise"),
        ({"uploads": [{"file": "/f"}]}, r"uploads\[0\]: exactly one of 'content' or 'contentBase64'"),
        ({"uploads": [{"file": "/f", "content": "x", "owner": "redis"}]},
         r"uploads\[0\]\.owner: 'redis': only numeric"),
        ({"healthcheck": None, "wait": True}, "no healthcheck to wait for"),
        ({"networksAdvanced": [{"name": "n", "gwPriority": 1}]}, r"networksAdvanced\[0\]: unknown input"),
    ],
)  # fmt: skip
def test_what_the_mapping_cannot_translate_is_an_error(change: dict[str, Any], message: str) -> None:
    inputs = {key: value for key, value in {**FULL, **change}.items() if value is not None}
    with pytest.raises(UnknownInputError, match=message):
        container_create(inputs)


def test_only_the_provider_s_update_fields_update_in_place() -> None:
    base = container_create(FULL)
    assert updatable(base, container_create({**FULL, "memory": 512, "restart": "always", "cpuShares": 200}))
    # Accepted in place by the provider, yet never sent to the engine: still no replacement.
    assert updatable(base, container_create({**FULL, "healthcheck": {"tests": ["CMD", "false"]}}))
    replacing: list[dict[str, Any]] = [{"image": "img:2"}, {"cpus": "1"}, {"envs": ["A=2"]}, {"user": "1:1"}]
    for change in [*replacing, {"uploads": []}]:
        assert not updatable(base, container_create({**FULL, **change})), change


def test_every_container_the_dev_stack_declares_maps_without_error() -> None:
    from tests.support.stacks import synthesize_stack
    from tests.support.swarm_apply import unwrap

    containers = [r for r in synthesize_stack("dev").resources if r.type == CONTAINER]
    assert len(containers) == 18
    for resource in containers:
        assert engine_object(resource.type, unwrap(resource.inputs))["Name"] == resource.inputs["name"]
