"""nginx.conf for the CDN tier: a caching reverse proxy in front of one origin service.

Pure: typed settings and a runtime layout (paths, listen addresses, the origin address) in,
text out. The Kubernetes component and the integration tests render the very same text;
only the layout differs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from components.render.cdn_metrics import nginx_metrics_log
from components.settings.cdn import CdnSecurityHeaders, CdnSettings, keys_zone_mb

CACHE_ZONE = "cdn_cache"
REQUEST_ZONE = "cdn_requests"
CONNECTION_ZONE = "cdn_connections"
UPSTREAM = "cdn_origin"
HEALTH_PATH = "/health"
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
IMAGE_EXTENSIONS = "png|jpe?g|gif|webp|avif|svg|ico|bmp"
ASSET_EXTENSIONS = "js|mjs|css|map|woff2?|ttf|otf|eot"


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
    # A DNS server to re-resolve the origin's name with while running (Swarm dnsrr: the name
    # lists every task), or None to resolve it once at start into a keepalive upstream.
    resolver: str | None = None
    # host:port of the log-to-metrics reader (mtail) that gets one line per request, or None.
    metrics_syslog: str | None = None


def session_cookie_pattern(cookies: list[str]) -> str:
    """A PCRE that matches a Cookie header carrying any of ``cookies`` (not a cookie ending in one)."""
    names = "|".join(re.escape(cookie) for cookie in cookies)
    return rf"(?:^|;)\s*(?:{names})="


def security_header_values(headers: CdnSecurityHeaders) -> dict[str, str]:
    hsts = f"max-age={headers.hsts_max_age_seconds}"
    if headers.hsts_include_subdomains:
        hsts += "; includeSubDomains"
    if headers.hsts_preload:
        hsts += "; preload"
    return {
        "Strict-Transport-Security": hsts,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": headers.frame_options,
        "Referrer-Policy": headers.referrer_policy,
        "Permissions-Policy": headers.permissions_policy,
        "Content-Security-Policy": headers.content_security_policy,
    }


def _block(head: str, body: list[str]) -> list[str]:
    """``head { body }`` with the body indented; nested blocks indent again."""
    return [f"{head} {{", *[f"    {line}" if line else "" for line in body], "}"]


def _response_headers(settings: CdnSettings) -> list[str]:
    """Headers every response carries, errors included (``always``).

    NGINX drops all inherited add_header directives in a block that declares its own, so
    every block that adds a header repeats this list in full.
    """
    values = security_header_values(settings.security_headers)
    lines = [f'add_header {name} "{value}" always;' for name, value in values.items()]
    return [*lines, "add_header X-Cache-Status $upstream_cache_status always;"]


def _main(settings: CdnSettings, layout: NginxLayout) -> list[str]:
    lines = [f"worker_processes {layout.worker_processes};"]
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
        *_block("events", [f"worker_connections {settings.worker_connections};"]),
    ]
    return lines


def _limits(settings: CdnSettings, layout: NginxLayout) -> list[str]:
    t = settings.timeouts
    temp = layout.temp_dir
    return [
        "server_tokens off;",
        "default_type application/octet-stream;",
        "sendfile on;",
        "tcp_nopush on;",
        "tcp_nodelay on;",
        f"keepalive_timeout {t.keepalive_seconds}s;",
        "keepalive_requests 1000;",
        f"client_header_timeout {t.client_header_seconds}s;",
        f"client_body_timeout {t.client_body_seconds}s;",
        f"send_timeout {t.send_seconds}s;",
        "reset_timedout_connection on;",
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
    if not settings.trusted_proxies:
        return []
    lines = [f"set_real_ip_from {cidr};" for cidr in settings.trusted_proxies]
    return [*lines, f"real_ip_header {settings.real_ip_header};", "real_ip_recursive on;"]


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
        # Requests of a signed-in user: never answered from, nor stored in, the shared cache.
        *_block(
            "map $http_cookie $cdn_session",
            ['default "";', f'"~{session_cookie_pattern(settings.session_cookies)}" 1;'],
        ),
    ]


ORIGIN_VARIABLE = "$cdn_origin"


def proxy_target(layout: NginxLayout) -> str:
    """What proxy_pass names: the upstream group, or the variable NGINX resolves per request."""
    return f"http://{ORIGIN_VARIABLE}" if layout.resolver else f"http://{UPSTREAM}"


def _upstream(settings: CdnSettings, layout: NginxLayout) -> list[str]:
    if layout.resolver:
        # A variable in proxy_pass makes NGINX resolve the name through the resolver (cached
        # for `valid`), so origin tasks that come and go are followed; no keepalive pool then.
        return [
            f"resolver {layout.resolver} valid=5s ipv6=off;",
            "resolver_timeout 2s;",
            *_block(f"map $host {ORIGIN_VARIABLE}", [f"default {layout.origin};"]),
        ]
    return _block(
        f"upstream {UPSTREAM}",
        [f"server {layout.origin};", f"keepalive {settings.upstream_keepalive};", "keepalive_timeout 60s;"],
    )


def _proxy_defaults(settings: CdnSettings) -> list[str]:
    """Proxy and cache behaviour shared by every proxied location (none redefines these)."""
    t = settings.timeouts
    return [
        # Upstream keepalive needs HTTP/1.1 and an empty Connection header.
        "proxy_http_version 1.1;",
        'proxy_set_header Connection "";',
        "proxy_set_header Host $host;",
        "proxy_set_header X-Real-IP $remote_addr;",
        "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "proxy_set_header X-Forwarded-Proto $scheme;",
        # Cache one identity copy per URL and compress here, not one copy per encoding.
        'proxy_set_header Accept-Encoding "";',
        "proxy_hide_header X-Powered-By;",
        f"proxy_connect_timeout {t.origin_connect_seconds}s;",
        f"proxy_read_timeout {t.origin_read_seconds}s;",
        f"proxy_send_timeout {t.origin_send_seconds}s;",
        f"proxy_cache {CACHE_ZONE};",
        "proxy_cache_key $scheme$host$request_uri;",
        "proxy_cache_lock on;",
        "proxy_cache_lock_timeout 5s;",
        "proxy_cache_use_stale error timeout updating http_500 http_502 http_503 http_504;",
        "proxy_cache_background_update on;",
        "proxy_cache_revalidate on;",
        "proxy_cache_bypass $http_authorization $cdn_session;",
        "proxy_no_cache $http_authorization $cdn_session;",
    ]


def _proxied(
    settings: CdnSettings, target: str, ttl_lines: list[str], extra_headers: list[str] | None = None
) -> list[str]:
    """A location that proxies to the origin, rate limited per client address.

    Locations without headers of their own inherit the server's; one with its own repeats
    them all (see _response_headers).
    """
    rate = settings.rate_limit
    headers = [*_response_headers(settings), *extra_headers] if extra_headers else []
    return [
        f"limit_req zone={REQUEST_ZONE} burst={rate.burst} nodelay;",
        f"limit_conn {CONNECTION_ZONE} {rate.connections_per_client};",
        *ttl_lines,
        *headers,
        f"proxy_pass {target};",
    ]


def _ttl(seconds: int, not_found_seconds: int) -> list[str]:
    lines = [f"proxy_cache_valid 200 203 301 308 {seconds}s;"]
    if not_found_seconds:
        lines.append(f"proxy_cache_valid 404 {not_found_seconds}s;")
    return lines


def _locations(settings: CdnSettings, target: str) -> list[str]:
    ttl = settings.ttl
    methods = "|".join(settings.allowed_methods)
    fingerprinted = rf'"[.-][0-9a-f]{{8,}}\.(?:{ASSET_EXTENSIONS}|{IMAGE_EXTENSIONS})$"'
    immutable = f'add_header Cache-Control "public, max-age={ttl.fingerprinted_seconds}, immutable";'
    lines = [
        *_block(f"if ($request_method !~ ^(?:{methods})$)", ["return 405;"]),
        "",
        *_block(
            f"location = {HEALTH_PATH}",
            # Answered here: never rate limited, never cached, never touches the origin.
            ["access_log off;", "default_type text/plain;", 'return 200 "ok\\n";'],
        ),
        "",
        # Content-addressed names never change: the CDN's TTL wins over the origin's headers.
        *_block(
            f"location ~* {fingerprinted}",
            [
                "proxy_ignore_headers Cache-Control Expires;",
                "proxy_hide_header Cache-Control;",
                *_proxied(
                    settings, target, _ttl(ttl.fingerprinted_seconds, ttl.not_found_seconds), [immutable]
                ),
            ],
        ),
        "",
        # Below, the origin's Cache-Control wins when it sends one; these TTLs are the default.
        *_block(
            rf'location ~* "\.(?:{IMAGE_EXTENSIONS})$"',
            _proxied(settings, target, _ttl(ttl.images_seconds, ttl.not_found_seconds)),
        ),
        "",
        *_block(
            rf'location ~* "\.(?:{ASSET_EXTENSIONS})$"',
            _proxied(settings, target, _ttl(ttl.assets_seconds, ttl.not_found_seconds)),
        ),
        "",
        # API responses: no default TTL, so only what the origin marks cacheable is stored.
        *_block(f"location ^~ {settings.api_prefix}", _proxied(settings, target, [])),
        "",
        *_block("location /", _proxied(settings, target, _ttl(ttl.html_seconds, ttl.not_found_seconds))),
    ]
    return lines


def _site(settings: CdnSettings, layout: NginxLayout) -> list[str]:
    body = [
        f"listen {layout.listen} default_server;",
        "server_name _;",
        "",
        *_response_headers(settings),
        "",
        *_proxy_defaults(settings),
        "",
        *_locations(settings, proxy_target(layout)),
    ]
    return _block("server", body)


def _status_server(layout: NginxLayout) -> list[str]:
    body = [
        f"listen {layout.status_listen};",
        "access_log off;",
        # For the metrics exporter beside NGINX in the pod, nobody else.
        "allow 127.0.0.1;",
        "allow ::1;",
        "deny all;",
        *_block(f"location = {STATUS_PATH}", ["stub_status;"]),
        *_block("location /", ["return 404;"]),
    ]
    return _block("server", body)


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
        *_upstream(settings, layout),
        "",
        *_site(settings, layout),
        "",
        *_status_server(layout),
    ]
    lines = [
        "# Rendered from the stack's cdn settings; change those, not this file.",
        *_main(settings, layout),
        "",
        *_block("http", http),
    ]
    return "\n".join(lines) + "\n"
