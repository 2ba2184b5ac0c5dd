"""``python -m checks``: prove a deployed stack works; exit 0 ok, 1 a check failed, 2 could not run."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import websocket
from rich.console import Console

from checks import kubernetes
from checks.dialer import dialing_through
from checks.inputs import PASSWORD_ENV, USERNAME_ENV, Targets, resolve
from checks.model import EXIT_COULD_NOT_RUN, CouldNotRun, exit_code
from checks.port_forward import PortForwarder
from checks.report import redact, render_json, render_junit, render_table
from checks.suite import run_checks


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m checks",
        description="Post-deploy checks: Redis Cluster formation, Sentinel quorum, cache hit ratio, "
        "the CDN and the Kubernetes objects of a stack.",
        epilog=f"The Redis password comes from {PASSWORD_ENV} or the stack outputs ({USERNAME_ENV} "
        "names the ACL user, default admin). Exit: 0 passed (warnings allowed), 1 a check failed, "
        "2 could not run.",
    )
    source = parser.add_argument_group("where to look")
    source.add_argument(
        "--stack", help="the stack (outputs via `pulumi stack output`, thresholds from its settings)"
    )
    source.add_argument(
        "--outputs", type=Path, help="the stack outputs as JSON (`pulumi stack output --json`)"
    )
    source.add_argument("--redis-cluster", metavar="HOST:PORT,...", help="Redis Cluster nodes (seeds)")
    source.add_argument("--sentinel", metavar="HOST:PORT,...", help="the Sentinels")
    source.add_argument("--sentinel-master", metavar="NAME", help="the master name the Sentinels monitor")
    source.add_argument("--cdn", metavar="URL", help="the CDN's base URL")
    source.add_argument(
        "--cdn-path", action="append", metavar="PATH", help="a static sample path (repeatable)"
    )
    source.add_argument(
        "--cache-metrics",
        metavar="URL,...",
        help="metrics endpoints of the services (the cache manager's counters): the application hit ratio",
    )
    source.add_argument("--namespace", help="the Kubernetes namespace (default: the 'namespace' output)")
    source.add_argument(
        "--kube-context",
        help="the kubeconfig context (default: the stack's kubernetes:context, else the current one)",
    )
    source.add_argument(
        "--port-forward",
        action="store_true",
        help="reach every pod through the Kubernetes API (like kubectl port-forward): for runs outside the "
        "cluster, such as CI; needs a kubeconfig and the namespace",
    )
    source.add_argument("--redis-user", help=f"the Redis ACL user (default: ${USERNAME_ENV} or admin)")
    expect = parser.add_argument_group("what to expect (default: outputs, then stack settings)")
    expect.add_argument("--masters", type=int, help="Redis Cluster masters")
    expect.add_argument("--replicas-per-master", type=int, help="replicas of each master")
    expect.add_argument("--sentinel-replicas", type=int, help="replicas of the Sentinel-monitored primary")
    expect.add_argument("--min-hit-ratio", type=float, help="minimum keyspace hit ratio (settings: 0.85)")
    expect.add_argument(
        "--min-lookups", type=int, help="fewer lookups than this: insufficient traffic (warning)"
    )
    expect.add_argument("--cdn-min-hit-ratio", type=float, help="minimum HIT ratio over the CDN samples")
    expect.add_argument(
        "--max-replica-lag",
        type=int,
        metavar="SECONDS",
        help="a replica further behind its master fails (settings: 10)",
    )
    expect.add_argument(
        "--window", type=float, metavar="SECONDS", help="hit ratio over this window, not since start"
    )
    run = parser.add_argument_group("how to run")
    run.add_argument(
        "--timeout", type=float, default=10.0, help="bound on the whole run, seconds (default 10)"
    )
    run.add_argument("--call-timeout", type=float, default=2.0, help="bound on each network call (default 2)")
    run.add_argument("--format", choices=("table", "json", "junit"), default="table")
    run.add_argument("--output", type=Path, help="write the JSON or JUnit report here instead of stdout")
    return parser


@contextmanager
def connections(targets: Targets, *, port_forward: bool, timeout: float) -> Iterator[None]:
    """Direct connections, or (``--port-forward``) every one through the Kubernetes API."""
    if not port_forward:
        yield
        return
    if not targets.namespace:
        raise CouldNotRun("--port-forward needs the namespace (stack output 'namespace' or --namespace)")
    missing = kubernetes.kubeconfig_missing()
    try:
        if missing:
            raise kubernetes.NoKubeconfig(missing)
        api = kubernetes.load_client(targets.kube_context)
    except kubernetes.NoKubeconfig as error:
        raise CouldNotRun(f"--port-forward needs a kubeconfig: {error}") from None
    # The client opens each port-forward WebSocket with the library's default timeout (none):
    # bound it like every other network call.
    previous_timeout = websocket.getdefaulttimeout()
    websocket.setdefaulttimeout(timeout)
    try:
        with dialing_through(PortForwarder(api, targets.namespace, timeout)):
            yield
    finally:
        websocket.setdefaulttimeout(previous_timeout)
        api.close()


def could_not_run(message: str) -> int:
    # Plain text on one line: CI logs and grep see the whole message.
    sys.stderr.write(f"checks: could not run: {message}\n")
    return EXIT_COULD_NOT_RUN


def main(argv: list[str] | None = None) -> int:
    options = parser().parse_args(argv)
    if options.window is not None and options.window >= options.timeout:
        return could_not_run(
            f"--window ({options.window:g} s) must be shorter than --timeout ({options.timeout:g} s)"
        )
    try:
        targets = resolve(options)
        with connections(targets, port_forward=options.port_forward, timeout=options.call_timeout):
            results = run_checks(targets, timeout=options.timeout, call_timeout=options.call_timeout)
    except CouldNotRun as error:
        return could_not_run(str(error))
    results = redact(results, [targets.credentials.password or ""])
    code = exit_code(results)
    if options.format == "table":
        # Wide enough for the details when not on a terminal (CI logs).
        console = Console() if sys.stdout.isatty() else Console(width=180)
        render_table(results, console, targets.stack)
        return code
    text = (
        render_json(results, targets.stack, code)
        if options.format == "json"
        else render_junit(results, targets.stack)
    )
    if options.output:
        options.output.parent.mkdir(parents=True, exist_ok=True)
        options.output.write_text(text + "\n")
    else:
        sys.stdout.write(text + "\n")
    return code
