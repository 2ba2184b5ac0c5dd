"""The CDN's request metrics: NGINX's metrics log line and the mtail program that counts it.

stub_status (the nginx exporter) knows connections and a request total, nothing about
status codes or the cache. So each NGINX also sends one short line per request as syslog over
UDP to an mtail sidecar on loopback, which turns the lines into Prometheus counters and
histograms. UDP because a log reader that is slow or gone must never stall NGINX: a lost
datagram costs one sample, a blocked write would cost requests.

Pure: the NGINX directives and the mtail program are text; the renderer of nginx.conf and the
platforms' components use them, and the integration tests run the very same text.
"""

from __future__ import annotations

# Where mtail listens for NGINX's lines (UDP, loopback inside the pod or task) and serves metrics.
SYSLOG_PORT = 5140
METRICS_PORT = 3903
METRICS_PORT_NAME = "log-metrics"
PROGRAM_FILE = "cdn.mtail"
# Where the metrics reader's container finds the program (mtail loads every program there).
PROGRAM_DIR = "/etc/mtail"
LOG_FORMAT = "cdn_metrics"
# NGINX logs an empty variable as "-"; this map gives requests that never touched the cache
# (the health check, 405s, 429s) a readable cache_status instead.
CACHE_STATUS_VARIABLE = "$cdn_cache_status"
SYSLOG_TAG = "cdn"
# Seconds: from a cached answer (sub-millisecond) to the origin read timeout.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


def nginx_metrics_log(syslog_address: str) -> list[str]:
    """The http-level NGINX directives that send one metrics line per request to mtail.

    The fields are separated by ``|``: ``$upstream_status`` and ``$upstream_response_time``
    list every upstream tried ("502, 200"), so they come last and only their first value is read.
    """
    fields = [
        "$status",
        CACHE_STATUS_VARIABLE,
        "$request_time",
        "$bytes_sent",
        "$upstream_status",
        "$upstream_response_time",
    ]
    return [
        f"map $upstream_cache_status {CACHE_STATUS_VARIABLE} {{",
        '    "" NONE;',
        "    default $upstream_cache_status;",
        "}",
        # A syslog message has no line end, but mtail reads lines: end each one explicitly.
        f"log_format {LOG_FORMAT} '{'|'.join(fields)}\\n';",
        f"access_log syslog:server={syslog_address},tag={SYSLOG_TAG},nohostname {LOG_FORMAT};",
    ]


def mtail_args(program_dir: str, *, syslog_address: str, listen_address: str, port: int) -> list[str]:
    """mtail's command line, the same in a pod and in the tests."""
    return [
        f"--progs={program_dir}",
        f"--logs=udp://{syslog_address}",
        f"--address={listen_address}",
        f"--port={port}",
        "--logtostderr",
        # mtail 3.0 takes one datagram per wake-up of its reader: at the default 250 ms it
        # loses all but a few lines a second. Every millisecond it kept up with NGINX bursts
        # (400 of 400 lines in 0.6 s); later releases read on without waiting while lines come.
        "--poll_interval=1ms",
    ]


def render_mtail_program() -> str:
    """The mtail program: requests by status and cache status, bytes, latencies, origin errors."""
    buckets = ", ".join(str(bucket) for bucket in LATENCY_BUCKETS)
    line = (
        rf"/ {SYSLOG_TAG}: (?P<status>\d{{3}})\|(?P<cache_status>[A-Z]+)\|(?P<request_seconds>\d+\.\d+)"
        r"\|(?P<bytes>\d+)\|(?P<upstream>.*)$/"
    )
    return "\n".join(
        [
            "# Rendered from the stack's settings: counts NGINX's cdn_metrics log lines.",
            "counter cdn_requests_total by status, cache_status",
            "counter cdn_response_bytes_total by cache_status",
            # No labels: a labelled counter appears only at its first increment, and Prometheus'
            # rate() never sees that first jump; this one is exported (at 0) from the start.
            "counter cdn_upstream_errors_total",
            f"histogram cdn_request_duration_seconds buckets {buckets}",
            f"histogram cdn_upstream_duration_seconds buckets {buckets}",
            "",
            f"{line} {{",
            "  cdn_requests_total[$status][$cache_status]++",
            "  cdn_response_bytes_total[$cache_status] += $bytes",
            "  cdn_request_duration_seconds = $request_seconds",
            # Only requests that reached the origin have an upstream status and time.
            r"  $upstream =~ /^(?P<upstream_status>\d{3})[^|]*\|(?P<upstream_seconds>\d+\.\d+)/ {",
            "    cdn_upstream_duration_seconds = $upstream_seconds",
            "    $upstream_status =~ /^5/ {",
            "      cdn_upstream_errors_total++",
            "    }",
            "  }",
            "}",
            "",
        ]
    )
