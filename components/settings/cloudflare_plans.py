"""What each Cloudflare plan allows: one table, each row with the documentation page it comes from.

The settings check the stack's Cloudflare config against the row values of its plan, and the
README's plan table is rendered from here (a test keeps the two equal).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar, get_args

# Cloudflare's plans, from the smallest allowance to the largest.
Plan = Literal["free", "pro", "business", "enterprise"]
PLANS: tuple[Plan, ...] = get_args(Plan)
ManagedRuleset = Literal["free_managed", "cloudflare_managed", "owasp_core"]
Value = TypeVar("Value", int, bool, tuple[str, ...])

RATE_LIMITING = "https://developers.cloudflare.com/waf/rate-limiting-rules/#availability"
RATE_LIMIT_PARAMETERS = "https://developers.cloudflare.com/waf/rate-limiting-rules/parameters/"
CUSTOM_RULES = "https://developers.cloudflare.com/waf/custom-rules/"
OPERATORS = "https://developers.cloudflare.com/ruleset-engine/rules-language/operators/"
EDGE_TTL = "https://developers.cloudflare.com/cache/how-to/edge-browser-cache-ttl/"
MANAGED_RULES = "https://developers.cloudflare.com/waf/managed-rules/#availability"
BOTS = "https://developers.cloudflare.com/bots/plans/"
PURGE = "https://developers.cloudflare.com/cache/how-to/purge-cache/"
FIELDS = "https://developers.cloudflare.com/ruleset-engine/rules-language/fields/standard-fields/"

# Values the rate-limiting API takes for the counting period and the mitigation timeout (the
# plan bounds the largest); 0 as a timeout means "throttle" instead of "block for a while".
RATE_LIMIT_SECONDS: tuple[int, ...] = (10, 15, 20, 30, 40, 45, 60, 90, 120, 180, 240, 300, 480, 600)
RATE_LIMIT_SECONDS += (900, 1200, 1800, 2400, 3600, 65535, 86400)


@dataclass(frozen=True)
class Limit(Generic[Value]):
    """One row of the table: what it limits, its value per plan, and where Cloudflare says so."""

    title: str
    source: str
    values: tuple[Value, ...]  # in PLANS order

    def __post_init__(self) -> None:
        assert len(self.values) == len(PLANS), self.title

    def of(self, plan: Plan) -> Value:
        return self.values[PLANS.index(plan)]

    def smallest_plan(self, allows: Callable[[Value], bool]) -> Plan | None:
        return next((plan for plan in PLANS if allows(self.of(plan))), None)


def row(title: str, source: str, *values: Value) -> Limit[Value]:
    return Limit(title, source, values)


_FREE_RULESETS = ("free_managed",)
_PAID_RULESETS = ("free_managed", "cloudflare_managed", "owasp_core")


class PlanLimits:
    """The table (a namespace of rows)."""

    rate_limit_rules = row("rate-limiting rules", RATE_LIMITING, 1, 2, 5, 100)
    rate_limit_period = row("longest rate-limiting period (s)", RATE_LIMITING, 10, 60, 600, 65535)
    mitigation_timeout = row("longest mitigation timeout (s)", RATE_LIMITING, 10, 3600, 86400, 86400)
    challenge_timeout = row(
        "mitigation timeout with a challenge action", RATE_LIMIT_PARAMETERS, False, False, False, True
    )
    block_throttling = row(
        "block action throttling (timeout 0)", RATE_LIMIT_PARAMETERS, False, False, False, True
    )
    waf_custom_rules = row("WAF custom rules", CUSTOM_RULES, 5, 20, 100, 1000)
    log_action = row("`log` action (WAF and rate limiting)", CUSTOM_RULES, False, False, False, True)
    regex_operator = row("`matches` regex operator", OPERATORS, False, False, True, True)
    min_edge_ttl = row("shortest edge cache TTL (s)", EDGE_TTL, 7200, 3600, 1, 1)
    managed_rulesets = row(
        "WAF managed rulesets", MANAGED_RULES, _FREE_RULESETS, _PAID_RULESETS, _PAID_RULESETS, _PAID_RULESETS
    )
    super_bot_fight_mode = row("Super Bot Fight Mode (else Bot Fight Mode)", BOTS, False, True, True, True)
    likely_automated = row("Super Bot Fight Mode: likely automated", BOTS, False, False, True, True)
    purge_urls = row("URLs per purge request", PURGE, 100, 100, 100, 500)
    purge_items = row("tags, hosts or prefixes per purge request", PURGE, 100, 100, 100, 100)


LIMITS = PlanLimits()
ALL_LIMITS: tuple[Limit[int] | Limit[bool] | Limit[tuple[str, ...]], ...] = tuple(
    value for value in vars(PlanLimits).values() if isinstance(value, Limit)
)

# Rule-expression fields some plans do not have (FIELDS, "Availability notes"; Bot
# Management fields need the Enterprise add-on).
FIELD_MIN_PLAN: dict[str, Plan] = {
    "http.request.cookies": "pro",
    "ip.src.is_in_european_union": "business",
    "ip.src.subdivision_1_iso_code": "business",
    "ip.src.subdivision_2_iso_code": "business",
    "cf.bot_management": "enterprise",
}


def field_min_plan(field: str) -> Plan | None:
    """The smallest plan with ``field`` (prefixes cover families such as ``cf.bot_management.*``)."""
    for name, plan in FIELD_MIN_PLAN.items():
        if field == name or field.startswith(f"{name}."):
            return plan
    return None


def _cell(value: int | bool | tuple[str, ...]) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple):
        return ", ".join(value)
    return str(value)


def plan_limits_markdown() -> str:
    """The README's plan table: one row per limit, one column per plan, and the source page."""
    header = ["| limit | " + " | ".join(PLANS) + " | source |", "|---" * (len(PLANS) + 2) + "|"]
    rows = [
        "| " + " | ".join([limit.title, *map(_cell, limit.values), f"[docs]({limit.source})"]) + " |"
        for limit in ALL_LIMITS
    ]
    return "\n".join(header + rows)
