"""The NGINX CDN on Swarm: health, caching from the stand-in frontend, config rolls, scale-out."""

from __future__ import annotations

import http.client
import json
import secrets

import pytest

from components.workloads import CDN_CONFIG_DIR, CDN_CONFIG_FILE
from tests.integration.swarm.conftest import Deployment
from tests.integration.swarm.probes import eventually, get, running_containers

pytestmark = pytest.mark.integration


def test_the_cdn_answers_health_on_its_published_port(deployment: Deployment) -> None:
    status, _, body = get(deployment, deployment.outputs["endpoints"]["cdn"]["healthPath"])
    assert status == 200, body


def test_a_host_the_stack_does_not_serve_gets_no_answer_but_health_does(deployment: Deployment) -> None:
    # The address itself is no name the stack serves (cdn.hostnames, the service's name).
    with pytest.raises(http.client.RemoteDisconnected):
        get(deployment, "/static/app.css", host="127.0.0.1")
    status, _, body = get(deployment, "/health", host="127.0.0.1")
    assert status == 200, body


def test_a_static_path_is_a_miss_then_a_hit(deployment: Deployment) -> None:
    # A path no other test fetched: the first answer comes from the frontend, the next from cache.
    path = f"/static/theme-{secrets.token_hex(3)}.css"
    first, second = get(deployment, path), get(deployment, path)
    assert first[0] == second[0] == 200
    assert (first[1]["x-cache-status"], second[1]["x-cache-status"]) == ("MISS", "HIT")
    assert first[2] == second[2] and b"stand-in origin" in first[2]


def frontend_hosts_seen(deployment: Deployment, requests: int) -> set[str]:
    """Which frontend tasks answered ``requests`` uncached requests through the CDN."""
    hosts = set()
    for _ in range(requests):
        status, headers, body = get(deployment, "/")
        assert status == 200, body
        assert headers["x-cache-status"] != "HIT"
        hosts.add(json.loads(body)["host"])
    return hosts


def test_a_scaled_up_origin_gets_traffic_through_the_cdn(deployment: Deployment) -> None:
    frontend = deployment.service_id("frontend")
    before = {c.attrs["Config"]["Hostname"] for c in running_containers(deployment, frontend)}
    assert frontend_hosts_seen(deployment, 20) <= before
    try:
        deployment.applier.scale(frontend, len(before) + 1)  # what the autoscaler does
        deployment.applier.wait_updated(frontend)
        (added,) = {c.attrs["Config"]["Hostname"] for c in running_containers(deployment, frontend)} - before
        # NGINX asks Docker's DNS again (valid=5s): the new task joins the rotation.
        eventually(lambda: added in frontend_hosts_seen(deployment, 10), f"traffic to the new task {added}")
    finally:
        deployment.applier.scale(frontend, len(before))
        deployment.applier.wait_updated(frontend)


def test_a_changed_nginx_conf_rolls_the_cdn(deployment: Deployment) -> None:
    cdn = deployment.service_id("cdn")
    before = deployment.client.api.inspect_service(cdn)["Spec"]["TaskTemplate"]["ContainerSpec"]["Configs"]
    (old_task,) = running_containers(deployment, cdn)
    rate = deployment.overrides["cdn"].get("rateLimit", {}).get("requestsPerSecond", 50) + 1
    deployment.change(cdn={**deployment.overrides["cdn"], "rateLimit": {"requestsPerSecond": rate}})
    after = deployment.client.api.inspect_service(cdn)["Spec"]["TaskTemplate"]["ContainerSpec"]["Configs"]
    # A new config object (content-named) replaced the old one, and a new task runs with it.
    assert [c["ConfigName"] for c in after] != [c["ConfigName"] for c in before]
    (new_task,) = running_containers(deployment, cdn)
    assert new_task.id != old_task.id
    code, text = new_task.exec_run(["cat", f"{CDN_CONFIG_DIR}/{CDN_CONFIG_FILE}"])
    assert code == 0 and f"rate={rate}r/s".encode() in text, text[:400]
    eventually(lambda: get(deployment, "/health")[0] == 200, "the rolled CDN answering")
