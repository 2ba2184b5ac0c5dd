"""The Swarm target declares the autoscaler and labels every service with its rules (mock runtime)."""

from __future__ import annotations

import json
from typing import Any

from autoscaler.labels import AUTOSCALE_LABEL, decode
from autoscaler.settings_source import cdn_rules, service_rules
from components.settings import load_settings
from preview.synth import DeclaredResource, Synthesis
from tests.support.stacks import stack_config, synthesize_stack

SERVICE = "docker:index/service:Service"
APPS = ("api-gateway", "product-service", "order-service", "frontend")
_SWARM: list[Synthesis] = []


def swarm() -> Synthesis:
    if not _SWARM:
        _SWARM.append(synthesize_stack("swarm"))
    return _SWARM[0]


def services(synthesis: Synthesis) -> dict[str, DeclaredResource]:
    return {r.name: r for r in synthesis.resources if r.type == SERVICE}


def labels_of(resource: DeclaredResource) -> dict[str, str]:
    return {item["label"]: item["value"] for item in resource.inputs.get("labels", [])}


def mounts(resource: DeclaredResource) -> list[dict[str, Any]]:
    return list(resource.inputs["taskSpec"]["containerSpec"].get("mounts", []))


def test_each_app_service_carries_the_rules_of_its_settings() -> None:
    settings = load_settings(stack_config("swarm"), "swarm")
    declared = services(swarm())
    for name in APPS:
        assert decode(labels_of(declared[name])) == service_rules(settings, name)
        assert labels_of(declared[name])[AUTOSCALE_LABEL] == "true"


def test_the_cdn_is_autoscaled_behind_the_routing_mesh() -> None:
    settings = load_settings(stack_config("swarm"), "swarm")
    cdn = labels_of(services(swarm())["cdn"])
    assert decode(cdn) == cdn_rules(settings)
    assert cdn[AUTOSCALE_LABEL] == "true"


def test_a_host_published_cdn_keeps_its_rules_but_is_not_autoscaled() -> None:
    swarm_block = json.loads(stack_config("swarm")["technovastore-scaling:swarm"])
    synthesis = synthesize_stack(
        "swarm", swarm={**swarm_block, "endpointMode": "dnsrr", "publishMode": "host"}
    )
    cdn = labels_of(services(synthesis)["cdn"])
    assert AUTOSCALE_LABEL not in cdn and "technovastore.io/min-replicas" in cdn


def test_one_autoscaler_on_managers_with_the_only_socket_mount_and_a_health_check() -> None:
    declared = services(swarm())
    autoscaler = declared["autoscaler"]
    task = autoscaler.inputs["taskSpec"]
    assert autoscaler.inputs["mode"] == {"replicated": {"replicas": 1}}
    assert task["placement"]["constraints"] == ["node.role == manager"]
    sockets = {name for name, r in declared.items() for m in mounts(r) if m.get("type") == "bind"}
    assert sockets == {"autoscaler"}
    (socket,) = [m for m in mounts(autoscaler) if m["type"] == "bind"]
    assert socket["source"] == socket["target"] == "/var/run/docker.sock"
    assert not socket.get("readOnly")
    container = task["containerSpec"]
    assert container["healthcheck"]["tests"][:4] == ["CMD", "python3", "-m", "autoscaler.healthcheck"]
    args = container["args"]
    assert args[args.index("--namespace") + 1] == "technovastore"
    assert "--dry-run" not in args
    # Stop-first: two autoscalers never run at once, even during its own update.
    assert autoscaler.inputs["updateConfig"]["order"] == "stop-first"


def test_the_engine_socket_comes_from_where_the_managers_have_it() -> None:
    swarm_block = json.loads(stack_config("swarm")["technovastore-scaling:swarm"])
    moved = synthesize_stack(
        "swarm", swarm={**swarm_block, "autoscaler": {"dockerSocket": "/run/docker.sock"}}
    )
    (socket,) = [m for m in mounts(services(moved)["autoscaler"]) if m["type"] == "bind"]
    assert (socket["source"], socket["target"]) == ("/run/docker.sock", "/var/run/docker.sock")


def test_the_autoscaler_can_be_left_out_or_run_dry() -> None:
    swarm_block = json.loads(stack_config("swarm")["technovastore-scaling:swarm"])
    off = synthesize_stack("swarm", swarm={**swarm_block, "autoscaler": {"enabled": False}})
    assert "autoscaler" not in services(off)
    dry = synthesize_stack(
        "swarm",
        swarm={**swarm_block, "autoscaler": {"dryRun": True, "prometheusUrl": "http://prometheus:9090"}},
    )
    args = services(dry)["autoscaler"].inputs["taskSpec"]["containerSpec"]["args"]
    assert "--dry-run" in args and args[args.index("--prometheus-url") + 1] == "http://prometheus:9090/"
