"""Tokens of Cloudflare's Rules language, enough to tell what an expression uses.

The settings read user-written expressions (WAF custom rules) to find what a plan does not
allow: the regex operator ``matches`` / ``~`` (Business and up) and plan-bound fields. A
plain substring search would also find those words inside string literals, so expressions
are split into tokens first. Grammar, from Cloudflare's reference:
https://developers.cloudflare.com/ruleset-engine/rules-language/values/ (quoted strings with
``\\"`` and ``\\\\`` escapes; raw strings ``r"..."`` / ``r#"..."#``) and
https://developers.cloudflare.com/ruleset-engine/rules-language/operators/ (English and
C-like operators).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Literal

TokenKind = Literal["string", "number", "word", "operator", "punct", "other"]

# Longest first, so "==" is one token and not two "=".
_OPERATORS = ("==", "!=", "<=", ">=", "&&", "||", "^^", "<", ">", "~", "!")
_PUNCT = "(){}[],*"
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
# Numbers, IP addresses and CIDR ranges (inline lists may hold them): one token each.
_NUMBER = re.compile(r"[0-9][0-9A-Fa-f:./]*")
_RAW_STRING = re.compile(r'r(#*)"')


class ExpressionSyntaxError(ValueError):
    """The expression cannot be split into tokens (an unterminated string)."""


@dataclass(frozen=True)
class Token:
    kind: TokenKind
    text: str  # a string token holds its decoded value, without quotes


def tokenize(expression: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(expression):
        char = expression[position]
        if char.isspace():
            position += 1
            continue
        token, position = _next_token(expression, position)
        tokens.append(token)
    return tokens


def _next_token(expression: str, position: int) -> tuple[Token, int]:
    raw = _RAW_STRING.match(expression, position)
    if raw:
        return _raw_string(expression, raw.end(), len(raw.group(1)))
    if expression[position] == '"':
        return _quoted_string(expression, position + 1)
    word = _WORD.match(expression, position)
    if word:
        return Token("word", word.group()), word.end()
    number = _NUMBER.match(expression, position)
    if number:
        return Token("number", number.group()), number.end()
    for operator in _OPERATORS:
        if expression.startswith(operator, position):
            return Token("operator", operator), position + len(operator)
    kind: TokenKind = "punct" if expression[position] in _PUNCT else "other"
    return Token(kind, expression[position]), position + 1


def _quoted_string(expression: str, start: int) -> tuple[Token, int]:
    value: list[str] = []
    position = start
    while position < len(expression):
        char = expression[position]
        if char == "\\" and position + 1 < len(expression):
            value.append(expression[position + 1])
            position += 2
        elif char == '"':
            return Token("string", "".join(value)), position + 1
        else:
            value.append(char)
            position += 1
    raise ExpressionSyntaxError(f"unterminated string starting at character {start}")


def _raw_string(expression: str, start: int, hashes: int) -> tuple[Token, int]:
    end = expression.find('"' + "#" * hashes, start)
    if end < 0:
        raise ExpressionSyntaxError(f"unterminated raw string starting at character {start}")
    return Token("string", expression[start:end]), end + 1 + hashes


def uses_regex(tokens: list[Token]) -> bool:
    """The ``matches`` operator, in English or C-like notation."""
    return any(
        (token.kind == "word" and token.text == "matches") or (token.kind == "operator" and token.text == "~")
        for token in tokens
    )


def fields_used(tokens: list[Token]) -> set[str]:
    """Every word that is not an operator, keyword or function name: the fields."""
    words = {token.text for token in tokens if token.kind == "word"}
    functions = {
        token.text
        for token, following in itertools.pairwise(tokens)
        if token.kind == "word" and following.text == "("
    }
    return words - functions - KEYWORDS


KEYWORDS = frozenset(
    {
        *("eq", "ne", "lt", "le", "gt", "ge", "contains", "matches", "in", "wildcard", "strict"),
        *("and", "or", "xor", "not", "true", "false"),
    }
)
