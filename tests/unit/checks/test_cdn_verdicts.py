"""The CDN rules on responses as NGINX sends them."""

from __future__ import annotations

from checks.cdn import CdnUnreachable, Observations, Response, evaluate
from checks.model import CheckResult, Status
from components.render.nginx import GZIP_MIN_LENGTH

SECURITY = {"x-content-type-options": "nosniff", "x-frame-options": "DENY", "referrer-policy": "same-origin"}
REQUIRED = ["X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy"]


def response(
    path: str, cache: str | None, *, content_type: str = "application/javascript", **extra: str
) -> Response:
    headers = {
        "server": "nginx",
        "content-type": content_type,
        "content-encoding": "gzip",
        **SECURITY,
        **extra,
    }
    if cache:
        headers["x-cache-status"] = cache
    return Response(path, 200, {k: v for k, v in headers.items() if v}, 900)


def observe(
    samples: dict[str, tuple[Response, Response] | BaseException],
    health: Response | BaseException | None = None,
) -> dict[str, CheckResult]:
    observed = Observations(
        "http://cdn", health or response("/health", None, content_type="text/plain"), samples
    )
    results = evaluate(observed, health_path="/health", security_headers=REQUIRED, min_hit_ratio=0.5)
    return {result.name: result for result in results}


def test_miss_then_hit_with_every_header_passes() -> None:
    results = observe({"/app.js": (response("/app.js", "MISS"), response("/app.js", "HIT"))})
    assert {r.status for r in results.values()} == {Status.OK}
    assert results["hit_ratio"].message == "1 HIT of 2 sample responses (ratio 0.50), at least 0.5"


def test_a_cdn_that_never_caches() -> None:
    results = observe({"/app.js": (response("/app.js", "MISS"), response("/app.js", "MISS"))})
    assert (
        results["caching"].message == "/app.js: X-Cache-Status MISS then MISS, expected MISS or HIT then HIT"
    )
    assert results["hit_ratio"].message == "0 HIT of 2 sample responses (ratio 0.00), below 0.5"


def test_missing_security_headers_are_listed_per_path() -> None:
    bare = {"x-frame-options": "", "referrer-policy": ""}
    results = observe({"/app.js": (response("/app.js", "MISS", **bare), response("/app.js", "HIT", **bare))})
    assert results["security_headers"].status is Status.FAIL
    assert results["security_headers"].message == (
        "Referrer-Policy missing on /app.js; X-Frame-Options missing on /app.js"
    )


def test_version_in_server_header_and_uncompressed_text() -> None:
    leaky = response(
        "/app.css", "HIT", content_type="text/css", server="nginx/1.22.1", **{"content-encoding": ""}
    )
    results = observe({"/app.css": (leaky, leaky)})
    assert results["server_header"].message == "Server header reveals a version: 'nginx/1.22.1'"
    assert results["compression"].message == "/app.css (text/css) not gzipped (Content-Encoding None)"


def test_images_are_not_expected_to_be_gzipped() -> None:
    image = response("/logo.png", "HIT", content_type="image/png", **{"content-encoding": ""})
    results = observe({"/logo.png": (image, image)})
    assert results["compression"].status is Status.OK


def test_compression_is_expected_where_the_tier_gzips() -> None:
    plain = {"content-encoding": ""}
    html = response("/", "HIT", content_type="text/html; charset=utf-8", **plain)
    csv = response("/export.csv", "HIT", content_type="text/csv", **plain)  # not in gzip_types
    tiny = Response("/tiny.css", 200, {**html.headers, "content-type": "text/css"}, GZIP_MIN_LENGTH - 1)
    results = observe({"/": (html, html), "/export.csv": (csv, csv), "/tiny.css": (tiny, tiny)})
    only_html = "/ (text/html; charset=utf-8) not gzipped (Content-Encoding None)"
    assert results["compression"].message == only_html


def test_a_text_body_of_exactly_the_minimum_length_must_be_gzipped() -> None:
    """NGINX's gzip filter skips only bodies shorter than gzip_min_length
    (ngx_http_gzip_filter_module.c: content_length_n < conf->min_length)."""
    plain = response("/", "HIT", content_type="text/css", **{"content-encoding": ""})
    edge = Response("/edge.css", 200, plain.headers, GZIP_MIN_LENGTH)
    results = observe({"/edge.css": (edge, edge)})
    assert results["compression"].message == "/edge.css (text/css) not gzipped (Content-Encoding None)"


def test_a_cdn_that_is_down_could_not_be_checked() -> None:
    down = CdnUnreachable("http://cdn/health: connection refused")
    results = observe({}, health=down)
    assert list(results) == ["health"]
    assert results["health"].status is Status.ERROR
    assert results["health"].message == "could not reach the CDN: http://cdn/health: connection refused"


def test_unhealthy_health_endpoint() -> None:
    sick = Response("/health", 502, dict(SECURITY), 10)
    results = observe({}, health=sick)
    assert results["health"].message == "/health answered 502, expected 200"
