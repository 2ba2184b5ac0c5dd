"""The NGINX caching CDN tier in front of the services."""

from __future__ import annotations

import ipaddress
import math
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from components.quantities import memory_bytes
from components.settings.base import CookieName, PinnedImage, SettingsModel, cross_field_error
from components.settings.services import ComputeQuantities, ComputeResources

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


def _cidr(value: str) -> str:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError as error:
        raise ValueError(f"must be an IP address or CIDR block ({error})") from None
    return value


Cidr = Annotated[str, AfterValidator(_cidr)]


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
    client_header_seconds: int = Field(default=10, gt=0)
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
    session_cookies: list[CookieName] = Field(default_factory=lambda: ["tns_session"], min_length=1)
    # Responses under this prefix are cached only when the origin says so (Cache-Control).
    api_prefix: str = Field(default="/api/", pattern=r"^/[A-Za-z0-9._~-]+/$")
    allowed_methods: list[str] = Field(
        default_factory=lambda: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"], min_length=1
    )
    # Load balancers / proxies whose X-Forwarded-For names the real client (rate limits per client).
    trusted_proxies: list[Cidr] = Field(default_factory=list)
    real_ip_header: str = Field(default="X-Forwarded-For", pattern=r"^[A-Za-z0-9-]+$")
    upstream_keepalive: int = Field(default=32, gt=0)
    worker_connections: int = Field(default=4096, ge=64)
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
    def _methods_are_tokens(self) -> CdnSettings:
        for index, method in enumerate(self.allowed_methods):
            if not method.isascii() or not method.isalpha() or not method.isupper():
                raise cross_field_error(
                    f"allowedMethods.{index}", method, "must be an upper-case HTTP method like GET"
                )
        return self
