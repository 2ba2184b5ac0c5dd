"""NGINX config syntax shared by the CDN's renderers."""

from __future__ import annotations


def block(head: str, body: list[str]) -> list[str]:
    """``head { body }`` with the body indented; nested blocks indent again."""
    return [f"{head} {{", *[f"    {line}" if line else "" for line in body], "}"]
