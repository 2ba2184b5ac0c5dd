"""Grafana's provisioning files for the stacks that run their own Grafana (Swarm, dev).

Pure: Prometheus' address and the dashboards in, file texts out. Grafana reads
``<provisioning>/datasources/*.yaml`` and ``<provisioning>/dashboards/*.yaml`` at start
(apiVersion 1, the shapes of pkg/services/provisioning/{datasources,dashboards}/types.go);
the dashboard provider then loads every JSON file in its ``options.path``.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

# The grafana/grafana image's GF_PATHS_PROVISIONING.
PROVISIONING_DIR = "/etc/grafana/provisioning"
DASHBOARDS_DIR = "/etc/grafana/dashboards/technovastore"
DATASOURCE_FILE = f"{PROVISIONING_DIR}/datasources/technovastore.yaml"
PROVIDER_FILE = f"{PROVISIONING_DIR}/dashboards/technovastore.yaml"
DATASOURCE_UID = "prometheus"
FOLDER = "TechNovaStore"


def render_datasource(prometheus_url: str, scrape_interval_seconds: int) -> str:
    """The stack's Prometheus as the default (and read-only) data source."""
    document = {
        "apiVersion": 1,
        "datasources": [
            {
                "name": "Prometheus",
                "uid": DATASOURCE_UID,
                "type": "prometheus",
                # Grafana's server asks Prometheus (inside the stack's network), not the browser.
                "access": "proxy",
                "url": prometheus_url,
                "isDefault": True,
                "editable": False,
                # Panels never ask for steps finer than the samples Prometheus keeps.
                "jsonData": {"timeInterval": f"{scrape_interval_seconds}s", "httpMethod": "POST"},
            }
        ],
    }
    return yaml.safe_dump(document, sort_keys=False)


def render_dashboard_provider() -> str:
    """One file provider for the stack's dashboards; changes come from the program, not the UI."""
    document = {
        "apiVersion": 1,
        "providers": [
            {
                "name": "technovastore",
                "type": "file",
                "folder": FOLDER,
                "disableDeletion": True,
                "allowUiUpdates": False,
                "updateIntervalSeconds": 30,
                "options": {"path": DASHBOARDS_DIR, "foldersFromFilesStructure": False},
            }
        ],
    }
    return yaml.safe_dump(document, sort_keys=False)


def dashboard_file(name: str) -> str:
    return f"{DASHBOARDS_DIR}/{name}.json"


def render_dashboard_json(model: dict[str, Any]) -> str:
    return json.dumps(model, indent=2, sort_keys=True)
