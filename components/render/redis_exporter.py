"""redis_exporter watching many Redis servers from one process (its ``/scrape?target=`` mode).

Where no sidecar can run beside each server (a Swarm task is one container), one exporter
serves every member: Prometheus passes each member as ``target``, and the exporter logs in
with the password its password file maps that target to. The file is a Swarm secret; the
target must be written exactly as the file's key, so both come from ``exporter_target``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from components.render.redis_layout import METRICS_USER

SCRAPE_PATH = "/scrape"
HEALTH_PATH = "/health"


def exporter_target(host: str, port: int) -> str:
    return f"redis://{host}:{port}"


def render_password_map(targets: Sequence[str], password: str) -> str:
    """The exporter's password file (``REDIS_PASSWORD_FILE``): JSON, target -> password."""
    return json.dumps({target: password for target in targets}, sort_keys=True)


def multi_target_env(password_file: str, port: int) -> dict[str, str]:
    """The exporter's settings as its own environment variables (no credential among them)."""
    return {
        "REDIS_USER": METRICS_USER,
        "REDIS_PASSWORD_FILE": password_file,
        "REDIS_EXPORTER_WEB_LISTEN_ADDRESS": f":{port}",
    }
