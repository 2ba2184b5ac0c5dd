import pytest

from components.images import InvalidImageReference, parse_image_reference, unpinned_reason

DIGEST = "sha256:" + "a" * 64


@pytest.mark.parametrize(
    ("reference", "registry", "repository", "tag", "digest"),
    [
        ("redis:7.2.5", None, "redis", "7.2.5", None),
        ("ghcr.io/org/app:1.0", "ghcr.io", "org/app", "1.0", None),
        ("host:5000/img", "host:5000", "img", None, None),
        ("host:5000/img:2", "host:5000", "img", "2", None),
        ("localhost/team/img:v1", "localhost", "team/img", "v1", None),
        (f"nginx@{DIGEST}", None, "nginx", None, DIGEST),
        (f"nginx:1.27@{DIGEST}", None, "nginx", "1.27", DIGEST),
    ],
)
def test_parses_references_like_the_runtime(
    reference: str, registry: str | None, repository: str, tag: str | None, digest: str | None
) -> None:
    image = parse_image_reference(reference)
    assert (image.registry, image.repository, image.tag, image.digest) == (registry, repository, tag, digest)


@pytest.mark.parametrize("reference", ["redis", "redis:latest", "host:5000/img", "ghcr.io/org/app"])
def test_unpinned_references_say_why(reference: str) -> None:
    reason = unpinned_reason(reference)
    assert reason is not None and reference in reason


@pytest.mark.parametrize("reference", ["redis:7.2.5", f"redis@{DIGEST}", f"redis:latest@{DIGEST}"])
def test_pinned_references(reference: str) -> None:
    assert unpinned_reason(reference) is None


@pytest.mark.parametrize("reference", ["", " redis:1", "Redis:1", "redis:bad tag", "redis@sha256:xyz"])
def test_malformed_references_are_rejected(reference: str) -> None:
    with pytest.raises(InvalidImageReference):
        parse_image_reference(reference)
