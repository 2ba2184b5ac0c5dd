"""Cloudflare's edge, read from its documentation: URL normalization, rule expressions, cache rules.

What a request looks like to the rules, and what the matching cache rules decide, so tests can
ask "is this request cached?" of the very rule dicts the program declares.

- URL normalization ("Cloudflare" type, before rules run):
  https://developers.cloudflare.com/rules/normalization/how-it-works/
- Fields: https://developers.cloudflare.com/ruleset-engine/rules-language/fields/standard-fields/
  and .../fields/http-request-header/ (header map keys lowercased, names as sent).
- Expressions: .../rules-language/operators/ (``not`` binds tightest, then ``and``, ``xor``,
  ``or``), .../values/ (arrays, ``[*]`` maps the enclosing function over the elements, a
  missing map key is a missing value), .../functions/.
- Cache rules: https://developers.cloudflare.com/cache/how-to/cache-rules/order/ — every
  matching rule applies, in order; when several set the same setting, the last one wins.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from components.edge.rules_language import Token, tokenize

# Cloudflare caches these by default (no rule needed), judged by the file extension:
# https://developers.cloudflare.com/cache/how-to/cache-rules/page-rules-migration/
DEFAULT_CACHED_EXTENSIONS = frozenset(
    {
        *("7z", "avi", "avif", "apk", "bin", "bmp", "bz2", "class", "css", "csv", "doc", "docx", "dmg"),
        *("ejs", "eot", "eps", "exe", "flac", "gif", "gz", "ico", "iso", "jar", "jpg", "jpeg", "js", "mid"),
        *("midi", "mkv", "mp3", "mp4", "ogg", "otf", "pdf", "pict", "pls", "png", "ppt", "pptx", "ps"),
        *("rar", "svg", "svgz", "swf", "tar", "tif", "tiff", "ttf", "webm", "webp", "woff", "woff2"),
        *("xls", "xlsx", "zip", "zst"),
    }
)
_UNRESERVED_ESCAPE = re.compile(r"%(4[1-9A-F]|5[0-9A]|6[1-9A-F]|7[0-9A]|3[0-9]|2D|2E|5F|7E)", re.IGNORECASE)


def normalize_path(path: str) -> str:
    """Cloudflare URL normalization: backslashes, repeated slashes, then RFC 3986."""
    path = re.sub(r"/{2,}", "/", path.replace("\\", "/"))
    path = _UNRESERVED_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), path)
    path = re.sub(r"%[0-9a-f]{2}", lambda m: m.group().upper(), path)
    return _remove_dot_segments(path)


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4."""
    output: list[str] = []
    for segment in path.split("/")[1:]:
        if segment == "..":
            if output:
                output.pop()
        elif segment != ".":
            output.append(segment)
    trailing = "/" if path.endswith(("/.", "/..")) else ""
    return "/" + "/".join(output) + trailing


def path_extension(path: str) -> str:
    last = path.rsplit("/", 1)[-1]
    if "." not in last.lstrip(".") and last.startswith("."):
        return ""
    return last.rsplit(".", 1)[1].lower() if "." in last else ""


@dataclass(frozen=True)
class EdgeRequest:
    """A request as a client sends it to Cloudflare."""

    url: str
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()

    def fields(self) -> dict[str, Any]:
        parts = urlsplit(self.url)
        path = normalize_path(parts.path or "/")
        names = [name for name, _ in self.headers]
        header_map: dict[str, list[str]] = {}
        for name, value in self.headers:
            header_map.setdefault(name.lower(), []).append(value)
        return {
            "http.host": (parts.hostname or "").lower(),
            "http.request.method": self.method.upper(),
            "http.request.uri.path": path,
            "http.request.uri.path.extension": path_extension(path),
            "http.request.uri.query": parts.query,
            "http.request.uri": path + (f"?{parts.query}" if parts.query else ""),
            "http.request.full_uri": f"{parts.scheme}://{parts.netloc}{path}",
            "http.cookie": "; ".join(header_map.get("cookie", [])),
            "http.user_agent": (header_map.get("user-agent") or [""])[0],
            "http.request.headers": header_map,
            "http.request.headers.names": names,
            "http.request.headers.values": [value for _, value in self.headers],
            "ssl": parts.scheme == "https",
        }


class _Missing:
    """A missing value (absent map key, index out of range): every comparison with it is false."""


MISSING = _Missing()


class _Spread(list[Any]):
    """An array unpacked with ``[*]``: the enclosing function or comparison maps over it."""


def _compare(operator: str, left: Any, right: Any) -> Any:
    if isinstance(left, _Spread):
        return [_compare(operator, item, right) for item in left]
    if left is MISSING:
        return False
    if operator == "in":
        return left in right
    if operator == "contains":
        return right in left
    if operator in ("matches", "~"):
        return re.search(right, left) is not None
    return _COMPARISONS[operator](left, right)


_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    **dict.fromkeys(("eq", "=="), lambda a, b: a == b),
    **dict.fromkeys(("ne", "!="), lambda a, b: a != b),
    **dict.fromkeys(("lt", "<"), lambda a, b: a < b),
    **dict.fromkeys(("le", "<="), lambda a, b: a <= b),
    **dict.fromkeys(("gt", ">"), lambda a, b: a > b),
    **dict.fromkeys(("ge", ">="), lambda a, b: a >= b),
}
_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "lower": lambda value: value.lower() if isinstance(value, str) else MISSING,
    "upper": lambda value: value.upper() if isinstance(value, str) else MISSING,
    "len": lambda value: len(value) if isinstance(value, str | list) else MISSING,
    "starts_with": lambda value, prefix: isinstance(value, str) and value.startswith(prefix),
    "ends_with": lambda value, suffix: isinstance(value, str) and value.endswith(suffix),
    "any": lambda values: any(values),
    "all": lambda values: all(values),
}
_LOGICAL = (("or", "||"), ("xor", "^^"), ("and", "&&"))  # loosest first
_COMPARISON_WORDS = {*_COMPARISONS, "contains", "matches", "~", "in"}


class Expression:
    """A parsed rule expression: ``Expression(text).matches(request_fields)``."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._tokens = tokenize(text)
        self._position = 0
        self._tree = self._logical(0)
        if self._position != len(self._tokens):
            raise ValueError(f"unexpected {self._peek().text!r} in {text!r}")

    def matches(self, fields: Mapping[str, Any]) -> bool:
        result = self._tree(fields)
        if not isinstance(result, bool):
            raise ValueError(f"{self.text!r} is not a boolean expression")
        return result

    # Recursive descent; each method returns a function of the request's fields.

    def _peek(self) -> Token:
        return self._tokens[self._position] if self._position < len(self._tokens) else Token("other", "")

    def _take(self, *texts: str) -> Token:
        token = self._peek()
        if texts and token.text not in texts:
            raise ValueError(f"expected {texts} at {token.text!r} in {self.text!r}")
        self._position += 1
        return token

    def _logical(self, level: int) -> Callable[[Mapping[str, Any]], Any]:
        if level == len(_LOGICAL):
            return self._negation()
        operands = [self._logical(level + 1)]
        while self._peek().kind in ("word", "operator") and self._peek().text in _LOGICAL[level]:
            self._take()
            operands.append(self._logical(level + 1))
        if len(operands) == 1:
            return operands[0]
        combine = [any, lambda values: sum(values) % 2 == 1, all][level]
        return lambda fields: combine([operand(fields) for operand in operands])

    def _negation(self) -> Callable[[Mapping[str, Any]], Any]:
        if self._peek().text in ("not", "!") and self._peek().kind in ("word", "operator"):
            self._take()
            inner = self._negation()
            return lambda fields: not inner(fields)
        return self._comparison()

    def _comparison(self) -> Callable[[Mapping[str, Any]], Any]:
        left = self._value()
        if self._peek().text not in _COMPARISON_WORDS or self._peek().kind == "string":
            return left
        operator = self._take().text
        right = self._set() if operator == "in" else self._value()
        return lambda fields: _compare(operator, left(fields), right(fields))

    def _set(self) -> Callable[[Mapping[str, Any]], Any]:
        self._take("{")
        members: list[Any] = []
        while self._peek().text != "}":
            token = self._take()
            members.append(int(token.text) if token.kind == "number" else token.text)
        self._take("}")
        return lambda fields: members

    def _value(self) -> Callable[[Mapping[str, Any]], Any]:
        token = self._take()
        if token.text == "(" and token.kind == "punct":
            inner = self._logical(0)
            self._take(")")
            return self._indexed(inner)
        if token.kind == "string":
            return lambda fields: token.text
        if token.kind == "number":
            return lambda fields: int(token.text)
        if token.text in ("true", "false"):
            return lambda fields: token.text == "true"
        if self._peek().text == "(":
            return self._indexed(self._call(token.text))
        name = token.text
        return self._indexed(lambda fields: fields.get(name, MISSING))

    def _call(self, name: str) -> Callable[[Mapping[str, Any]], Any]:
        function = _FUNCTIONS[name]
        self._take("(")
        arguments = [self._logical(0)]
        while self._peek().text == ",":
            self._take(",")
            arguments.append(self._logical(0))
        self._take(")")

        def call(fields: Mapping[str, Any]) -> Any:
            values = [argument(fields) for argument in arguments]
            if isinstance(values[0], _Spread):
                return [function(item, *values[1:]) for item in values[0]]
            return function(*values)

        return call

    def _indexed(self, base: Callable[[Mapping[str, Any]], Any]) -> Callable[[Mapping[str, Any]], Any]:
        while self._peek().text == "[":
            self._take("[")
            key = self._take()
            self._take("]")
            base = _index(base, key)
        return base


def _index(base: Callable[[Mapping[str, Any]], Any], key: Token) -> Callable[[Mapping[str, Any]], Any]:
    def indexed(fields: Mapping[str, Any]) -> Any:
        value = base(fields)
        if key.text == "*":
            return _Spread(value) if isinstance(value, list) else MISSING
        if isinstance(value, Mapping):
            return value.get(key.text, MISSING)
        if isinstance(value, list) and key.kind == "number" and int(key.text) < len(value):
            return value[int(key.text)]
        return MISSING

    return indexed


@dataclass
class CacheDecision:
    """The cache settings a request ends up with, and which rules set them."""

    settings: dict[str, Any] = field(default_factory=dict)
    matched: list[str] = field(default_factory=list)

    @property
    def eligible(self) -> bool:
        """Eligible for cache: the rules said so, or by default for a cacheable extension."""
        return bool(self.settings["cache"])

    @property
    def deception_armor(self) -> bool:
        return bool((self.settings.get("cache_key") or {}).get("cache_deception_armor"))


def decide_cache(rules: Sequence[Mapping[str, Any]], request: EdgeRequest) -> CacheDecision:
    """Apply every enabled matching ``set_cache_settings`` rule in order; later settings win."""
    fields = request.fields()
    decision = CacheDecision(settings={"cache": None})
    for rule in rules:
        if rule.get("enabled") is False or not Expression(rule["expression"]).matches(fields):
            continue
        decision.matched.append(rule["ref"])
        decision.settings.update(rule["action_parameters"])
    if decision.settings["cache"] is None:
        decision.settings["cache"] = fields["http.request.uri.path.extension"] in DEFAULT_CACHED_EXTENSIONS
    return decision
