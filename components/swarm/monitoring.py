"""SwarmMonitoring: the stack's own Prometheus and Grafana, and the exporter for both Redis stores.

Kubernetes stacks hand their rules and dashboards to kube-prometheus-stack; a Swarm has no
operator, so the stack runs Prometheus (9090) and Grafana (3013) itself, with the very rules
and dashboards the Kubernetes objects carry and the same scrape job names and labels.

- Redis: one redis_exporter in multi-target mode for every cluster node, data node and
  Sentinel (a task cannot have a sidecar); its password file is a Swarm secret.
- CDN: the log-to-metrics reader every CDN task sends its lines to (components/swarm/cdn_metrics.py).
  NGINX's stub_status stays on each task's loopback: no exporter can reach it per task.
- The autoscaler's /metrics, when the stack runs one; Prometheus itself.
"""

from __future__ import annotations

import pulumi
import pulumi_docker as docker

from components.protection import guarded
from components.redis_passwords import generated_password
from components.render.dashboards import render_dashboards
from components.render.grafana_provisioning import (
    DATASOURCE_FILE,
    PROVIDER_FILE,
    dashboard_file,
    render_dashboard_json,
    render_dashboard_provider,
    render_datasource,
)
from components.render.prometheus_config import (
    CONFIG_FILE,
    DATA_DIR,
    PORT,
    RULES_DIR,
    ScrapeJob,
    render_prometheus_config,
)
from components.render.redis_exporter import (
    SCRAPE_PATH,
    exporter_target,
    multi_target_env,
    render_password_map,
)
from components.render.redis_layout import EXPORTER_PORT, REDIS_PORT, SENTINEL_PORT
from components.render.rules import MetricSources, render_rules_file
from components.settings import Settings
from components.swarm.conventions import http_healthcheck, swarm_name, tmpfs
from components.swarm.credentials import SECRETS_ROOT
from components.swarm.files import file_reference, service_config, swarm_secret
from components.swarm.network import SwarmNetwork
from components.swarm.redis_stores import SwarmRedisStores
from components.swarm.single_task import (
    TaskContainer,
    data_node_constraints,
    single_task_service,
    state_volume,
)

# The upstream images' users: prom/prometheus runs as nobody, grafana/grafana as 472 (group 0),
# who own the images' data directories a new volume is seeded from.
PROMETHEUS_USER = "65534:65534"
GRAFANA_USER = "472:0"
GRAFANA_DATA_DIR = "/var/lib/grafana"
PASSWORD_MAP_FILE = f"{SECRETS_ROOT}/redis-exporter-passwords.json"
GRAFANA_PASSWORD_FILE = f"{SECRETS_ROOT}/grafana-admin-password"


class SwarmMonitoring(pulumi.ComponentResource):
    """Prometheus, Grafana and the Redis exporter of one Swarm stack."""

    prometheus_host: str
    config_text: str
    grafana_admin_password: pulumi.Output[str] | None

    def __init__(
        self,
        name: str,
        *,
        settings: Settings,
        sources: MetricSources,
        network: SwarmNetwork,
        redis: SwarmRedisStores,
        cdn_metrics_target: str,
        autoscaler_target: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("technovastore:swarm:SwarmMonitoring", name, None, opts)
        self._settings, self._network = settings, network
        self._child = pulumi.ResourceOptions(parent=self)
        jobs = [
            *self._redis_jobs(sources, redis),
            ScrapeJob(sources.cdn_job, (cdn_metrics_target,)),
            ScrapeJob("prometheus", (f"localhost:{PORT}",)),
        ]
        if autoscaler_target is not None:
            jobs.append(ScrapeJob(sources.autoscaler_job, (autoscaler_target,)))
        self.prometheus_host = swarm_name(settings, "prometheus")
        self.config_text = render_prometheus_config(
            jobs, labels=sources.scope, interval_seconds=settings.monitoring.scrape_interval_seconds
        )
        self._prometheus(sources)
        self.grafana_admin_password = self._grafana(sources) if settings.monitoring.grafana.enabled else None
        self.register_outputs({"prometheus": self.prometheus_host})

    def _redis_jobs(self, sources: MetricSources, redis: SwarmRedisStores) -> list[ScrapeJob]:
        """One exporter for every member of both stores, asked once per member."""
        settings = self._settings
        members = {
            sources.cache_job: [exporter_target(host, REDIS_PORT) for host in redis.hosts.cluster],
            sources.sessions_job: [exporter_target(host, REDIS_PORT) for host in redis.hosts.data],
            sources.sentinel_job: [exporter_target(host, SENTINEL_PORT) for host in redis.hosts.sentinels],
        }
        targets = [target for group in members.values() for target in group]
        password_map = redis.credentials.metrics_password.apply(
            lambda password: render_password_map(targets, password)
        )
        secret = swarm_secret(settings, "redis-exporter-passwords", password_map, self._child)
        task = TaskContainer(
            name="redis-exporter",
            component="metrics",
            image=settings.redis.exporter_image,
            commands=["/redis_exporter"],
            resources=settings.redis.exporter_resources,
            healthcheck=None,
            env=multi_target_env(PASSWORD_MAP_FILE, EXPORTER_PORT),
            secrets=[file_reference("secret", secret, PASSWORD_MAP_FILE)],
        )
        single_task_service(settings, task, network_id=self._network.network_id, opts=self._child)
        exporter = f"{swarm_name(settings, task.name)}:{EXPORTER_PORT}"
        return [
            ScrapeJob(job, tuple(group), metrics_path=SCRAPE_PATH, exporter=exporter)
            for job, group in members.items()
        ]

    def _prometheus(self, sources: MetricSources) -> docker.Service:
        settings = self._settings
        prometheus = settings.monitoring.prometheus
        config = service_config(settings, "prometheus-config", self.config_text, self._child)
        rules = service_config(
            settings, "prometheus-rules", render_rules_file(settings, sources), self._child
        )
        volume = state_volume(settings, "prometheus", self._child)
        task = TaskContainer(
            name="prometheus",
            component="monitoring",
            image=prometheus.image,
            commands=[
                "/bin/prometheus",
                f"--config.file={CONFIG_FILE}",
                f"--storage.tsdb.path={DATA_DIR}",
                f"--storage.tsdb.retention.time={prometheus.retention_days}d",
                f"--web.listen-address=:{PORT}",
            ],
            resources=prometheus.resources,
            healthcheck=http_healthcheck(PORT, "/-/ready"),
            configs=[
                file_reference("config", config, CONFIG_FILE),
                file_reference("config", rules, f"{RULES_DIR}/technovastore.yml"),
            ],
            mounts=[{"type": "volume", "source": volume.name, "target": DATA_DIR}],
            user=PROMETHEUS_USER,
            published={PORT: prometheus.published_port},
            constraints=data_node_constraints(settings),
            stateful=True,
        )
        return single_task_service(
            settings, task, network_id=self._network.network_id, opts=self._after(config, rules, volume)
        )

    def _grafana(self, sources: MetricSources) -> pulumi.Output[str]:
        settings = self._settings
        grafana = settings.monitoring.grafana
        # Grafana takes the admin password from its environment only when it creates its
        # database: a password drawn again later would not match. Kept like the Redis ones.
        password = generated_password("grafana-admin", guarded(settings.protection, self._child))
        secret = swarm_secret(settings, "grafana-admin-password", password, self._child)
        # Resource name -> (path in the container, text). Swarm config names stay under 64 characters.
        files = {
            "grafana-datasource": (
                DATASOURCE_FILE,
                render_datasource(
                    f"http://{self.prometheus_host}:{PORT}", settings.monitoring.scrape_interval_seconds
                ),
            ),
            "grafana-dashboards": (PROVIDER_FILE, render_dashboard_provider()),
            **{
                f"grafana-{board.removeprefix('technovastore-')}": (
                    dashboard_file(board),
                    render_dashboard_json(model),
                )
                for board, model in render_dashboards(settings, sources).items()
            },
        }
        configs = {
            path: service_config(settings, resource, text, self._child)
            for resource, (path, text) in files.items()
        }
        volume = state_volume(settings, "grafana", self._child)
        task = TaskContainer(
            name="grafana",
            component="monitoring",
            image=grafana.image,
            commands=None,
            resources=grafana.resources,
            healthcheck=http_healthcheck(grafana.port, "/api/health"),
            env={
                "GF_SERVER_HTTP_PORT": str(grafana.port),
                "GF_SECURITY_ADMIN_USER": "admin",
                "GF_SECURITY_ADMIN_PASSWORD__FILE": GRAFANA_PASSWORD_FILE,
                "GF_USERS_ALLOW_SIGN_UP": "false",
                "GF_ANALYTICS_REPORTING_ENABLED": "false",
                "GF_ANALYTICS_CHECK_FOR_UPDATES": "false",
                # The image's defaults also log to /var/log/grafana, on the read-only root.
                "GF_LOG_MODE": "console",
            },
            configs=[file_reference("config", config, path) for path, config in configs.items()],
            secrets=[file_reference("secret", secret, GRAFANA_PASSWORD_FILE)],
            mounts=[
                {"type": "volume", "source": volume.name, "target": GRAFANA_DATA_DIR},
                tmpfs("/tmp", 64),
            ],
            user=GRAFANA_USER,
            published={grafana.port: grafana.port},
            constraints=data_node_constraints(settings),
            stateful=True,
        )
        single_task_service(
            settings, task, network_id=self._network.network_id, opts=self._after(*configs.values(), volume)
        )
        return password

    def _after(self, *resources: pulumi.Resource) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, depends_on=list(resources))
