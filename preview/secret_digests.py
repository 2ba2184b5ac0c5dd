"""Whether a secret value changed, without showing it: salted digests compared in one process.

Renderings show every secret as ``[secret]``, so two of them cannot tell a rotated password
from an unchanged one. The preview computes an HMAC-SHA256 of each secret's plain text with a
key that exists only in its own process (random, never written, never printed), and compares
the digests of both sides. For ``--against-ref`` the base revision is rendered by a child
process: the parent hands it the key through :data:`KEY_ENVIRONMENT`, and the child writes its
digests into the temporary rendering (:data:`DIGESTS_FILE`) the parent reads and deletes.
Digests made with another key are never compared (the key's own HMAC travels with them).
"""

from __future__ import annotations

import copy
import functools
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Mapping
from typing import Any

from preview.synth import DeclaredResource, is_secret

KEY_ENVIRONMENT = "PREVIEW_SECRET_DIGEST_KEY"
DIGESTS_FILE = "secret-digests.yaml"
MARKER_PREFIX = "[secret "

Keys = tuple[str | int, ...]
# One document's secrets: where each one is (document keys) and its digest.
SecretLeaves = list[tuple[Keys, str]]


@functools.cache
def process_key() -> bytes:
    """The key of this process: the parent's (from the environment) or a fresh random one."""
    given = os.environ.get(KEY_ENVIRONMENT)
    return bytes.fromhex(given) if given else secrets.token_bytes(32)


def key_id(key: bytes) -> str:
    """Names the key without revealing it, so digests of different keys are never compared."""
    return hmac.new(key, b"technovastore preview digest key", hashlib.sha256).hexdigest()[:16]


def digest(key: bytes, value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def secret_leaves(resource: DeclaredResource, key: bytes) -> SecretLeaves:
    """The digest of every secret in the resource's rendered document, by its position there.

    A secret map (a Secret's ``stringData``) keeps its keys in the rendering, so each entry is
    a leaf of its own; so is each element of a secret list.
    """
    prefix: Keys = () if resource.is_kubernetes else ("inputs",)
    leaves: SecretLeaves = []

    def walk(value: Any, keys: Keys) -> None:
        if is_secret(value):
            inner = value.get("value")
            if isinstance(inner, dict):
                leaves.extend(((*keys, name), digest(key, item)) for name, item in inner.items())
            elif isinstance(inner, list):
                leaves.extend(((*keys, index), digest(key, item)) for index, item in enumerate(inner))
            else:
                leaves.append((keys, digest(key, inner)))
        elif isinstance(value, dict):
            for name, item in value.items():
                walk(item, (*keys, name))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, (*keys, index))

    walk(resource.inputs, prefix)
    return leaves


def with_digests(document: Mapping[str, Any], leaves: SecretLeaves) -> Any:
    """A copy of the rendered document whose secret markers carry their digests (memory only)."""
    if not leaves:
        return document
    shadow = copy.deepcopy(dict(document))
    for keys, value in leaves:
        _replace_existing(shadow, keys, f"{MARKER_PREFIX}{value}]")
    return shadow


def _replace_existing(root: Any, keys: Keys, value: str) -> None:
    """Set ``value`` at ``keys`` when that position is in the document (Pulumi bookkeeping is not)."""
    *parents, last = keys
    node = root
    try:
        for key in parents:
            node = node[key]
        node[last]  # only a position that exists is replaced
    except (KeyError, IndexError, TypeError):
        return
    node[last] = value


def is_marker(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(MARKER_PREFIX)
