"""Container images: pinned references from trusted registries.

References are parsed the way the container runtime parses them (components/images), so
``host:5000/img`` is an untagged image from registry ``host:5000``, not an image tagged 5000.
"""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from components.images import InvalidImageReference, parse_image_reference, unpinned_reason
from policies.kube import containers
from policies.spec import ADVISORY, Report, pod_policy, resource_policy, settings
from policies.workloads import PodTemplate

DOCKER_HUB = "docker.io"


def _pinned(args: ResourceValidationArgs, pod: PodTemplate, report: Report) -> None:
    for c in containers(pod.spec):
        image = c.container.get("image")
        if not isinstance(image, str) or not image:
            report(f"{c.label} names no image; set a pinned image reference")
            continue
        reason = unpinned_reason(image)
        if reason:
            report(f"{c.label}: {reason}")


_REGISTRY_CONFIG = {
    "registries": {
        "type": "array",
        "items": {"type": "string"},
        # Our own images, Docker Hub's official and vendor images, and mtail's upstream image
        # (the CDN's log-to-metrics sidecar; its maintainer publishes only to ghcr.io).
        "default": ["ghcr.io/technovastore", "docker.io", "ghcr.io/jaqx0r/mtail"],
        "description": "registries (optionally with a repository prefix) images may come from",
    }
}


def _registry_of(image: str) -> str | None:
    try:
        reference = parse_image_reference(image)
    except InvalidImageReference:
        return None  # k8s-image-pinned reports malformed references
    return f"{reference.registry or DOCKER_HUB}/{reference.repository}"


def _trusted_registry(args: ResourceValidationArgs, pod: PodTemplate, report: Report) -> None:
    allowed = [prefix.rstrip("/") for prefix in settings(args, _REGISTRY_CONFIG)["registries"]]
    for c in containers(pod.spec):
        image = c.container.get("image")
        location = _registry_of(image) if isinstance(image, str) else None
        if location and not any(location == p or location.startswith(p + "/") for p in allowed):
            report(f"{c.label} pulls {image!r} from an untrusted registry; use one of {allowed}")


POLICIES = [
    resource_policy(
        name="k8s-image-pinned",
        description="Every container image is pinned: a version tag other than 'latest', or a digest.",
        severity=Severity.HIGH,
        validate=pod_policy(_pinned),
    ),
    resource_policy(
        name="k8s-image-trusted-registry",
        description="Images come from the registries the platform trusts.",
        severity=Severity.MEDIUM,
        enforcement=ADVISORY,
        validate=pod_policy(_trusted_registry),
        config=_REGISTRY_CONFIG,
    ),
]
