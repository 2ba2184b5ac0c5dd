"""NginxCdn: the caching CDN tier as ConfigMap, Deployment, Service, HPA, PDB and NetworkPolicy."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.images import parse_image_reference
from components.kubernetes.autoscaled_service import hpa_behavior, utilization_metric
from components.kubernetes.cdn_metrics import SYSLOG_ADDRESS, metrics_log_container, program_volume
from components.kubernetes.checksums import content_named
from components.kubernetes.conventions import (
    TIER_LABEL,
    container_security_context,
    disruption_budget_spec,
    hpa_owned_deployment_spec,
    http_probe,
    labels,
    namespace_peer,
    pod_security_context,
    selector_labels,
    service_host,
    topology_spread,
)
from components.render.cdn_metrics import METRICS_PORT_NAME, PROGRAM_FILE, render_mtail_program
from components.render.nginx import HEALTH_PATH, STATUS_PATH, NginxLayout, render_nginx_conf
from components.settings.cdn import CdnSettings
from components.settings.scaling import ScalingSettings

TIER = "cdn"
CONFIG_DIR = "/etc/nginx/cdn"
CONFIG_FILE = "nginx.conf"
CACHE_DIR = "/var/cache/nginx/cdn"
TEMP_DIR = "/tmp/nginx"
# Temp files hold responses too large for the proxy buffers while they stream.
TEMP_VOLUME_MB = 256
# The cache may briefly exceed max_size until the cache manager evicts; leave room.
CACHE_VOLUME_HEADROOM = 1.2


def service_names(name: str, namespace: str) -> tuple[str, ...]:
    """Every DNS name a client in the cluster can reach the CDN's Service by."""
    full = service_host(name, namespace)
    return (name, f"{name}.{namespace}", f"{name}.{namespace}.svc", full)


def pod_layout(
    cdn: CdnSettings, origin: str, local_names: tuple[str, ...] = (), *, metrics_log: bool = False
) -> NginxLayout:
    """Where NGINX keeps its files in the pod: everything writable is an emptyDir."""
    return NginxLayout(
        local_names=local_names,
        metrics_syslog=SYSLOG_ADDRESS if metrics_log else None,
        origin=origin,
        listen=str(cdn.port),
        status_listen=f"127.0.0.1:{cdn.status_port}",
        cache_dir=CACHE_DIR,
        temp_dir=TEMP_DIR,
        pid_path=f"{TEMP_DIR}/nginx.pid",
        access_log="/dev/stdout",
        error_log="stderr",
    )


def tcp_probe(port: str, *, period: int) -> dict[str, Any]:
    return {"tcpSocket": {"port": port}, "periodSeconds": period, "timeoutSeconds": 2, "failureThreshold": 3}


class NginxCdn(pulumi.ComponentResource):
    """NGINX caching the origin service's static content, scaled by CPU."""

    service: str
    host: str
    port: int
    sample_paths: list[str]
    config_text: str

    def __init__(
        self,
        name: str,
        *,
        namespace: str,
        cdn: CdnSettings,
        origin: str,
        scaling: ScalingSettings,
        monitoring_namespace: str,
        metrics_log_image: str | None = None,
        strict_spread: bool,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("technovastore:cdn:NginxCdn", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self._name, self._cdn, self._metrics_log_image = name, cdn, metrics_log_image
        self.config_text = render_nginx_conf(
            cdn,
            pod_layout(cdn, origin, service_names(name, namespace), metrics_log=bool(metrics_log_image)),
        )
        files = {CONFIG_FILE: self.config_text}
        if metrics_log_image:
            files[PROGRAM_FILE] = render_mtail_program()
        metadata = {"name": name, "namespace": namespace, "labels": self._labels()}
        # Named after its content (components/kubernetes/checksums.py): a new config is a new
        # ConfigMap the Deployment rolls onto; the old one goes once the rollout is done.
        config_map_name = content_named(f"{name}-nginx", files)
        config_map = k8s.core.v1.ConfigMap(
            f"{name}-config",
            metadata={**metadata, "name": config_map_name},
            data=files,
            immutable=True,
            opts=child,
        )
        deployment = k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata=metadata,
            spec=hpa_owned_deployment_spec(
                name,
                pod_metadata={"labels": self._labels(**{TIER_LABEL: TIER})},
                pod_spec=self._pod_spec(config_map_name, strict_spread),
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[config_map]),
        )
        k8s.core.v1.Service(
            f"{name}-service",
            metadata=metadata,
            spec={
                "type": "ClusterIP",
                "selector": selector_labels(name),
                "ports": [
                    {"name": "http", "port": cdn.port, "targetPort": "http", "protocol": "TCP"},
                    {
                        "name": "metrics",
                        "port": cdn.exporter_port,
                        "targetPort": "metrics",
                        "protocol": "TCP",
                    },
                ],
            },
            opts=child,
        )
        k8s.autoscaling.v2.HorizontalPodAutoscaler(
            f"{name}-hpa",
            metadata=metadata,
            spec=self._hpa_spec(scaling),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[deployment]),
        )
        k8s.policy.v1.PodDisruptionBudget(
            f"{name}-pdb",
            metadata=metadata,
            spec=disruption_budget_spec(name, cdn.min_replicas),
            opts=child,
        )
        k8s.networking.v1.NetworkPolicy(
            f"{name}-ingress",
            metadata={**metadata, "name": f"allow-ingress-to-{name}"},
            spec=self._ingress_policy(monitoring_namespace),
            opts=child,
        )
        self.service = name
        self.host = service_host(name, namespace)
        self.port = cdn.port
        self.sample_paths = list(cdn.sample_static_urls)
        self.register_outputs({"host": self.host, "port": self.port, "sample_paths": self.sample_paths})

    @property
    def sample_urls(self) -> list[str]:
        return [f"http://{self.host}:{self.port}{path}" for path in self.sample_paths]

    def endpoint(self) -> dict[str, Any]:
        """What the post-deploy checks connect to (the ``endpoints.cdn`` stack output)."""
        return {
            "host": self.host,
            "port": self.port,
            "healthPath": HEALTH_PATH,
            "samplePaths": self.sample_paths,
            "sampleUrls": self.sample_urls,
        }

    def _labels(self, **extra: str) -> dict[str, str]:
        return labels(self._name, TIER, version=parse_image_reference(self._cdn.image).tag, **extra)

    def _pod_spec(self, config_map_name: str, strict_spread: bool) -> dict[str, Any]:
        cdn = self._cdn
        cache_mb = int(cdn.cache_size_mb * CACHE_VOLUME_HEADROOM)
        image = self._metrics_log_image
        metrics_log = [metrics_log_container(image, cdn.exporter_resources)] if image else []
        return {
            "automountServiceAccountToken": False,
            "securityContext": pod_security_context(),
            "terminationGracePeriodSeconds": 30,
            "topologySpreadConstraints": topology_spread(
                selector_labels(self._name), strict_hostname=strict_spread
            ),
            "containers": [self._nginx_container(), self._exporter_container(), *metrics_log],
            "volumes": [
                {
                    "name": "config",
                    "configMap": {
                        "name": config_map_name,
                        "items": [{"key": CONFIG_FILE, "path": CONFIG_FILE}],
                    },
                },
                {"name": "cache", "emptyDir": {"sizeLimit": f"{cache_mb}Mi"}},
                {"name": "temp", "emptyDir": {"sizeLimit": f"{TEMP_VOLUME_MB}Mi"}},
                *([program_volume(config_map_name)] if metrics_log else []),
            ],
        }

    def _nginx_container(self) -> dict[str, Any]:
        cdn = self._cdn
        return {
            "name": "nginx",
            "image": cdn.image,
            "imagePullPolicy": "IfNotPresent",
            # Straight to nginx: the image's entrypoint scripts would try to edit /etc.
            "command": ["nginx", "-c", f"{CONFIG_DIR}/{CONFIG_FILE}"],
            "ports": [{"name": "http", "containerPort": cdn.port, "protocol": "TCP"}],
            "resources": cdn.resources.model_dump(),
            "startupProbe": http_probe(HEALTH_PATH, "http", period=2, failures=30),
            "readinessProbe": http_probe(HEALTH_PATH, "http", period=5, failures=3),
            # Liveness only asks whether NGINX accepts connections: a restart cannot fix more.
            "livenessProbe": tcp_probe("http", period=10),
            # Let the Service drop this pod before NGINX stops taking connections.
            "lifecycle": {"preStop": {"exec": {"command": ["sleep", "5"]}}},
            "securityContext": container_security_context(),
            "volumeMounts": [
                {"name": "config", "mountPath": CONFIG_DIR, "readOnly": True},
                {"name": "cache", "mountPath": CACHE_DIR},
                {"name": "temp", "mountPath": TEMP_DIR},
            ],
        }

    def _exporter_container(self) -> dict[str, Any]:
        cdn = self._cdn
        return {
            "name": "exporter",
            "image": cdn.exporter_image,
            "imagePullPolicy": "IfNotPresent",
            "args": [
                f"--nginx.scrape-uri=http://127.0.0.1:{cdn.status_port}{STATUS_PATH}",
                f"--web.listen-address=:{cdn.exporter_port}",
            ],
            "ports": [{"name": "metrics", "containerPort": cdn.exporter_port, "protocol": "TCP"}],
            "resources": cdn.exporter_resources.model_dump(),
            "readinessProbe": http_probe("/metrics", "metrics", period=10, failures=3),
            "livenessProbe": tcp_probe("metrics", period=20),
            "securityContext": container_security_context(),
        }

    def _hpa_spec(self, scaling: ScalingSettings) -> dict[str, Any]:
        cdn = self._cdn
        return {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": self._name},
            "minReplicas": cdn.min_replicas,
            "maxReplicas": cdn.max_replicas,
            # NGINX's memory is its fixed shared zones: CPU is what grows with traffic.
            "metrics": [utilization_metric("cpu", scaling.scale_up.cpu_percent)],
            "behavior": hpa_behavior(scaling),
        }

    def _ingress_policy(self, monitoring_namespace: str) -> dict[str, Any]:
        monitoring = namespace_peer(monitoring_namespace)
        metrics_ports = ["metrics", *([METRICS_PORT_NAME] if self._metrics_log_image else [])]
        return {
            "podSelector": {"matchLabels": {TIER_LABEL: TIER}},
            "policyTypes": ["Ingress"],
            "ingress": [
                # The public entry tier: whatever fronts the cluster (ingress, load balancer).
                {"ports": [{"protocol": "TCP", "port": "http"}]},
                {
                    "from": [monitoring],
                    "ports": [{"protocol": "TCP", "port": port} for port in metrics_ports],
                },
            ],
        }
