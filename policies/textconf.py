"""Reading configuration text (redis.conf, sentinel.conf, nginx.conf) carried in ConfigMaps."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from policies.kube import mapping

# A value that is filled in at start-up, not a literal: $VAR, ${VAR}, {{ .x }}, __PLACEHOLDER__.
_PLACEHOLDER = re.compile(r"""^["']?(\$|\{\{|__[A-Z0-9_]+__)""")


def is_placeholder(value: str) -> bool:
    return bool(_PLACEHOLDER.match(value))


def configmap_texts(props: Mapping[str, Any]) -> dict[str, str]:
    """A ConfigMap's text entries by key (binaryData is not text)."""
    return {str(k): v for k, v in mapping(props.get("data")).items() if isinstance(v, str)}


def directives(text: str) -> Iterator[list[str]]:
    """Non-comment lines of a Redis-style config, split into words (quotes respected)."""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            yield shlex.split(stripped)
        except ValueError:
            yield stripped.split()


@dataclass
class NginxBlock:
    """One ``{ ... }`` context (or the main context) with the directives written directly in it."""

    context: str
    directives: list[list[str]] = field(default_factory=list)


def _nginx_tokens(text: str) -> Iterator[str]:
    """Words, quoted strings (unquoted) and the three punctuation tokens ``{ } ;``; comments dropped."""
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch == "#":
            while i < n and text[i] != "\n":
                i += 1
        elif ch in "{};":
            yield ch
            i += 1
        elif ch in "\"'":
            end = text.find(ch, i + 1)
            end = n if end < 0 else end
            yield text[i + 1 : end]
            i = end + 1
        else:
            start = i
            while i < n and not text[i].isspace() and text[i] not in "{};\"'":
                i += 1
            yield text[start:i]


def nginx_blocks(text: str, includes: Mapping[str, str] | None = None, _depth: int = 0) -> list[NginxBlock]:
    """Every context of an NGINX config; ``include`` of a file found in ``includes`` is inlined."""
    includes = includes or {}
    blocks = [NginxBlock("main")]
    stack = [blocks[0]]
    words: list[str] = []
    for token in _nginx_tokens(text):
        if token == "{":
            block = NginxBlock(" ".join(words) or "block")
            blocks.append(block)
            stack.append(block)
            words = []
        elif token == "}":
            if len(stack) > 1:
                stack.pop()
            words = []
        elif token == ";":
            if words:
                _add_directive(stack[-1], words, includes, _depth)
            words = []
        else:
            words.append(token)
    return blocks


def _add_directive(block: NginxBlock, words: list[str], includes: Mapping[str, str], depth: int) -> None:
    if words[0] == "include" and len(words) > 1 and depth < 5:
        included = includes.get(words[1].rsplit("/", 1)[-1])
        if included is not None:
            main = nginx_blocks(included, includes, depth + 1)[0]
            block.directives.extend(main.directives)
            return
    block.directives.append(words)


def is_nginx_config(key: str, text: str) -> bool:
    return key.endswith("nginx.conf") or bool(re.search(r"^\s*(http|server|location)\b[^;{]*\{", text, re.M))


def configmap_nginx_blocks(props: Mapping[str, Any]) -> list[NginxBlock]:
    """Every context of the NGINX config(s) a ConfigMap carries, includes from the same ConfigMap inlined."""
    texts = configmap_texts(props)
    includes = {key.rsplit("/", 1)[-1]: text for key, text in texts.items()}
    return [
        block
        for key, text in texts.items()
        if is_nginx_config(key, text)
        for block in nginx_blocks(text, includes)
    ]
