"""The Cloudflare rules a stack configures: cache rules, rate limits, WAF rules, bot settings.

Each model checks what the API accepts whatever the plan; what the zone's plan allows is
checked by CloudflareSettings against the table in cloudflare_plans.py.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from components.edge.rules_language import ExpressionSyntaxError, tokenize
from components.settings.base import SettingsModel, cross_field_error
from components.settings.cloudflare_plans import RATE_LIMIT_SECONDS, ManagedRuleset

# The API's values (https://developers.cloudflare.com/ruleset-engine/rules-language/actions/).
ChallengeAction = Literal["managed_challenge", "js_challenge", "challenge"]
RateLimitAction = Literal["block", "managed_challenge", "js_challenge", "challenge", "log"]
WafAction = Literal["block", "managed_challenge", "js_challenge", "challenge", "log"]
BotAction = Literal["allow", "block", "managed_challenge"]
CHALLENGE_ACTIONS: tuple[str, ...] = ("managed_challenge", "js_challenge", "challenge")

_URL_PATH = re.compile(r"^/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$")
_RULE_REF = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_EXTENSION = re.compile(r"^[a-z0-9]{1,10}$")
# Cloudflare's maximum length of a rule expression.
MAX_EXPRESSION_LENGTH = 4096


def matches(pattern: re.Pattern[str], expected: str) -> AfterValidator:
    def check(value: str) -> str:
        if not pattern.match(value):
            raise ValueError(expected)
        return value

    return AfterValidator(check)


def _valid_expression(expression: str) -> str:
    try:
        tokenize(expression)
    except ExpressionSyntaxError as error:
        raise ValueError(f"is not a valid rule expression: {error}") from None
    if len(expression) > MAX_EXPRESSION_LENGTH:
        raise ValueError(f"is longer than Cloudflare's {MAX_EXPRESSION_LENGTH} characters")
    return expression


# Characters that may appear in a path without breaking out of a quoted rule-language string.
UrlPath = Annotated[
    str, matches(_URL_PATH, "must be a URL path starting with '/' (no quotes, backslashes or spaces)")
]
RuleRef = Annotated[
    str, matches(_RULE_REF, "must be lowercase letters, digits and '_', starting with a letter")
]
Extension = Annotated[str, matches(_EXTENSION, "must be a file extension without the dot, e.g. 'css'")]
RuleExpression = Annotated[str, Field(min_length=1), AfterValidator(_valid_expression)]


class RateLimitRule(SettingsModel):
    """Requests to these path prefixes are counted per client IP and Cloudflare colo.

    Paths only: the Free plan allows nothing but the path in a rate-limiting expression.
    """

    ref: RuleRef
    description: str = Field(min_length=1)
    paths: list[UrlPath] = Field(min_length=1)
    requests_per_period: int = Field(gt=0)
    period: int
    # How long a client stays blocked; 0 throttles instead (what challenges do below Enterprise).
    mitigation_timeout: int = 10
    action: RateLimitAction = "block"

    @model_validator(mode="after")
    def _api_values(self) -> RateLimitRule:
        if self.period not in RATE_LIMIT_SECONDS:
            raise cross_field_error("period", self.period, f"must be one of {_seconds(RATE_LIMIT_SECONDS)}")
        if self.mitigation_timeout not in (0, *RATE_LIMIT_SECONDS):
            message = f"must be 0 or one of {_seconds(RATE_LIMIT_SECONDS)}"
            raise cross_field_error("mitigationTimeout", self.mitigation_timeout, message)
        return self


def _seconds(values: tuple[int, ...]) -> str:
    return ", ".join(str(value) for value in values) + " seconds"


class WafRule(SettingsModel):
    """A WAF custom rule: either path prefixes (probes to block) or a rules-language expression."""

    ref: RuleRef
    description: str = Field(min_length=1)
    action: WafAction
    paths: list[UrlPath] = Field(default_factory=list)
    expression: RuleExpression | None = None

    @model_validator(mode="after")
    def _paths_or_expression(self) -> WafRule:
        if bool(self.paths) == (self.expression is not None):
            raise cross_field_error("expression", self.expression, "set exactly one of paths and expression")
        return self


class EdgeCacheSettings(SettingsModel):
    """Cache rules; the product pages' edge TTL is ``productEdgeTtl``, else ``cacheTtl.product``."""

    static_extensions: list[Extension] = Field(
        default_factory=lambda: [
            *("css", "js", "mjs", "map", "png", "jpg", "jpeg", "gif", "webp", "avif", "svg", "ico"),
            *("woff", "woff2", "ttf"),
        ],
        min_length=1,
    )
    static_paths: list[UrlPath] = Field(default_factory=lambda: ["/static/", "/assets/", "/images/"])
    static_edge_ttl: int = Field(default=30 * 86400, gt=0)
    static_browser_ttl: int = Field(default=7 * 86400, gt=0)
    product_paths: list[UrlPath] = Field(
        default_factory=lambda: ["/products/", "/api/products/"], min_length=1
    )
    # The plan's shortest edge TTL can be longer than cacheTtl.product (Pro: 1 h): a purge
    # (python -m purge product <id>) is what makes a changed product fresh anyway.
    product_edge_ttl: int | None = Field(default=None, gt=0)
    # Short: a purge reaches the edge but never a browser's cache.
    product_browser_ttl: int = Field(default=60, ge=0)
    bypass_paths: list[UrlPath] = Field(
        default_factory=lambda: [
            *("/cart", "/checkout", "/account", "/login", "/logout"),
            *("/api/cart", "/api/orders", "/api/auth", "/api/users"),
        ],
        min_length=1,
    )


class BotSettings(SettingsModel):
    """Bot Fight Mode on Free; Super Bot Fight Mode on paid plans (unset: the plan's default)."""

    enabled: bool = True
    definitely_automated: BotAction | None = None
    likely_automated: BotAction | None = None
    verified_bots: Literal["allow", "block"] | None = None
    static_resource_protection: bool | None = None


DEFAULT_RATE_LIMITS = [
    RateLimitRule(
        ref="login",
        description="Slow down credential stuffing on the login endpoints",
        paths=["/api/auth/login", "/login"],
        requests_per_period=10,
        period=60,
        mitigation_timeout=60,
    ),
    RateLimitRule(
        ref="api",
        description="Cap API calls per client",
        paths=["/api/"],
        requests_per_period=600,
        period=60,
        mitigation_timeout=0,
        action="managed_challenge",
    ),
]

DEFAULT_WAF_RULES = [
    WafRule(
        ref="block_probes",
        description="Block probes for well-known attack paths",
        action="block",
        paths=[
            *("/.env", "/.git", "/.svn", "/.hg", "/.aws", "/.ssh", "/.DS_Store"),
            *("/wp-admin", "/wp-login.php", "/xmlrpc.php", "/phpmyadmin", "/server-status", "/cgi-bin"),
        ],
    ),
    WafRule(
        ref="block_unknown_methods",
        description="Block methods the store never serves",
        action="block",
        expression='not http.request.method in {"GET" "HEAD" "POST" "PUT" "PATCH" "DELETE" "OPTIONS"}',
    ),
    WafRule(
        ref="challenge_anonymous_clients",
        description="Challenge requests without a User-Agent",
        action="managed_challenge",
        expression='http.user_agent eq ""',
    ),
]

# The managed rulesets each plan runs by default (ids: https://developers.cloudflare.com/waf/managed-rules/).
MANAGED_RULESET_IDS: dict[str, str] = {
    "free_managed": "77454fe2d30c4220b5701f6fdfb893ba",
    "cloudflare_managed": "efb7b8c949ac4650a09736fc376e9aee",
    "owasp_core": "4814384a9e5d4991b9815dcfc25d2f1f",
}


def default_managed_rulesets(free_plan: bool) -> list[ManagedRuleset]:
    # The Cloudflare Managed Ruleset covers the free one; OWASP scoring is opt-in (false positives).
    return ["free_managed"] if free_plan else ["cloudflare_managed"]
