"""Container image references: parse them the way the container runtime does.

A reference is ``[registry[:port]/]repository[:tag][@digest]``. The registry part is only
a registry when it contains a dot or a colon or is ``localhost``; so ``host:5000/img`` is
the image ``img`` from registry ``host:5000`` *without* a tag, not an image tagged ``5000``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DIGEST = re.compile(r"^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-fA-F0-9]{32,}$")
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
_REPOSITORY = re.compile(
    r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$"
)


@dataclass(frozen=True)
class ImageReference:
    registry: str | None
    repository: str
    tag: str | None
    digest: str | None

    @property
    def is_pinned(self) -> bool:
        """Pinned means a digest, or an explicit tag other than ``latest``."""
        return self.digest is not None or (self.tag is not None and self.tag != "latest")


class InvalidImageReference(ValueError):
    pass


def parse_image_reference(reference: str) -> ImageReference:
    """Split an image reference into registry, repository, tag and digest."""
    if not reference or reference != reference.strip():
        raise InvalidImageReference(f"image reference {reference!r} is empty or has whitespace")
    remainder, digest = reference, None
    if "@" in remainder:
        remainder, digest = remainder.split("@", 1)
        if not _DIGEST.match(digest):
            raise InvalidImageReference(f"image reference {reference!r} has a malformed digest")
    registry = None
    first, sep, rest = remainder.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        registry, remainder = first, rest
    tag = None
    name, colon, maybe_tag = remainder.rpartition(":")
    if colon:
        remainder, tag = name, maybe_tag
        if not _TAG.match(tag):
            raise InvalidImageReference(f"image reference {reference!r} has a malformed tag {tag!r}")
    if not _REPOSITORY.match(remainder):
        raise InvalidImageReference(f"image reference {reference!r} has a malformed repository name")
    return ImageReference(registry=registry, repository=remainder, tag=tag, digest=digest)


def unpinned_reason(reference: str) -> str | None:
    """Why ``reference`` is not a pinned image, or None when it is pinned."""
    try:
        image = parse_image_reference(reference)
    except InvalidImageReference as error:
        return str(error)
    if image.tag == "latest" and image.digest is None:
        return f"image {reference!r} uses the mutable tag 'latest'; pin a version tag or digest"
    if not image.is_pinned:
        return f"image {reference!r} has no tag or digest; pin a version tag or digest"
    return None
