"""A stand-in for kube-state-metrics and cAdvisor: the only metrics here not from a real server.

Both need a Kubernetes API server and a kubelet, which cannot run on our build machines. The
stand-in serves one series for every selector the rules and dashboards use, but only under
names that kube-state-metrics and cAdvisor document (the lists in
``tests/monitoring/upstream/``, copied from their repositories): a misspelt name is refused
here, so it still fails the test that every query returns data.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import promql_parser

UPSTREAM = Path(__file__).resolve().parents[1] / "monitoring" / "upstream"
# What a healthy deployment shows: two replicas of ten, a quarter core requested; every other
# series (waiting reasons, false conditions, restarts) is 0.
HEALTHY_VALUES = {
    "kube_horizontalpodautoscaler_spec_max_replicas": 10.0,
    "kube_horizontalpodautoscaler_spec_min_replicas": 2.0,
    "kube_horizontalpodautoscaler_status_current_replicas": 2.0,
    "kube_horizontalpodautoscaler_status_desired_replicas": 2.0,
    "kube_pod_container_resource_requests": 0.25,
}


def documented_names() -> set[str]:
    """Metric names kube-state-metrics and cAdvisor document."""
    names: set[str] = set()
    for path in (UPSTREAM / "kube-state-metrics.txt", UPSTREAM / "cadvisor.txt"):
        for line in path.read_text().splitlines():
            if line and not line.startswith("#"):
                names.add(line.split()[0])
    return names


def is_kubernetes_metric(name: str) -> bool:
    return name.startswith(("kube_", "container_"))


def _label_value(matcher: promql_parser.Matcher) -> str:
    """A value that satisfies ``matcher`` for the matcher forms the rules and dashboards use."""
    op = str(matcher.op)
    if op.endswith("Equal") and not op.endswith("NotEqual"):
        return str(matcher.value)
    if op.endswith("NotEqual") and matcher.value == "":
        return "app"
    if op.endswith("Re") and not op.endswith("NotRe"):
        prefix = re.match(r"^([\w-]*)\.\*$", str(matcher.value))
        if prefix:
            return prefix[1] + "0"
    raise ValueError(f"the stand-in cannot satisfy the matcher {matcher}")


def exposition(selectors: list[str]) -> str:
    """Prometheus text format: one series per selector, labelled to match it."""
    documented = documented_names()
    lines = []
    for selector in selectors:
        parsed = promql_parser.parse(selector)
        if not isinstance(parsed, promql_parser.VectorSelector):
            raise ValueError(f"{selector} is not a series selector")
        name = str(parsed.name)
        if name not in documented:
            raise ValueError(f"{name} is neither a kube-state-metrics nor a cAdvisor metric")
        labels = {
            str(m.name): _label_value(m)
            for m in parsed.matchers.matchers
            if str(m.name) not in {"__name__", "job"}
        }
        text = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
        lines.append(f"{name}{{{text}}} {HEALTHY_VALUES.get(name, 0.0):g}")
    return "\n".join(sorted(set(lines))) + "\n"


@contextmanager
def kubernetes_metrics_standin(selectors: list[str]) -> Iterator[int]:
    """Serve ``exposition(selectors)`` on a free loopback port; yields the port."""
    body = exposition(selectors).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
