"""Pod rolls on purpose: a pod template that changes whenever what its containers read changes.

Two mechanisms, one per kind of object:

- ConfigMaps the program renders are named after their content (``cdn-nginx-<hash>``) and
  immutable. A change is a new ConfigMap: Pulumi creates it, the Deployment rolls onto it,
  and the old one is deleted last, so no pod ever starts without its config, and nothing
  depends on the provider's ``enableConfigMapMutable``.
- Secrets keep their names (clients and other stacks refer to them), so the pods that read
  one carry a checksum of exactly the values they read as a pod-template annotation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import pulumi

SECRET_CHECKSUM_ANNOTATION = "technovastore.io/secret-checksum"
NAME_HASH_LENGTH = 10


def content_hash(files: Mapping[str, str]) -> str:
    """A digest of ``files`` (name -> text) that changes whenever any name or text does."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name].encode() + b"\0")
    return digest.hexdigest()


def content_named(base: str, files: Mapping[str, str]) -> str:
    """``<base>-<hash>``: a ConfigMap name that is new whenever its content is."""
    return f"{base}-{content_hash(files)[:NAME_HASH_LENGTH]}"


def secret_checksum(values: Mapping[str, pulumi.Input[str]]) -> pulumi.Output[str]:
    """A plain (not secret) digest of the Secret ``values`` a pod reads, keyed by Secret and key.

    Only for generated, high-entropy values (32 random letters and digits): their SHA-256
    reveals nothing, and a plain annotation keeps the pod template reviewable in diffs.
    """
    keys = sorted(values)
    combined = pulumi.Output.all(*(values[key] for key in keys)).apply(
        lambda resolved: content_hash(dict(zip(keys, resolved, strict=True)))
    )
    return pulumi.Output.unsecret(combined)
