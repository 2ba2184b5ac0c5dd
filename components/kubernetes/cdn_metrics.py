"""The CDN pod's log-to-metrics sidecar: mtail counting NGINX's per-request lines (see
``components/render/cdn_metrics.py`` for why a sidecar and why UDP)."""

from __future__ import annotations

from typing import Any

from components.kubernetes.conventions import container_security_context, http_probe
from components.render.cdn_metrics import (
    METRICS_PORT,
    METRICS_PORT_NAME,
    PROGRAM_DIR,
    PROGRAM_FILE,
    SYSLOG_PORT,
    mtail_args,
)
from components.settings.services import ComputeResources

PROGRAM_VOLUME = "mtail-program"
SYSLOG_ADDRESS = f"127.0.0.1:{SYSLOG_PORT}"


def metrics_log_container(image: str, resources: ComputeResources) -> dict[str, Any]:
    return {
        "name": "log-metrics",
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "args": mtail_args(
            PROGRAM_DIR, syslog_address=SYSLOG_ADDRESS, listen_address="0.0.0.0", port=METRICS_PORT
        ),
        "ports": [{"name": METRICS_PORT_NAME, "containerPort": METRICS_PORT, "protocol": "TCP"}],
        "resources": resources.model_dump(),
        "readinessProbe": http_probe("/metrics", METRICS_PORT_NAME, period=10, failures=3),
        "livenessProbe": {
            "tcpSocket": {"port": METRICS_PORT_NAME},
            "periodSeconds": 20,
            "failureThreshold": 3,
        },
        "securityContext": container_security_context(),
        "volumeMounts": [{"name": PROGRAM_VOLUME, "mountPath": PROGRAM_DIR, "readOnly": True}],
    }


def program_volume(config_map_name: Any) -> dict[str, Any]:
    """Only the program from the CDN's ConfigMap: mtail loads every program in its folder."""
    return {
        "name": PROGRAM_VOLUME,
        "configMap": {"name": config_map_name, "items": [{"key": PROGRAM_FILE, "path": PROGRAM_FILE}]},
    }
