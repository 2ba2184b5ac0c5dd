"""The NGINX caching CDN tier in front of the services."""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import Field, model_validator

from components.quantities import memory_bytes
from components.settings.base import CookieName, PinnedImage, SettingsModel, cross_field_error
from components.settings.cdn_requests import (
    DEFAULT_FORWARDED_HEADERS,
    DEFAULT_HARMLESS_COOKIES,
    DEFAULT_SESSION_COOKIES,
    CookiePattern,
    HeaderName,
    Pcre,
)
from components.settings.cloudflare import Hostname
from components.settings.cloudflare_ips import cloudflare_ranges
from components.settings.services import ComputeQuantities, ComputeResources
from components.settings.trusted_networks import Cidr, breadth_problem, trusted_proxy_problem

# One character class for every value that lands inside a quoted NGINX string: no quotes,
# no backslashes, no control characters, so settings can never break out of a directive.
_HEADER_VALUE = r"^[^\"'\\\x00-\x1f;{}$]*$"
_URL_PATH = r"^/[A-Za-z0-9._~!&()*+,=:@/%-]*$"
DAY = 86400
YEAR = 365 * DAY
# NGINX documents ~8,000 keys per MB of keys_zone; keep a quarter in reserve.
KEYS_PER_MB = 8000
KEYS_ZONE_HEADROOM = 1.25


def keys_zone_mb(expected_keys: int) -> int:
    return max(1, math.ceil(expected_keys * KEYS_ZONE_HEADROOM / KEYS_PER_MB))


class CdnCacheTtls(SettingsModel):
    """How long the CDN keeps each content class (seconds)."""

    # Fingerprinted assets (`main.3f9a2c1b.js`): content never changes under a name.
    fingerprinted_seconds: int = Field(default=YEAR, gt=0)
    # JS, CSS and fonts without a fingerprint.
    assets_seconds: int = Field(default=DAY, gt=0)
    images_seconds: int = Field(default=7 * DAY, gt=0)
    # HTML and everything else not matched above (API responses excepted).
    html_seconds: int = Field(default=60, gt=0)
    # Negative caching of 404s, so a missing-asset storm does not reach the origin.
    not_found_seconds: int = Field(default=10, ge=0)


class CdnFingerprint(SettingsModel):
    """Which asset names are content-addressed (cached a year, ``immutable`` for browsers).

    By default a name whose last part before the extension is a lower-case hex hash of at
    least ``minHashLength`` characters with at least one letter (``main.3f9a2c1b.js``), never a
    plain number (``avatar-0123456789.png``). ``pattern`` replaces that rule with a regular
    expression matched against the whole (decoded) path.
    """

    min_hash_length: int = Field(default=8, ge=6, le=64)
    pattern: Pcre | None = Field(default=None, pattern=r"^[^\"\x00-\x1f]*$", min_length=2)


class CdnRateLimit(SettingsModel):
    """Per client address (the real one when the request comes through a trusted proxy)."""

    requests_per_second: int = Field(default=50, gt=0)
    burst: int = Field(default=100, ge=0)
    connections_per_client: int = Field(default=50, gt=0, lt=65536)
    # Shared memory for the counters: 1 MB tracks about 16,000 addresses.
    zone_size_mb: int = Field(default=10, gt=0)


class CdnTimeouts(SettingsModel):
    """Seconds. Short upstream timeouts make uncached requests fail fast when the origin is down."""

    origin_connect_seconds: int = Field(default=2, gt=0, le=75)
    origin_read_seconds: int = Field(default=15, gt=0)
    origin_send_seconds: int = Field(default=15, gt=0)
    # The whole request header must arrive within this (slow-header clients are cut off).
    client_header_seconds: int = Field(default=5, gt=0, le=60)
    client_body_seconds: int = Field(default=10, gt=0)
    send_seconds: int = Field(default=15, gt=0)
    keepalive_seconds: int = Field(default=65, ge=0)


class CdnSecurityHeaders(SettingsModel):
    hsts_max_age_seconds: int = Field(default=YEAR, ge=0)
    hsts_include_subdomains: bool = True
    hsts_preload: bool = False
    content_security_policy: str = Field(
        default=(
            "default-src 'self'; img-src 'self' data: https:; script-src 'self'; "
            "style-src 'self' 'unsafe-inline'; font-src 'self' data:; connect-src 'self'; "
            "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
        ),
        min_length=1,
        # CSP needs single quotes ('self'); only double quotes and backslashes are excluded.
        pattern=r"^[^\"\\\x00-\x1f{}$]*$",
    )
    frame_options: str = Field(default="DENY", pattern=r"^(DENY|SAMEORIGIN)$")
    referrer_policy: str = Field(default="strict-origin-when-cross-origin", pattern=_HEADER_VALUE)
    permissions_policy: str = Field(
        default="camera=(), microphone=(), geolocation=(), payment=()", pattern=_HEADER_VALUE
    )
    # Pages get their own browsing context group (no window.opener from other sites)...
    cross_origin_opener_policy: Literal["same-origin", "same-origin-allow-popups", "unsafe-none"] = (
        "same-origin"
    )
    # ...and other sites cannot embed our responses; same-site keeps static.<zone> usable.
    cross_origin_resource_policy: Literal["same-site", "same-origin", "cross-origin"] = "same-site"


# How the CDN tier is reached from outside the cluster (review stacks never are).
ExposureType = Literal["none", "ingress", "loadBalancer"]
# Where the Ingress's certificate comes from: cert-manager (any issuer, including Cloudflare's
# origin-ca-issuer), or a Cloudflare Origin CA certificate given in the settings.
TlsSource = Literal["certManager", "originCa"]
_QUALIFIED_NAME = r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"
_PEM_CERTIFICATE = r"^\s*-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----\s*$"


class IssuerRef(SettingsModel):
    """A cert-manager issuer, as a Certificate's ``issuerRef`` names it."""

    name: str = Field(pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", max_length=253)
    kind: str = Field(default="ClusterIssuer", pattern=r"^[A-Z][A-Za-z]+$")
    group: str = Field(default="cert-manager.io", pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")


class CdnTls(SettingsModel):
    """The certificate the Ingress presents to Cloudflare (strict SSL validates it)."""

    source: TlsSource = "certManager"
    # certManager: who signs (for example a ClusterIssuer with Cloudflare's DNS-01 solver, or
    # {name: ..., kind: ClusterOriginIssuer, group: cert-manager.k8s.cloudflare.com}).
    issuer: IssuerRef | None = None
    # originCa: the PEM certificate from the Cloudflare dashboard; its private key is the
    # top-level secret `cdnTlsPrivateKey`.
    certificate: str | None = Field(default=None, pattern=_PEM_CERTIFICATE)

    @model_validator(mode="after")
    def _source_has_what_it_needs(self) -> CdnTls:
        if self.source == "certManager" and self.issuer is None:
            raise cross_field_error("issuer", None, "is required with source certManager (the issuer's name)")
        if self.source == "originCa" and self.certificate is None:
            raise cross_field_error(
                "certificate", None, "is required with source originCa (the Origin CA certificate, PEM)"
            )
        return self


class CdnExposure(SettingsModel):
    """How the CDN tier is reached from the internet; its address is Cloudflare's origin."""

    # ingress: an Ingress with TLS for every cloudflare.hostnames entry (strict SSL works);
    # loadBalancer: a LoadBalancer Service on port 80, plain HTTP (stacks without Cloudflare);
    # none: ClusterIP only.
    type: ExposureType = "none"
    ingress_class_name: str = Field(default="nginx", pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
    tls: CdnTls | None = None
    # Controller- or cloud-specific annotations on the Ingress or the LoadBalancer Service.
    annotations: dict[Annotated[str, Field(pattern=_QUALIFIED_NAME)], str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _tls_complete_for_ingress(self) -> CdnExposure:
        if self.type == "ingress" and self.tls is None:
            raise cross_field_error(
                "tls", None, "is required with type ingress: {source: certManager, issuer: ...} or originCa"
            )
        return self


class CdnSettings(SettingsModel):
    image: PinnedImage = "nginxinc/nginx-unprivileged:1.27.2-alpine"
    exporter_image: PinnedImage = "nginx/nginx-prometheus-exporter:1.3.0"
    min_replicas: int = Field(default=2, ge=1)
    max_replicas: int = Field(default=6, ge=1)
    resources: ComputeResources = ComputeResources(
        requests=ComputeQuantities(cpu="250m", memory="256Mi"),
        limits=ComputeQuantities(cpu="1", memory="512Mi"),
    )
    exporter_resources: ComputeResources = ComputeResources(
        requests=ComputeQuantities(cpu="10m", memory="16Mi"),
        limits=ComputeQuantities(cpu="100m", memory="64Mi"),
    )
    # The service whose responses the CDN caches (its origin).
    origin_service: str = "frontend"
    port: int = Field(default=8080, ge=1024, le=65535)
    status_port: int = Field(default=8081, ge=1024, le=65535)
    exporter_port: int = Field(default=9113, ge=1024, le=65535)
    cache_size_mb: int = Field(default=1024, gt=0)
    # How many distinct URLs the cache should index; sizes the keys zone (~8,000 keys per MB).
    expected_keys: int = Field(default=200_000, gt=0)
    # Entries not requested for this long are evicted whatever their TTL.
    cache_inactive_seconds: int = Field(default=7 * DAY, gt=0)
    ttl: CdnCacheTtls = CdnCacheTtls()
    rate_limit: CdnRateLimit = CdnRateLimit()
    timeouts: CdnTimeouts = CdnTimeouts()
    security_headers: CdnSecurityHeaders = CdnSecurityHeaders()
    client_max_body_mb: int = Field(default=10, gt=0)
    # Cookies that mark a signed-in visitor: requests carrying any of them (or an Authorization
    # header) bypass the cache, at this tier and at Cloudflare's edge alike.
    session_cookies: list[CookieName] = Field(
        default_factory=lambda: list(DEFAULT_SESSION_COOKIES), min_length=1
    )
    # Pages and API answers are never cached for a request with any other cookie.
    harmless_cookies: list[CookiePattern] = Field(default_factory=lambda: list(DEFAULT_HARMLESS_COOKIES))
    forwarded_headers: list[HeaderName] = Field(default_factory=lambda: list(DEFAULT_FORWARDED_HEADERS))
    fingerprint: CdnFingerprint = CdnFingerprint()
    # Responses under this prefix are cached only when the origin says so (Cache-Control).
    api_prefix: str = Field(default="/api/", pattern=r"^/[A-Za-z0-9._~-]+/$")
    allowed_methods: list[str] = Field(
        default_factory=lambda: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"], min_length=1
    )
    # Proxies whose header names the real visitor (rate limits, logs, X-Forwarded-For).
    # None: Cloudflare's published ranges when Cloudflare fronts the stack, else nobody.
    trusted_proxies: list[Cidr] | None = None
    # None: CF-Connecting-IP when Cloudflare fronts the stack, else X-Forwarded-For.
    real_ip_header: str | None = Field(default=None, pattern=r"^[A-Za-z0-9-]+$")
    # The cluster's node and pod networks: the only private ranges that may be trusted.
    cluster_networks: list[Cidr] = Field(default_factory=list)
    # Answer only connections from trusted proxies, the cluster and loopback (403 otherwise).
    origin_lockdown: bool = False
    # Public hostnames served besides Cloudflare's (when it fronts the stack) and the
    # cluster-internal Service names; any other Host is refused (connection closed, 444).
    hostnames: list[Hostname] = Field(default_factory=list)
    upstream_keepalive: int = Field(default=32, gt=0)
    # Per worker; a proxied request holds two (client and origin). Open files are sized from it.
    worker_connections: int = Field(default=16384, ge=64, le=262144)
    # Needs an image with the brotli filter module (ngx_http_brotli_filter_module).
    brotli: bool = False
    # Static URLs on the origin that the post-deploy checks request through the CDN.
    sample_static_urls: list[Annotated[str, Field(pattern=_URL_PATH)]] = Field(
        default_factory=lambda: ["/favicon.ico", "/manifest.json", "/robots.txt"], min_length=1
    )
    exposure: CdnExposure = CdnExposure()

    @model_validator(mode="after")
    def _min_not_above_max(self) -> CdnSettings:
        if self.min_replicas > self.max_replicas:
            raise cross_field_error(
                "maxReplicas", self.max_replicas, f"must be >= minReplicas ({self.min_replicas})"
            )
        return self

    @model_validator(mode="after")
    def _ports_distinct(self) -> CdnSettings:
        if self.status_port in (self.port, self.exporter_port):
            raise cross_field_error("statusPort", self.status_port, "must differ from port and exporterPort")
        if self.exporter_port == self.port:
            raise cross_field_error("exporterPort", self.exporter_port, "must differ from port")
        return self

    @model_validator(mode="after")
    def _shared_memory_fits(self) -> CdnSettings:
        # The cache index and both rate-limit zones are shared memory inside the container's
        # memory limit; keep them to half of it, leaving the rest to workers and buffers.
        shared_mb = keys_zone_mb(self.expected_keys) + 2 * self.rate_limit.zone_size_mb
        limit_mb = memory_bytes(self.resources.limits.memory) // 2**20
        if shared_mb * 2 > limit_mb:
            raise cross_field_error(
                "expectedKeys",
                self.expected_keys,
                f"needs {shared_mb} MiB of shared memory (cache keys zone plus rate-limit zones), "
                f"more than half of resources.limits.memory ({self.resources.limits.memory}); "
                "lower it or raise the limit",
            )
        return self

    @model_validator(mode="after")
    def _trusted_networks(self) -> CdnSettings:
        for index, cidr in enumerate(self.cluster_networks):
            problem = breadth_problem(cidr)
            if problem:
                raise cross_field_error(f"clusterNetworks.{index}", cidr, problem)
        for index, cidr in enumerate(self.trusted_proxies or []):
            problem = trusted_proxy_problem(cidr, self.cluster_networks)
            if problem:
                raise cross_field_error(f"trustedProxies.{index}", cidr, problem)
        return self

    @property
    def real_ip_sources(self) -> list[str]:
        return self.trusted_proxies or []

    @property
    def client_address_header(self) -> str:
        return self.real_ip_header or "X-Forwarded-For"

    def fronted_by_cloudflare(self, edge_hostnames: list[str]) -> CdnSettings:
        """These settings with Cloudflare in front: its ranges and header by default, its hosts too."""
        return self.model_copy(
            update={
                # Cloudflare's edges, and the cluster's own hop in front of the CDN (the Ingress
                # controller's pods) when clusterNetworks names it.
                "trusted_proxies": [*cloudflare_ranges(), *self.cluster_networks]
                if self.trusted_proxies is None
                else self.trusted_proxies,
                "real_ip_header": self.real_ip_header or "CF-Connecting-IP",
                "hostnames": list(dict.fromkeys([*self.hostnames, *edge_hostnames])),
            }
        )

    @model_validator(mode="after")
    def _methods_are_tokens(self) -> CdnSettings:
        for index, method in enumerate(self.allowed_methods):
            if not method.isascii() or not method.isalpha() or not method.isupper():
                raise cross_field_error(
                    f"allowedMethods.{index}", method, "must be an upper-case HTTP method like GET"
                )
        return self
