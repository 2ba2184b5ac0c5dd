"""How long ``python -m preview`` takes: production as configured, and with 100 extra services.

Wall time of the whole command (interpreter start, program, schemas, policy pack, --out), the
way a contributor or CI runs it. Goals: production within 3 s, with 100 extra services within
10 s, growing roughly linearly with the number of services. Beside them, production diffed
against its own rendering (``--against``, engine pairing, replace rules, dangers): what the
diff adds.

Beside it, the same CLI started without what ``preview/__main__.py`` adds (the Cloudflare
package body deferred, the collector's threshold raised): what those two are worth.
"""

from __future__ import annotations

import copy
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from components.settings.stack_file import PROJECT_ROOT
from tests.bench import goal

EXTRA_SERVICES = 100
RUNS = 3
COMMAND = ["-m", "preview"]
# preview.cli.main as a plain import: every Cloudflare module loaded, the collector as it comes.
PLAIN_COMMAND = ["-c", "import sys; from preview.cli import main; sys.exit(main())"]
PROJECT_KEY = "technovastore-scaling:services"


def config_with_extra_services(count: int) -> dict[str, Any]:
    """Production's config plus ``count`` backend services shaped like product-service."""
    document = yaml.safe_load((PROJECT_ROOT / "Pulumi.production.yaml").read_text())
    services = document["config"][PROJECT_KEY]
    template = services["product-service"]
    for index in range(count):
        service = copy.deepcopy(template)
        service["image"] = f"ghcr.io/technovastore/extra-{index:03d}:1.0.{index}"
        service["port"] = 4000 + index
        services[f"extra-{index:03d}"] = service
    return document


def _child_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def preview_seconds(*args: str, command: list[str] = COMMAND) -> tuple[float, float, int]:
    """Median wall and CPU time of RUNS previews (each writes --out), and the last exit code.

    CPU time is reported beside wall time: on a shared machine the wall time includes waiting.
    """
    walls, cpus, code = [], [], 0
    for _ in range(RUNS):
        with tempfile.TemporaryDirectory() as out:
            cpu_before, started = _child_cpu_seconds(), time.perf_counter()
            result = subprocess.run(
                [sys.executable, *command, "--stack", "production", "--out", out, *args],
                cwd=PROJECT_ROOT,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            walls.append(time.perf_counter() - started)
            cpus.append(_child_cpu_seconds() - cpu_before)
            code = result.returncode
            if code == 2:
                raise RuntimeError(f"the preview could not run: {result.stderr.strip()}")
    return statistics.median(walls), statistics.median(cpus), code


def run() -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    production, production_cpu, production_exit = preview_seconds()
    plain, plain_cpu, _ = preview_seconds(command=PLAIN_COMMAND)
    with tempfile.TemporaryDirectory() as base:
        # The previews below write into their own folders; this one is the base they diff against.
        subprocess.run(
            [sys.executable, *COMMAND, "--stack", "production", "--out", base],
            cwd=PROJECT_ROOT, capture_output=True, timeout=300, check=True,
        )  # fmt: skip
        diffed, diffed_cpu, diffed_exit = preview_seconds("--against", base, "--strict")
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "Pulumi.production.yaml"
        config.write_text(yaml.safe_dump(config_with_extra_services(EXTRA_SERVICES)))
        extra, extra_cpu, extra_exit = preview_seconds("--config-file", str(config))
    base_services = len(
        yaml.safe_load((PROJECT_ROOT / "Pulumi.production.yaml").read_text())["config"][PROJECT_KEY]
    )
    per_extra_service = (extra_cpu - production_cpu) / EXTRA_SERVICES
    return {
        "runs_per_figure": RUNS,
        "production_seconds": round(production, 2),
        "production_cpu_seconds": round(production_cpu, 2),
        "production_exit_code": production_exit,
        "production_plain_import_seconds": round(plain, 2),
        "production_plain_import_cpu_seconds": round(plain_cpu, 2),
        "speedup_over_plain_import": round(plain / production, 2),
        "production_against_itself_seconds": round(diffed, 2),
        "production_against_itself_cpu_seconds": round(diffed_cpu, 2),
        "production_against_itself_exit_code": diffed_exit,
        f"production_plus_{EXTRA_SERVICES}_services_seconds": round(extra, 2),
        f"production_plus_{EXTRA_SERVICES}_services_cpu_seconds": round(extra_cpu, 2),
        f"production_plus_{EXTRA_SERVICES}_services_exit_code": extra_exit,
        "load_average_1min_before": round(load_before, 2),
        "cpu_seconds_per_extra_service": round(per_extra_service, 4),
        "services": {"production": base_services, "with_extra": base_services + EXTRA_SERVICES},
        "goals": {
            "production_within_3_s": goal(production, "<= 3 s", production <= 3.0),
            f"plus_{EXTRA_SERVICES}_services_within_10_s": goal(extra, "<= 10 s", extra <= 10.0),
        },
    }
