"""The CDN is reachable from the internet, with TLS for Cloudflare strict mode, as its origin (finding 7)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.settings import PROJECT, SettingsError, load_settings
from preview.manifests import rendered_documents
from preview.synth import OFFLINE_LOAD_BALANCER, Synthesis, synthesize
from tests.support.stacks import REVIEW_STACK, stack_config, synthesized

INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
CERTIFICATE = "kubernetes:cert-manager.io/v1:Certificate"
SERVICE = "kubernetes:core/v1:Service"
DNS_RECORD = "cloudflare:index/dnsRecord:DnsRecord"
CERTIFICATE_PEM = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUAbC=\n-----END CERTIFICATE-----\n"
PRIVATE_KEY = "-----BEGIN PRIVATE KEY-----\nplanted-origin-ca-key-4f1d\n-----END PRIVATE KEY-----\n"


def configured(stack: str, **sections: dict[str, Any]) -> dict[str, str]:
    config = stack_config(stack)
    for key, changes in sections.items():
        config[f"{PROJECT}:{key}"] = json.dumps(json.loads(config.get(f"{PROJECT}:{key}", "{}")) | changes)
    return config


def test_the_cdn_is_exposed_through_an_ingress_with_tls_for_every_hostname(synthesis: Synthesis) -> None:
    hostnames = load_settings(stack_config(synthesis.stack), synthesis.stack).cloudflare.hostnames
    (ingress,) = synthesis.of_type(INGRESS)
    spec = ingress.inputs["spec"]
    assert spec["ingressClassName"] == "nginx"
    assert spec["tls"] == [{"hosts": hostnames, "secretName": "cdn-tls"}]
    backend = {"service": {"name": "cdn", "port": {"name": "http"}}}
    assert spec["rules"] == [
        {"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]}}
        for host in hostnames
    ]
    (certificate,) = synthesis.of_type(CERTIFICATE)
    assert certificate.inputs["spec"]["secretName"] == "cdn-tls"
    assert certificate.inputs["spec"]["dnsNames"] == hostnames
    assert certificate.inputs["spec"]["issuerRef"] == {
        "name": "cloudflare-origin-ca",
        "kind": "OriginClusterIssuer",
        "group": "cert-manager.k8s.cloudflare.com",
    }
    # The Ingress comes up only once cert-manager has issued the certificate.
    assert certificate.inputs["metadata"]["annotations"] == {"pulumi.com/waitFor": "condition=Ready"}
    assert certificate.urn in ingress.depends_on


def test_the_public_address_is_a_stack_output_and_cloudflares_origin(synthesis: Synthesis) -> None:
    assert synthesis.outputs["cdnAddress"] == OFFLINE_LOAD_BALANCER
    records = synthesis.of_type(DNS_RECORD)
    assert records and {(r.inputs["type"], r.inputs["content"]) for r in records} == {
        ("CNAME", OFFLINE_LOAD_BALANCER)
    }


def test_review_stacks_are_never_exposed() -> None:
    review = synthesized(REVIEW_STACK)
    assert review.of_type(INGRESS) == [] and review.of_type(CERTIFICATE) == []
    assert "cdnAddress" not in review.outputs
    assert all(
        r.inputs["spec"]["type"] == "ClusterIP"
        for r in review.of_type(SERVICE)
        if "clusterIP" not in r.inputs["spec"]
    )


def test_an_origin_ca_certificate_from_the_settings_is_a_tls_secret_whose_key_never_shows() -> None:
    tls = {"source": "originCa", "certificate": CERTIFICATE_PEM}
    config = configured("staging", cdn={"exposure": {"type": "ingress", "tls": tls}})
    config[f"{PROJECT}:cdnTlsPrivateKey"] = PRIVATE_KEY
    synthesis = synthesize("staging", config, secret_keys=[f"{PROJECT}:cdnTlsPrivateKey"])
    assert synthesis.of_type(CERTIFICATE) == []
    (secret,) = [
        r for r in synthesis.of_type("kubernetes:core/v1:Secret") if r.name == "cdn-public-origin-ca"
    ]
    assert secret.inputs["type"] == "kubernetes.io/tls"
    assert secret.inputs["metadata"]["name"] == "cdn-tls"
    documents = rendered_documents(synthesis.resources)
    (rendered,) = [
        doc
        for path, doc in documents.items()
        if path == "kubernetes/secret_technovastore-staging_cdn-tls.yaml"
    ]
    assert rendered["stringData"] == {"tls.crt": "[secret]", "tls.key": "[secret]"}
    assert "planted-origin-ca-key" not in json.dumps(documents)


def test_an_origin_ca_key_in_plain_text_is_refused() -> None:
    tls = {"source": "originCa", "certificate": CERTIFICATE_PEM}
    config = configured("staging", cdn={"exposure": {"type": "ingress", "tls": tls}})
    config[f"{PROJECT}:cdnTlsPrivateKey"] = PRIVATE_KEY
    with pytest.raises(SettingsError) as raised:
        load_settings(config, "staging")
    assert str(raised.value).endswith(
        f"{PROJECT}:cdnTlsPrivateKey: must be a secret, not plain text in the stack file: "
        "pulumi config set --secret cdnTlsPrivateKey <value> --stack staging"
    )
    assert "planted-origin-ca-key" not in str(raised.value)


def test_a_load_balancer_serves_a_stack_without_cloudflare() -> None:
    config = configured("staging", cloudflare={"enabled": False}, cdn={"exposure": {"type": "loadBalancer"}})
    synthesis = synthesize("staging", config)
    (public,) = [
        r.inputs for r in synthesis.of_type(SERVICE) if r.inputs["spec"].get("type") == "LoadBalancer"
    ]
    assert public["spec"]["ports"] == [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]
    assert public["spec"]["externalTrafficPolicy"] == "Local"
    assert synthesis.outputs["cdnAddress"] == OFFLINE_LOAD_BALANCER


@pytest.mark.parametrize(
    ("sections", "expected"),
    [
        (
            {"cdn": {"exposure": {"type": "loadBalancer"}}},
            "cdn.exposure.type = 'loadBalancer': serves plain HTTP, which Cloudflare's strict SSL refuses",
        ),
        (
            {"cdn": {"exposure": {"type": "none"}}},
            "cloudflare.originAddress = None: is required when enabled and cdn.exposure.type is none",
        ),
        (
            {"cloudflare": {"originAddress": "cdn-origin.technovastore.net"}},
            "cloudflare.originAddress = 'cdn-origin.technovastore.net': must not be set with "
            "cdn.exposure.type ingress",
        ),
        (
            {"cdn": {"exposure": {"type": "ingress"}}},
            "cdn.exposure.tls = None: is required with type ingress",
        ),
        (
            {"cdn": {"exposure": {"type": "ingress", "tls": {"source": "certManager"}}}},
            "cdn.exposure.tls.issuer = None: is required with source certManager",
        ),
        (
            {
                "cdn": {
                    "exposure": {
                        "type": "ingress",
                        "tls": {"source": "originCa", "certificate": CERTIFICATE_PEM},
                    }
                }
            },
            "cdnTlsPrivateKey = None: is required with cdn.exposure.tls.source originCa",
        ),
    ],
)
def test_an_exposure_that_cannot_serve_cloudflare_is_refused(sections: dict[str, Any], expected: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(configured("production", **sections), "production")
    assert f"{PROJECT}:{expected}" in str(raised.value)
