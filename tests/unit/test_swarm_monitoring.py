"""The swarm stack's monitoring under the mock runtime: Prometheus, Grafana and the exporters.

Grafana cannot run on our machines: its provisioning files are validated against Grafana's own
shapes (tests/monitoring/upstream/grafana-provisioning.schema.json, from its source), and the
dashboards they load are the rendered ones whose queries the real-Swarm test runs.
"""

from __future__ import annotations

import base64
import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from components.render.dashboards import render_dashboards
from components.render.grafana_provisioning import DATASOURCE_FILE, PROVIDER_FILE
from components.render.rules import MetricSources, render_rules_file
from components.settings import SettingsError, load_settings
from components.swarm.conventions import swarm_name
from preview.synth import Synthesis
from tests.support.promtool import PROMTOOL
from tests.support.stacks import stack_config, synthesize_deployment
from tests.support.swarm_apply import unwrap
from tests.unit.test_swarm_components import CONFIG, SECRET, SERVICE, service, swarm, swarm_settings

SCHEMA = json.loads(
    (Path(__file__).parents[1] / "monitoring" / "upstream" / "grafana-provisioning.schema.json").read_text()
)


def container(synthesis: Synthesis, name: str) -> dict[str, Any]:
    spec: dict[str, Any] = service(synthesis, name).inputs["taskSpec"]["containerSpec"]
    return spec


def mounted_configs(synthesis: Synthesis, name: str) -> dict[str, str]:
    """Path in the service's container -> the text of the Swarm config mounted there."""
    by_id = {f"{r.name}-id": r.inputs["dataRaw"] for r in synthesis.resources if r.type == CONFIG}
    return {c["fileName"]: by_id[c["configId"]] for c in container(synthesis, name).get("configs", [])}


def swarm_sources() -> MetricSources:
    settings = load_settings(stack_config("swarm"), "swarm")
    autoscaler = settings.swarm.autoscaler.enabled
    return MetricSources.swarm(
        settings.namespace, autoscaler=autoscaler, service_prefix=swarm_name(settings, "")
    )


def test_prometheus_runs_the_rendered_rules_and_publishes_9090() -> None:
    settings = load_settings(stack_config("swarm"), "swarm")
    files = mounted_configs(swarm(), "prometheus")
    inputs = service(swarm(), "prometheus").inputs

    assert files["/etc/prometheus/rules/technovastore.yml"] == render_rules_file(settings, swarm_sources())
    assert inputs["endpointSpec"]["ports"] == [
        {
            "name": "port-9090",
            "protocol": "tcp",
            "targetPort": 9090,
            "publishedPort": 9090,
            "publishMode": "ingress",
        }
    ]
    # Its TSDB on its own volume, on the nodes that keep data, one process at a time.
    (mount,) = container(swarm(), "prometheus")["mounts"]
    assert (mount["type"], mount["source"], mount["target"]) == (
        "volume",
        "technovastore-prometheus-data",
        "/prometheus",
    )
    assert inputs["taskSpec"]["placement"]["constraints"] == ["node.labels.technovastore.redis == true"]
    assert inputs["updateConfig"]["order"] == "stop-first"
    assert container(swarm(), "prometheus")["healthcheck"]["tests"][-1] == "http://127.0.0.1:9090/-/ready"


def test_promtool_accepts_the_prometheus_config() -> None:
    config = mounted_configs(swarm(), "prometheus")["/etc/prometheus/prometheus.yml"]
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "prometheus.yml").write_text(config)
        done = subprocess.run(
            [PROMTOOL, "check", "config", "prometheus.yml"],
            cwd=tmp,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 0, done.stdout + done.stderr


def test_prometheus_scrapes_every_redis_member_through_the_exporter_and_the_cdn_reader() -> None:
    config = yaml.safe_load(mounted_configs(swarm(), "prometheus")["/etc/prometheus/prometheus.yml"])
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    targets = {name: job["static_configs"][0]["targets"] for name, job in jobs.items()}

    assert targets == {
        "redis-cluster": [f"redis://technovastore-redis-cluster-{i}:6379" for i in range(6)],
        "redis-sessions": [f"redis://technovastore-redis-sessions-{i}:6379" for i in range(3)],
        "redis-sessions-sentinel": [
            f"redis://technovastore-redis-sessions-sentinel-{i}:26379" for i in range(3)
        ],
        "cdn": ["technovastore-cdn-metrics:3903"],
        "prometheus": ["localhost:9090"],
        # The autoscaler's series feed the scaling alerts (swarm.autoscaler.metricsPort).
        "autoscaler": ["technovastore-autoscaler:9464"],
    }
    assert all(job["static_configs"][0]["labels"] == {"namespace": "technovastore"} for job in jobs.values())
    for name in ("redis-cluster", "redis-sessions", "redis-sessions-sentinel"):
        assert jobs[name]["metrics_path"] == "/scrape"
        assert jobs[name]["relabel_configs"][-1] == {
            "target_label": "__address__",
            "replacement": "technovastore-redis-exporter:9121",
        }
    assert config["global"]["scrape_interval"] == config["global"]["evaluation_interval"] == "30s"


def test_without_the_autoscaler_nothing_scrapes_or_alerts_on_it() -> None:
    synthesis = swarm(swarm=swarm_settings(autoscaler={"enabled": False}))
    files = mounted_configs(synthesis, "prometheus")
    config = yaml.safe_load(files["/etc/prometheus/prometheus.yml"])

    assert "autoscaler" not in {job["job_name"] for job in config["scrape_configs"]}
    assert "technovastore_autoscaler_" not in files["/etc/prometheus/rules/technovastore.yml"]
    assert "AutoscalerDown" not in files["/etc/prometheus/rules/technovastore.yml"]


def test_the_exporter_password_is_a_secret_file_mapping_every_scraped_member() -> None:
    synthesis = synthesize_deployment("swarm", {}, passwords=lambda name: f"pw-{name}")
    exporter = container(synthesis, "redis-exporter")
    (mount,) = exporter["secrets"]
    (secret,) = [r for r in synthesis.resources if r.type == SECRET and f"{r.name}-id" == mount["secretId"]]
    password_map = json.loads(base64.b64decode(unwrap(secret.inputs["data"])))
    config = yaml.safe_load(mounted_configs(synthesis, "prometheus")["/etc/prometheus/prometheus.yml"])
    scraped = [
        t
        for job in config["scrape_configs"]
        if "relabel_configs" in job
        for t in job["static_configs"][0]["targets"]
    ]

    assert sorted(password_map) == sorted(scraped)
    assert set(password_map.values()) == {"pw-redis-credentials-metrics"}
    assert exporter["env"] == {
        "REDIS_USER": "metrics",
        "REDIS_PASSWORD_FILE": mount["fileName"],
        "REDIS_EXPORTER_WEB_LISTEN_ADDRESS": ":9121",
    }
    assert "pw-" not in json.dumps([exporter, mounted_configs(synthesis, "prometheus")])


def test_the_cdn_sends_its_metrics_lines_to_the_reader_service() -> None:
    nginx = next(
        text for path, text in mounted_configs(swarm(), "cdn").items() if path.endswith("nginx.conf")
    )
    reader = container(swarm(), "cdn-metrics")

    assert "access_log syslog:server=technovastore-cdn-metrics:5140,tag=cdn,nohostname cdn_metrics;" in nginx
    assert "--logs=udp://0.0.0.0:5140" in reader["commands"]
    assert list(mounted_configs(swarm(), "cdn-metrics")) == ["/etc/mtail/cdn.mtail"]
    # With virtual IPs the reader's address never changes: the CDN does not roll with it.
    assert "env" not in container(swarm(), "cdn")


def test_with_dnsrr_a_new_metrics_reader_rolls_the_cdn() -> None:
    dnsrr = {
        **json.loads(stack_config("swarm")["technovastore-scaling:swarm"]),
        "endpointMode": "dnsrr",
        "publishMode": "host",
    }
    image = "ghcr.io/jaqx0r/mtail:3.4.5"

    before = container(swarm(swarm=dnsrr), "cdn")["env"]["METRICS_READER_REVISION"]
    after = container(swarm(swarm=dnsrr, monitoring={"cdnMetricsImage": image}), "cdn")["env"]

    assert after["METRICS_READER_REVISION"] != before


def test_the_exporters_without_a_shell_say_prometheus_watches_them() -> None:
    for name in ("redis-exporter", "cdn-metrics"):
        labels = {x["label"]: x["value"] for x in service(swarm(), name).inputs["labels"]}
        assert labels["technovastore.io/health-from"] == "prometheus-scrape"
        assert "healthcheck" not in container(swarm(), name)
    for name in ("prometheus", "grafana"):
        names = {x["label"] for x in service(swarm(), name).inputs["labels"]}
        assert "technovastore.io/health-from" not in names


@pytest.mark.parametrize("path", [DATASOURCE_FILE, PROVIDER_FILE])
def test_grafanas_provisioning_files_have_grafanas_shape(path: str) -> None:
    document = yaml.safe_load(mounted_configs(swarm(), "grafana")[path])
    jsonschema.validate(document, SCHEMA)


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda d: d["datasources"][0].update(isDefualt=True), "isDefualt"),
        (lambda d: d["datasources"][0].update(access="server"), "server"),
        (lambda d: d["datasources"][0].pop("name"), "name"),
        (lambda d: d.update(apiVersion=2), "2"),
    ],
    ids=["misspelt-key", "bad-access", "no-name", "api-version"],
)
def test_the_provisioning_schema_refuses_what_grafana_would_drop_or_refuse(change: Any, says: str) -> None:
    document = yaml.safe_load(mounted_configs(swarm(), "grafana")[DATASOURCE_FILE])
    change(document)
    with pytest.raises(jsonschema.ValidationError, match=says):
        jsonschema.validate(document, SCHEMA)


def test_grafana_loads_the_rendered_dashboards_from_the_stacks_prometheus() -> None:
    settings = load_settings(stack_config("swarm"), "swarm")
    files = mounted_configs(swarm(), "grafana")
    (datasource,) = yaml.safe_load(files[DATASOURCE_FILE])["datasources"]
    (provider,) = yaml.safe_load(files[PROVIDER_FILE])["providers"]
    dashboards = {path: json.loads(text) for path, text in files.items() if path.endswith(".json")}

    assert (datasource["type"], datasource["url"], datasource["isDefault"]) == (
        "prometheus",
        "http://technovastore-prometheus:9090",
        True,
    )
    assert {str(Path(path).parent) for path in dashboards} == {provider["options"]["path"]}
    assert sorted(model["uid"] for model in dashboards.values()) == sorted(
        model["uid"] for model in render_dashboards(settings, swarm_sources()).values()
    )
    for model in dashboards.values():
        (variable,) = model["templating"]["list"]
        assert (variable["type"], variable["query"]) == ("datasource", "prometheus")


def test_grafana_takes_its_admin_password_from_a_secret_and_publishes_3013() -> None:
    grafana = container(swarm(), "grafana")
    (mount,) = grafana["secrets"]

    assert grafana["env"]["GF_SECURITY_ADMIN_PASSWORD__FILE"] == mount["fileName"]
    assert grafana["env"]["GF_SERVER_HTTP_PORT"] == "3013"
    assert not any("PASSWORD=" in f"{key}={value}" for key, value in grafana["env"].items())
    ports = service(swarm(), "grafana").inputs["endpointSpec"]["ports"]
    assert [(p["targetPort"], p["publishedPort"]) for p in ports] == [(3013, 3013)]


def test_without_monitoring_the_stack_declares_none_of_it() -> None:
    synthesis = swarm(monitoring={"enabled": False})
    names = {r.name for r in synthesis.resources if r.type == SERVICE}

    assert not names & {"prometheus", "grafana", "redis-exporter", "cdn-metrics"}
    nginx = next(
        text for path, text in mounted_configs(synthesis, "cdn").items() if path.endswith("nginx.conf")
    )
    assert "syslog:" not in nginx
    assert "monitoring" not in synthesis.outputs


def test_without_grafana_prometheus_still_runs() -> None:
    synthesis = swarm(monitoring={"grafana": {"enabled": False}})
    names = {r.name for r in synthesis.resources if r.type == SERVICE}

    assert "prometheus" in names and "grafana" not in names
    assert "grafanaAdminPassword" not in synthesis.outputs


def _problems(stack: str, monitoring: dict[str, Any], **others: Any) -> str:
    config = {**stack_config(stack), "technovastore-scaling:monitoring": json.dumps(monitoring)}
    config |= {f"technovastore-scaling:{key}": json.dumps(value) for key, value in others.items()}
    with pytest.raises(SettingsError) as caught:
        load_settings(config, stack)
    return str(caught.value)


def test_published_ports_that_clash_are_refused_before_anything_is_declared() -> None:
    swarm_block = json.loads(stack_config("swarm")["technovastore-scaling:swarm"])
    grafana = _problems("swarm", {"prometheus": {"publishedPort": 8080}, "grafana": {"port": 8080}})
    cdn = _problems("swarm", {}, swarm={**swarm_block, "cdnPublishedPort": 9090})

    assert "(1 problem)" in grafana and "(1 problem)" in cdn
    assert "monitoring.grafana.port = 8080: is already published by monitoring.prometheus" in grafana
    assert "monitoring.prometheus.publishedPort = 9090: is already published by swarm.cdnPublishedPort" in cdn


def test_a_disabled_grafana_or_monitoring_publishes_nothing_to_clash_with() -> None:
    for monitoring in (
        {"grafana": {"enabled": False, "port": 80}},
        {"enabled": False, "grafana": {"port": 80}},
    ):
        load_settings(
            {**stack_config("swarm"), "technovastore-scaling:monitoring": json.dumps(monitoring)}, "swarm"
        )


@pytest.mark.parametrize("stack", ["production", "dev"])  # Kubernetes, plain Docker
def test_prometheus_and_grafana_blocks_off_swarm_are_refused(stack: str) -> None:
    message = _problems(stack, {"prometheus": {"retentionDays": 30}, "grafana": {"enabled": False}})

    assert "monitoring.prometheus = '(set)': applies only to a stack that runs its own" in message
    assert "monitoring.grafana = '(set)'" in message
