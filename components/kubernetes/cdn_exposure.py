"""CdnExposure: the CDN tier's public entry (Ingress with TLS, or a LoadBalancer Service).

Its address is a stack output (``cdnAddress``) and Cloudflare's origin. The Ingress carries
the certificate Cloudflare's strict SSL validates: issued by cert-manager (a Certificate for
every hostname) or a Cloudflare Origin CA certificate from the settings (a TLS Secret).
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s
from pydantic import SecretStr

from components.kubernetes.conventions import labels, selector_labels
from components.settings.cdn import CdnExposure as ExposureSettings
from components.settings.cdn import CdnTls

TLS_SECRET = "cdn-tls"
CERT_MANAGER_API = "cert-manager.io/v1"
PUBLIC_HTTP_PORT = 80


class NoAddress(Exception):
    """The Ingress or Service came up without an address (no controller or load balancer)."""


def first_address(status: Any) -> str:
    """The first IP or hostname in a ``status.loadBalancer.ingress`` list."""
    entries = (status.load_balancer.ingress if status and status.load_balancer else None) or []
    for entry in entries:
        if entry.ip or entry.hostname:
            return str(entry.ip or entry.hostname)
    raise NoAddress(
        "no address in status.loadBalancer.ingress: is an ingress controller or load balancer there?"
    )


def ingress_spec(exposure: ExposureSettings, hostnames: list[str], service: str) -> dict[str, Any]:
    """One rule per hostname to the CDN Service's http port, TLS for all of them."""
    backend = {"service": {"name": service, "port": {"name": "http"}}}
    return {
        "ingressClassName": exposure.ingress_class_name,
        "tls": [{"hosts": hostnames, "secretName": TLS_SECRET}],
        "rules": [
            {"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]}}
            for host in hostnames
        ],
    }


def certificate_spec(tls: CdnTls, hostnames: list[str]) -> dict[str, Any]:
    """A cert-manager Certificate whose Secret the Ingress presents."""
    assert tls.issuer is not None  # the settings require it for certManager
    issuer = tls.issuer
    return {
        "secretName": TLS_SECRET,
        "dnsNames": hostnames,
        "issuerRef": {"name": issuer.name, "kind": issuer.kind, "group": issuer.group},
        # A renewed certificate gets a new key, never the old one re-signed.
        "privateKey": {"rotationPolicy": "Always"},
    }


class CdnExposure(pulumi.ComponentResource):
    """The CDN's public address: an Ingress (TLS) or a LoadBalancer Service (plain HTTP)."""

    address: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        *,
        namespace: str,
        exposure: ExposureSettings,
        hostnames: list[str],
        cdn_service: str,
        cdn_port: int,
        tls_private_key: SecretStr | None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("technovastore:cdn:CdnExposure", name, None, opts)
        self._name, self._namespace, self._exposure = name, namespace, exposure
        child = pulumi.ResourceOptions(parent=self)
        if exposure.type == "ingress":
            certificate = self._certificate(hostnames, tls_private_key, child)
            ingress = k8s.networking.v1.Ingress(
                f"{name}-ingress",
                metadata=self._metadata(cdn_service, annotations=exposure.annotations),
                spec=ingress_spec(exposure, hostnames, cdn_service),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[certificate]),
            )
            self.address = ingress.status.apply(first_address)
        else:
            service = k8s.core.v1.Service(
                f"{name}-load-balancer",
                metadata=self._metadata(f"{cdn_service}-public", annotations=exposure.annotations),
                spec={
                    "type": "LoadBalancer",
                    # Keep the client's address: the CDN's rate limits are per client.
                    "externalTrafficPolicy": "Local",
                    "selector": selector_labels(cdn_service),
                    "ports": [
                        {"name": "http", "port": PUBLIC_HTTP_PORT, "targetPort": "http", "protocol": "TCP"}
                    ],
                },
                opts=child,
            )
            self.address = service.status.apply(first_address)
        self.register_outputs({"address": self.address, "port": cdn_port})

    def _metadata(self, object_name: str, annotations: dict[str, str] | None = None) -> dict[str, Any]:
        metadata: dict[str, Any] = {
            "name": object_name,
            "namespace": self._namespace,
            "labels": labels(object_name, "public-entry"),
        }
        if annotations:
            metadata["annotations"] = dict(annotations)
        return metadata

    def _certificate(
        self, hostnames: list[str], private_key: SecretStr | None, opts: pulumi.ResourceOptions
    ) -> pulumi.Resource:
        tls = self._exposure.tls
        assert tls is not None  # the settings require it for ingress
        if tls.source == "certManager":
            return k8s.apiextensions.CustomResource(
                f"{self._name}-certificate",
                api_version=CERT_MANAGER_API,
                kind="Certificate",
                # The Ingress (and Cloudflare's records after it) wait until the certificate is
                # issued: strict SSL fails against an origin without it.
                metadata=self._metadata(TLS_SECRET, annotations={"pulumi.com/waitFor": "condition=Ready"}),
                spec=certificate_spec(tls, hostnames),
                opts=opts,
            )
        assert tls.certificate is not None and private_key is not None  # the settings require both
        return k8s.core.v1.Secret(
            f"{self._name}-origin-ca",
            metadata=self._metadata(TLS_SECRET),
            type="kubernetes.io/tls",
            string_data={
                "tls.crt": tls.certificate,
                "tls.key": pulumi.Output.secret(private_key.get_secret_value()),
            },
            opts=opts,
        )
