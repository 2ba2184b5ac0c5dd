"""What the diff asks of a provider, so each provider's knowledge lives in its own module."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from preview.diff_fields import FieldChange

Document = Mapping[str, Any]


@dataclass(frozen=True)
class Provider:
    # The first part of the provider's type tokens (``kubernetes``, ``cloudflare``).
    prefix: str
    # ``kubernetes:apps/v1:Deployment`` and ``ns/name`` as ``pulumi preview`` shows a resource.
    type_token: Callable[[Document], str]
    display_name: Callable[[Document], str]
    # The thing the resource manages outside Pulumi (None: nothing), to recognise a rename.
    identity: Callable[[Document], tuple[str, ...] | None]
    # The part of the rendered document the provider diffs.
    body: Callable[[Document], Any]
    # Whether a field change (of a resource of this type, new body, provider settings) forces a new one.
    forces_new: Callable[[str, FieldChange, Document, Mapping[str, str]], bool]
    # Whether a replacement deletes the old resource before creating the new one (old, new body).
    delete_before_replace: Callable[[Document, Document], bool]
