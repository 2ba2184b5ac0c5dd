"""The CDN's log-to-metrics reader on Swarm: one mtail service every CDN task sends its lines to.

On Kubernetes mtail is a sidecar on each pod's loopback. A Swarm task is one container, so
the reader is a service of its own on the stack's network, and NGINX sends its metrics lines
(syslog over UDP, see components/render/cdn_metrics.py) to the service's name. The counters
are then the whole tier's, which is what every rule and panel sums to anyway.

NGINX resolves a syslog server's name once, when it starts. With virtual IPs the name's
address never changes; with ``dnsrr`` it is the reader task's own, so the CDN tasks roll
whenever the reader is replaced by an update (a task replaced after a crash is reached again
when the CDN tasks next restart: the README's Monitoring section says so).
"""

from __future__ import annotations

import hashlib

import pulumi
import pulumi_docker as docker

from components.render.cdn_metrics import (
    METRICS_PORT,
    PROGRAM_DIR,
    PROGRAM_FILE,
    SYSLOG_PORT,
    mtail_args,
    render_mtail_program,
)
from components.settings import Settings
from components.swarm.conventions import swarm_name
from components.swarm.files import file_reference, service_config
from components.swarm.single_task import TaskContainer, single_task_service


class CdnMetricsReader:
    """The mtail service and its program; ``syslog`` is where NGINX sends, ``target`` is scraped."""

    def __init__(self, settings: Settings, name: str, network_id: pulumi.Input[str], parent: pulumi.Resource):
        program = render_mtail_program()
        image = settings.monitoring.cdn_metrics_image
        config = service_config(settings, f"{name}-program", program, pulumi.ResourceOptions(parent=parent))
        task = TaskContainer(
            name=name,
            component="metrics",
            image=image,
            commands=[
                "/usr/bin/mtail",
                *mtail_args(
                    PROGRAM_DIR,
                    syslog_address=f"0.0.0.0:{SYSLOG_PORT}",
                    listen_address="0.0.0.0",
                    port=METRICS_PORT,
                ),
            ],
            resources=settings.cdn.exporter_resources,
            healthcheck=None,
            configs=[file_reference("config", config, f"{PROGRAM_DIR}/{PROGRAM_FILE}")],
        )
        host = swarm_name(settings, name)
        self.service: docker.Service = single_task_service(
            settings,
            task,
            network_id=network_id,
            opts=pulumi.ResourceOptions(parent=parent, depends_on=[config]),
        )
        self.syslog = f"{host}:{SYSLOG_PORT}"
        self.target = f"{host}:{METRICS_PORT}"
        # What replaces the reader's task on an update: the CDN rolls with it under dnsrr.
        spec = f"{image}\n{program}\n{settings.cdn.exporter_resources.model_dump_json()}"
        self.revision = hashlib.sha256(spec.encode()).hexdigest()[:12]
