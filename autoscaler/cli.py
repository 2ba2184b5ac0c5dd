"""``python -m autoscaler``: the Swarm autoscaler with the Kubernetes HPA's semantics.

Exit codes: 0 ran (``--once``: a full cycle, every service decided; otherwise stopped by
SIGTERM/SIGINT), 1 ``--once`` and a cycle was skipped or a service could not be decided or
scaled, 2 could not run (bad arguments or stack settings, no Engine to talk to).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from types import FrameType

import docker

from autoscaler.controller import Controller, ControllerConfig
from autoscaler.engine import SwarmEngine
from autoscaler.labels import ServiceRules
from autoscaler.observability import AutoscalerMetrics, configure_logging, log
from autoscaler.replicas import (
    CPU_INITIALIZATION_PERIOD_SECONDS,
    DOWNSCALE_STABILIZATION_WINDOW_SECONDS,
    INITIAL_READINESS_DELAY_SECONDS,
)
from autoscaler.sources import EngineStatsSource, MetricSource, ProbeSource, PrometheusSource
from autoscaler.status_server import Health, serve

EXIT_OK, EXIT_FAILED, EXIT_COULD_NOT_RUN = 0, 1, 2
DEFAULT_QUERY = 'http_request_duration_p95_milliseconds{{service="{service}"}}'


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m autoscaler",
        description="Scale Docker Swarm services as the Kubernetes HPA would: CPU and memory "
        "utilization of each task's reservation, response time; tolerance, behavior policies, "
        "stabilization windows. Services opt in with the technovastore.io/autoscale labels.",
        epilog="Exit: 0 ok, 1 --once and a service could not be decided or scaled, 2 could not run.",
    )
    p.add_argument("--docker-host", default=os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock"))
    p.add_argument("--interval", type=float, default=15.0, help="seconds between cycles (the HPA's 15 s)")
    p.add_argument("--once", action="store_true", help="run one cycle and exit")
    p.add_argument("--dry-run", action="store_true", help="decide and log, never change a service")
    p.add_argument("--stack", help="read the rules from Pulumi.<stack>.yaml instead of the service labels")
    p.add_argument("--namespace", help="only services of this stack (label com.docker.stack.namespace)")
    p.add_argument("--service", action="append", default=[], help="only this service (repeatable)")
    p.add_argument("--prometheus-url", help="read response times from this Prometheus (else probe)")
    p.add_argument("--response-time-query", default=DEFAULT_QUERY, help="PromQL, {service} is filled in")
    p.add_argument("--probe-timeout", type=float, default=2.0, help="seconds a health probe may take")
    p.add_argument("--api-timeout", type=float, default=10.0, help="seconds an Engine API call may take")
    p.add_argument("--cpu-sample-seconds", type=float, default=1.0, help="CPU window for new containers")
    p.add_argument("--cpu-initialization-period", type=float, default=CPU_INITIALIZATION_PERIOD_SECONDS)
    p.add_argument("--initial-readiness-delay", type=float, default=INITIAL_READINESS_DELAY_SECONDS)
    p.add_argument(
        "--downscale-stabilization",
        type=float,
        default=DOWNSCALE_STABILIZATION_WINDOW_SECONDS,
        help="seconds of scale-down window for a service labelled without a behavior",
    )
    p.add_argument("--metrics-port", type=int, default=0, help="serve /metrics and /healthz here (0: off)")
    p.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    return p


class CouldNotRun(Exception):
    pass


def _stack_rules(stack: str) -> dict[str, ServiceRules]:
    """The rules by Swarm service name, from the stack settings (imported only for --stack)."""
    from autoscaler.settings_source import stack_rules
    from components.settings import SettingsError, load_settings
    from components.settings.stack_file import StackConfigError, read_stack_config

    try:
        settings = load_settings(read_stack_config(stack).values, stack)
    except (SettingsError, StackConfigError) as error:
        raise CouldNotRun(str(error)) from error
    from components.swarm.conventions import swarm_name

    return {swarm_name(settings, name): rules for name, rules in stack_rules(settings).items()}


def build(args: argparse.Namespace) -> tuple[Controller, AutoscalerMetrics]:
    if args.interval <= 0 or args.probe_timeout <= 0 or args.api_timeout <= 0:
        raise CouldNotRun("--interval, --probe-timeout and --api-timeout must be positive")
    if args.downscale_stabilization < 0:
        raise CouldNotRun("--downscale-stabilization must be 0 or more")
    client = docker.DockerClient(base_url=args.docker_host, timeout=args.api_timeout, version="1.41")
    engine = SwarmEngine(client)
    sources: list[MetricSource] = [EngineStatsSource(engine, sample_seconds=args.cpu_sample_seconds)]
    if args.prometheus_url:
        sources.append(PrometheusSource(args.prometheus_url, args.response_time_query))
    else:
        sources.append(ProbeSource(timeout=args.probe_timeout))
    config = ControllerConfig(
        dry_run=args.dry_run,
        cpu_initialization_period=args.cpu_initialization_period,
        initial_readiness_delay=args.initial_readiness_delay,
        downscale_stabilization_window=args.downscale_stabilization,
        rules=_stack_rules(args.stack) if args.stack else None,
        namespace=args.namespace,
        services=frozenset(args.service),
    )
    metrics = AutoscalerMetrics()
    return Controller(engine, sources, metrics, config), metrics


def run(controller: Controller, health: Health, interval: float, stop: threading.Event) -> None:
    """Cycle every ``interval`` seconds until ``stop`` is set (checked between cycles)."""
    while not stop.is_set():
        started = time.monotonic()
        report = controller.cycle()
        if report.outcome == "ok":
            health.cycle_ok()
        stop.wait(max(0.0, interval - (time.monotonic() - started)))


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = parser().parse_args(argv)
    except SystemExit as exit_:
        return EXIT_OK if exit_.code == 0 else EXIT_COULD_NOT_RUN
    configure_logging(args.log_level)
    try:
        controller, metrics = build(args)
    except (CouldNotRun, docker.errors.DockerException) as error:
        print(f"autoscaler: could not run: {error}", file=sys.stderr)
        return EXIT_COULD_NOT_RUN
    if args.once:
        report = controller.cycle()
        if report.outcome != "ok":
            return EXIT_COULD_NOT_RUN if not report.decisions else EXIT_FAILED
        return EXIT_FAILED if report.failures else EXIT_OK
    health = Health(stale_after=max(3 * args.interval, 30.0))
    if args.metrics_port:
        serve(args.metrics_port, metrics, health)
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        log(logging.INFO, "stopping", reason=f"signal {signum}; after the current cycle")
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    log(logging.INFO, "started", docker_host=args.docker_host, interval=args.interval, dry_run=args.dry_run)
    run(controller, health, args.interval, stop)
    log(logging.INFO, "stopped")
    return EXIT_OK
