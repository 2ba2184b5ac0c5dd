"""nginx.conf for the CDN tier: a caching reverse proxy in front of one origin service.

Pure: typed settings and a runtime layout (paths, listen addresses, the origin address) in,
text out. The Kubernetes component and the integration tests render the very same text;
only the layout differs.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.render.cdn_metrics import nginx_metrics_log
from components.render.nginx_requests import request_maps
from components.render.nginx_site import (
    CACHE_ZONE,
    CONNECTION_ZONE,
    HEALTH_PATH,
    REQUEST_ZONE,
    UPSTREAM,
    site_server,
    unknown_hosts_server,
)
from components.render.nginx_syntax import block
from components.settings.cdn import CdnSettings, keys_zone_mb

__all__ = [
    "COMPRESSIBLE_TYPES",
    "GZIP_MIN_LENGTH",
    "HEALTH_PATH",
    "STATUS_PATH",
    "NginxLayout",
    "render_nginx_conf",
]

STATUS_PATH = "/stub_status"
# Types worth compressing: text, JSON, JS, CSS, SVG, XML and fonts (text/html is always on).
COMPRESSIBLE_TYPES = (
    "text/plain",
    "text/css",
    "text/xml",
    "text/javascript",
    "application/javascript",
    "application/x-javascript",
    "application/json",
    "application/ld+json",
    "application/manifest+json",
    "application/xml",
    "application/rss+xml",
    "application/atom+xml",
    "image/svg+xml",
    "image/x-icon",
    "font/ttf",
    "font/otf",
    "application/vnd.ms-fontobject",
)
# Bodies shorter than this (bytes) are sent as they are: gzip would gain nothing.
GZIP_MIN_LENGTH = 256


@dataclass(frozen=True)
class NginxLayout:
    """Where this NGINX runs: everything that differs between a pod and a test."""

    origin: str  # host:port of the origin service
    listen: str = "8080"
    status_listen: str = "127.0.0.1:8081"
    cache_dir: str = "/var/cache/nginx/cdn"
    temp_dir: str = "/tmp/nginx"
    pid_path: str = "/tmp/nginx/nginx.pid"
    access_log: str = "/dev/stdout"
    # Batch access-log writes (one write per buffer, at least every second), or None to
    # write each line at once (tests read the log right after a request).
    access_log_buffer: str | None = "64k"
    error_log: str = "stderr"
    # Only meaningful when the master runs as root (local tests as root); pods run as non-root.
    user: str | None = None
    worker_processes: str = "auto"
    brotli_module: str | None = "modules/ngx_http_brotli_filter_module.so"
    # Names this instance is reached by besides the public hostnames (the Service's DNS names).
    local_names: tuple[str, ...] = ()
    # host:port of the log-to-metrics reader (mtail) that gets one line per request, or None.
    metrics_syslog: str | None = None


def _main(settings: CdnSettings, layout: NginxLayout) -> list[str]:
    lines = [
        f"worker_processes {layout.worker_processes};",
        # Two descriptors per proxied request (client and origin), plus cache files.
        f"worker_rlimit_nofile {2 * settings.worker_connections + 1024};",
        # Every request runs the request maps' and the locations' regexes: compile them.
        "pcre_jit on;",
    ]
    if layout.user:
        lines.append(f"user {layout.user};")
    if settings.brotli and layout.brotli_module:
        lines.append(f"load_module {layout.brotli_module};")
    lines += [
        f"pid {layout.pid_path};",
        f"error_log {layout.error_log} warn;",
        # In the foreground: the container runtime (or the test fixture) supervises it.
        "daemon off;",
        "",
        *block("events", [f"worker_connections {settings.worker_connections};"]),
    ]
    return lines


def _limits(settings: CdnSettings, layout: NginxLayout) -> list[str]:
    t = settings.timeouts
    temp = layout.temp_dir
    return [
        "server_tokens off;",
        "default_type application/octet-stream;",
        # Off: cached answers are mostly small, and one read plus one write beats sendfile
        # with TCP_CORK set and cleared around it (measured ~8 % more cached throughput).
        "sendfile off;",
        "tcp_nodelay on;",
        f"keepalive_timeout {t.keepalive_seconds}s;",
        "keepalive_requests 1000;",
        f"client_header_timeout {t.client_header_seconds}s;",
        f"client_body_timeout {t.client_body_seconds}s;",
        f"send_timeout {t.send_seconds}s;",
        "reset_timedout_connection on;",
        # Redirects NGINX makes itself are relative: no internal port or scheme leaks out.
        "absolute_redirect off;",
        # Oversized request lines get 414 and oversized headers 400, never a 5xx.
        "client_header_buffer_size 1k;",
        "large_client_header_buffers 4 8k;",
        f"client_max_body_size {settings.client_max_body_mb}m;",
        "client_body_buffer_size 16k;",
        # A read-only root filesystem: every temporary file goes under the temp volume.
        f"client_body_temp_path {temp}/client_body;",
        f"proxy_temp_path {temp}/proxy;",
        f"fastcgi_temp_path {temp}/fastcgi;",
        f"uwsgi_temp_path {temp}/uwsgi;",
        f"scgi_temp_path {temp}/scgi;",
    ]


def _logging(layout: NginxLayout) -> list[str]:
    fields = {
        "time": "$time_iso8601",
        "remote_addr": "$remote_addr",
        "method": "$request_method",
        "uri": "$request_uri",
        "status": "$status",
        "bytes_sent": "$body_bytes_sent",
        "request_time": "$request_time",
        "upstream_response_time": "$upstream_response_time",
        "cache_status": "$upstream_cache_status",
        "host": "$host",
        # The connection's own address when a trusted proxy named the visitor.
        "peer": "$realip_remote_addr",
        "user_agent": "$http_user_agent",
    }
    numeric = {"status", "bytes_sent", "request_time"}
    buffering = f" buffer={layout.access_log_buffer} flush=1s" if layout.access_log_buffer else ""
    parts = [f'"{key}":{value}' if key in numeric else f'"{key}":"{value}"' for key, value in fields.items()]
    metrics = nginx_metrics_log(layout.metrics_syslog) if layout.metrics_syslog else []
    return [
        "log_format cdn_json escape=json '{" + ",".join(parts) + "}';",
        f"access_log {layout.access_log} cdn_json{buffering};",
        *metrics,
    ]


def _real_ip(settings: CdnSettings) -> list[str]:
    """Behind trusted proxies, $remote_addr is the visitor their header names (rate limits too)."""
    if not settings.real_ip_sources:
        return []
    lines = [f"set_real_ip_from {cidr};" for cidr in settings.real_ip_sources]
    return [*lines, f"real_ip_header {settings.client_address_header};", "real_ip_recursive on;"]


def _compression(settings: CdnSettings) -> list[str]:
    types = " ".join(COMPRESSIBLE_TYPES)
    lines = [
        "gzip on;",
        "gzip_comp_level 5;",
        f"gzip_min_length {GZIP_MIN_LENGTH};",
        "gzip_proxied any;",
        "gzip_vary on;",
        f"gzip_types {types};",
    ]
    if settings.brotli:
        lines += ["brotli on;", "brotli_comp_level 5;", "brotli_min_length 256;", f"brotli_types {types};"]
    return lines


def _cache_and_limits_zones(settings: CdnSettings, layout: NginxLayout) -> list[str]:
    rate = settings.rate_limit
    return [
        f"proxy_cache_path {layout.cache_dir} levels=1:2 "
        f"keys_zone={CACHE_ZONE}:{keys_zone_mb(settings.expected_keys)}m "
        f"max_size={settings.cache_size_mb}m inactive={settings.cache_inactive_seconds}s use_temp_path=off;",
        f"limit_req_zone $binary_remote_addr zone={REQUEST_ZONE}:{rate.zone_size_mb}m "
        f"rate={rate.requests_per_second}r/s;",
        f"limit_conn_zone $binary_remote_addr zone={CONNECTION_ZONE}:{rate.zone_size_mb}m;",
        "limit_req_status 429;",
        "limit_conn_status 429;",
        "limit_req_log_level warn;",
        "limit_conn_log_level warn;",
    ]


def _upstream(settings: CdnSettings, layout: NginxLayout) -> list[str]:
    return block(
        f"upstream {UPSTREAM}",
        [f"server {layout.origin};", f"keepalive {settings.upstream_keepalive};", "keepalive_timeout 60s;"],
    )


def server_names(settings: CdnSettings, layout: NginxLayout) -> list[str]:
    names = list(dict.fromkeys([*settings.hostnames, *layout.local_names]))
    if not names:
        raise ValueError("the CDN serves no hostname: set cdn.hostnames or give the layout local names")
    return names


def _status_server(layout: NginxLayout) -> list[str]:
    body = [
        f"listen {layout.status_listen};",
        "access_log off;",
        # For the metrics exporter beside NGINX in the pod, nobody else.
        "allow 127.0.0.1;",
        "allow ::1;",
        "deny all;",
        *block(f"location = {STATUS_PATH}", ["stub_status;"]),
        *block("location /", ["return 404;"]),
    ]
    return block("server", body)


def render_nginx_conf(settings: CdnSettings, layout: NginxLayout) -> str:
    """The complete nginx.conf for one CDN instance."""
    http = [
        *_limits(settings, layout),
        "",
        *_logging(layout),
        *_real_ip(settings),
        "",
        *_compression(settings),
        "",
        *_cache_and_limits_zones(settings, layout),
        "",
        *request_maps(settings),
        "",
        *_upstream(settings, layout),
        "",
        *unknown_hosts_server(settings, layout.listen),
        "",
        *site_server(settings, layout.listen, server_names(settings, layout)),
        "",
        *_status_server(layout),
    ]
    lines = [
        "# Rendered from the stack's cdn settings; change those, not this file.",
        *_main(settings, layout),
        "",
        *block("http", http),
    ]
    return "\n".join(lines) + "\n"
