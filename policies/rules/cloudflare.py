"""Cloudflare in front of everything: strict TLS, HSTS, rules that protect, honest DNS.

Typed inputs (rule bodies) are matched by snake_case or camelCase keys, as the SDK may send
either. A zone setting's ``value`` is typed ``Any``: it reaches the API exactly as the program
wrote it, so its keys must be the API's own snake_case ones.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity, StackValidationArgs

from policies.kube import mapping, sequence
from policies.spec import Validate, resource_policy, settings, stack_policy
from policies.stackview import StackView
from policies.textconf import configmap_nginx_blocks

ZONE_SETTING = "cloudflare:index/zoneSetting:ZoneSetting"
RULESET = "cloudflare:index/ruleset:Ruleset"
DNS_RECORD_TYPES = ("cloudflare:index/dnsRecord:DnsRecord", "cloudflare:index/record:Record")
BASELINE_SETTINGS = ("ssl", "min_tls_version", "tls_1_3", "always_use_https")
BLOCKING_ACTIONS = ("block", "managed_challenge", "js_challenge", "challenge")
ZONE_DNSSEC = "cloudflare:index/zoneDnssec:ZoneDnssec"
BOT_MANAGEMENT = "cloudflare:index/botManagement:BotManagement"
SECURITY_LEVELS = ("low", "medium", "high")


def field(value: Any, snake: str) -> Any:
    """``value[snake]`` or its camelCase twin."""
    value = mapping(value)
    if snake in value:
        return value[snake]
    head, *rest = snake.split("_")
    return value.get(head + "".join(part.title() for part in rest))


def _setting(props: Mapping[str, Any]) -> tuple[str | None, Any]:
    setting_id = field(props, "setting_id")
    return (setting_id if isinstance(setting_id, str) else None), props.get("value")


ZoneSettingCheck = Callable[[Any], str | None]


def _check_zone_setting(
    args: ResourceValidationArgs, report_violation: ReportViolation, setting_id: str, check: ZoneSettingCheck
) -> None:
    """Report what ``check`` finds wrong with the value, if this resource declares ``setting_id``."""
    if args.resource_type != ZONE_SETTING:
        return
    declared, value = _setting(args.props)
    if declared == setting_id:
        problem = check(value)
        if problem:
            report_violation(f"zone setting {setting_id} ({args.name}): {problem}", None)


def zone_setting_policy(setting_id: str, check: ZoneSettingCheck) -> Validate:
    return lambda args, report_violation: _check_zone_setting(args, report_violation, setting_id, check)


def _ssl(value: Any) -> str | None:
    return (
        None
        if value == "strict"
        else f"SSL mode is {value!r}; set it to 'strict' (validates the origin's certificate)"
    )


def _min_tls(value: Any) -> str | None:
    return None if value in ("1.2", "1.3") else f"minimum TLS version is {value!r}; set it to '1.2' or higher"


def _tls13(value: Any) -> str | None:
    return None if value in ("on", "zrt") else f"TLS 1.3 is {value!r}; set it to 'on'"


def _always_https(value: Any) -> str | None:
    return None if value == "on" else f"plain HTTP is served ({value!r}); set always_use_https to 'on'"


_HSTS_CONFIG = {
    "minMaxAge": {
        "type": "integer",
        "minimum": 0,
        "default": 15552000,
        "description": "lowest HSTS max-age in seconds (180 days)",
    }
}


def camel_case_keys(value: Any) -> list[str]:
    """Keys with capital letters anywhere in ``value``: the API never reads them."""
    if isinstance(value, Mapping):
        own = [str(key) for key in value if str(key) != str(key).lower()]
        return own + [key for item in value.values() for key in camel_case_keys(item)]
    if isinstance(value, list):
        return [key for item in value for key in camel_case_keys(item)]
    return []


def hsts_problem(value: Any, min_max_age: int) -> str | None:
    # The API's schema (the cloudflare SDK's zones/setting_edit_params.py) is snake_case;
    # camelCase keys are ignored and the setting shows a diff on every preview
    # (pulumi/pulumi-cloudflare#1579).
    wrong = camel_case_keys(value)
    if wrong:
        return (
            f"the value uses camelCase keys {wrong}; Cloudflare reads snake_case "
            "(strict_transport_security, max_age, include_subdomains) and ignores these"
        )
    hsts = mapping(mapping(value).get("strict_transport_security"))
    if hsts.get("enabled") is not True:
        return "HSTS is off; enable strict_transport_security in the security_header setting"
    max_age = hsts.get("max_age")
    if not isinstance(max_age, int | float) or max_age < min_max_age:
        return f"HSTS max-age {max_age} is below {min_max_age} s; raise it"
    return None


def _hsts(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    min_max_age = settings(args, _HSTS_CONFIG)["minMaxAge"]
    _check_zone_setting(
        args, report_violation, "security_header", lambda value: hsts_problem(value, min_max_age)
    )


def _dns_proxied(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in DNS_RECORD_TYPES:
        return
    if args.props.get("type") in ("A", "AAAA", "CNAME") and args.props.get("proxied") is not True:
        report_violation(
            f"DNS record {args.props.get('name')!r}: not proxied, "
            "so clients reach the origin directly and skip "
            "the WAF and cache; set proxied: true",
            None,
        )


_INTERNAL_SUFFIXES = (".local", ".internal", ".localhost", ".cluster.local", ".svc", ".lan", ".home.arpa")


def private_target(record_type: Any, content: Any) -> str | None:
    """Why a record's target is not a public address, or None."""
    if not isinstance(content, str):
        return None
    if record_type in ("A", "AAAA"):
        try:
            address = ipaddress.ip_address(content)
        except ValueError:
            return f"{content!r} is not an IP address"
        if not address.is_global or address.is_multicast:
            return f"{content} is a private, loopback, link-local or reserved address"
    elif record_type == "CNAME":
        host = content.rstrip(".").lower()
        if host == "localhost" or host.endswith(_INTERNAL_SUFFIXES):
            return f"{content!r} is an internal name"
    return None


def _dns_public_target(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in DNS_RECORD_TYPES:
        return
    problem = private_target(args.props.get("type"), args.props.get("content"))
    if problem:
        report_violation(
            f"DNS record {args.props.get('name')!r}: {problem}; point it at the CDN tier's public address",
            None,
        )


def _rules(props: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [mapping(rule) for rule in sequence(props.get("rules"))]


def _enabled(rule: Mapping[str, Any]) -> bool:
    return rule.get("enabled") is not False


def _rate_limit_rules(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != RULESET or args.props.get("phase") != "http_ratelimit":
        return
    for index, rule in enumerate(_rules(args.props)):
        limit = mapping(field(rule, "ratelimit"))
        characteristics = {str(c) for c in sequence(field(limit, "characteristics"))}
        name = rule.get("ref") or rule.get("description") or index
        if not {"ip.src", "cf.colo.id"} <= characteristics:
            report_violation(
                f"rate-limit rule {name!r}: count per client; characteristics need ip.src and cf.colo.id",
                None,
            )
        if rule.get("action") not in ("block", "managed_challenge"):
            report_violation(
                f"rate-limit rule {name!r}: action {rule.get('action')!r}; use block or managed_challenge",
                None,
            )
        for key in ("period", "requests_per_period"):
            value = field(limit, key)
            if not isinstance(value, int | float) or value <= 0:
                report_violation(f"rate-limit rule {name!r}: {key} is {value!r}; set a positive number", None)


def _cloudflare_resources(args: StackValidationArgs) -> list[Any]:
    return [
        r
        for r in args.resources
        if r.resource_type.startswith("cloudflare:") and not r.resource_type.startswith("pulumi:providers:")
    ]


def _nginx_sends_hsts(args: StackValidationArgs) -> bool:
    return any(
        d[0] == "add_header" and len(d) > 1 and d[1].lower() == "strict-transport-security"
        for configmap in StackView(args.resources).of_kind("ConfigMap")
        for block in configmap_nginx_blocks(configmap.props)
        for d in block.directives
    )


def _zone_baseline(args: StackValidationArgs, report: ReportViolation) -> None:
    resources = _cloudflare_resources(args)
    if not resources:
        return  # this stack manages no Cloudflare zone
    declared = {_setting(r.props)[0]: r for r in resources if r.resource_type == ZONE_SETTING}
    missing = [s for s in BASELINE_SETTINGS if s not in declared]
    if missing:
        report(f"the zone's baseline settings {missing} are not declared; add a ZoneSetting for each", None)
    if "security_header" not in declared and not _nginx_sends_hsts(args):
        report("nothing sends HSTS: declare the security_header zone setting (or the CDN's add_header)", None)


def _rate_limit_and_waf(args: StackValidationArgs, report: ReportViolation) -> None:
    resources = _cloudflare_resources(args)
    if not resources:
        return
    rules_by_phase = _rules_by_phase(resources)
    if not any(_enabled(rule) for rule in rules_by_phase.get("http_ratelimit", [])):
        report(
            "no enabled rate-limiting rule (phase http_ratelimit); add one for the API and login paths", None
        )
    waf = rules_by_phase.get("http_request_firewall_custom", [])
    if not any(_enabled(rule) and rule.get("action") in BLOCKING_ACTIONS for rule in waf):
        report(
            "no enabled WAF custom rule that blocks or challenges "
            "(phase http_request_firewall_custom); add one",
            None,
        )


def _rules_by_phase(resources: list[Any]) -> dict[str, list[Mapping[str, Any]]]:
    rules: dict[str, list[Mapping[str, Any]]] = {}
    for r in resources:
        if r.resource_type == RULESET:
            rules.setdefault(str(r.props.get("phase")), []).extend(_rules(r.props))
    return rules


def _zone_protections(args: StackValidationArgs, report: ReportViolation) -> None:
    """Prowler's zone_dnssec_enabled, zone_browser_integrity_check_enabled,
    zone_security_under_attack_disabled, zone_bot_fight_mode_enabled and zone_waf_enabled."""
    resources = _cloudflare_resources(args)
    if not resources:
        return

    def of_type(type_: str) -> list[Mapping[str, Any]]:
        return [r.props for r in resources if r.resource_type == type_]

    if not any(props.get("status") == "active" for props in of_type(ZONE_DNSSEC)):
        report("DNSSEC is not declared active; add a ZoneDnssec with status 'active'", None)
    settings = dict(_setting(props) for props in of_type(ZONE_SETTING))
    if settings.get("browser_check") != "on":
        report(
            f"Browser Integrity Check is {settings.get('browser_check')!r}; declare browser_check 'on'", None
        )
    if settings.get("security_level") not in SECURITY_LEVELS:
        report(
            f"security_level is {settings.get('security_level')!r}; declare one of {list(SECURITY_LEVELS)} "
            "(under_attack challenges every visitor: an emergency, not a setting)",
            None,
        )
    if not any(_fights_bots(props) for props in of_type(BOT_MANAGEMENT)):
        report("no bot protection: declare BotManagement with Bot Fight Mode or Super Bot Fight Mode", None)
    managed = _rules_by_phase(resources).get("http_request_firewall_managed", [])
    if not any(_enabled(rule) and rule.get("action") == "execute" for rule in managed):
        report("no managed WAF ruleset runs (phase http_request_firewall_managed); execute one", None)


def _fights_bots(props: Mapping[str, Any]) -> bool:
    challenged = field(props, "sbfm_definitely_automated") in ("block", "managed_challenge")
    return field(props, "fight_mode") is True or challenged


POLICIES = [
    resource_policy(
        name="cloudflare-ssl-strict",
        description="Cloudflare's SSL mode is strict: it validates the origin's certificate.",
        severity=Severity.CRITICAL,
        validate=zone_setting_policy("ssl", _ssl),
    ),
    resource_policy(
        name="cloudflare-min-tls-1-2",
        description="Clients need TLS 1.2 or newer.",
        severity=Severity.HIGH,
        validate=zone_setting_policy("min_tls_version", _min_tls),
    ),
    resource_policy(
        name="cloudflare-tls-1-3",
        description="TLS 1.3 is on.",
        severity=Severity.MEDIUM,
        validate=zone_setting_policy("tls_1_3", _tls13),
    ),
    resource_policy(
        name="cloudflare-always-https",
        description="Cloudflare redirects plain HTTP to HTTPS.",
        severity=Severity.HIGH,
        validate=zone_setting_policy("always_use_https", _always_https),
    ),
    resource_policy(
        name="cloudflare-hsts",
        description="HSTS is on with a long max-age.",
        severity=Severity.HIGH,
        validate=_hsts,
        config=_HSTS_CONFIG,
    ),
    resource_policy(
        name="cloudflare-dns-proxied",
        description="A, AAAA and CNAME records are proxied through Cloudflare.",
        severity=Severity.HIGH,
        validate=_dns_proxied,
    ),
    resource_policy(
        name="cloudflare-dns-public-target",
        description="No DNS record points at a private, loopback or internal address.",
        severity=Severity.CRITICAL,
        validate=_dns_public_target,
    ),
    resource_policy(
        name="cloudflare-rate-limit-rules",
        description="Rate-limit rules count per client IP and colo and block or challenge.",
        severity=Severity.MEDIUM,
        validate=_rate_limit_rules,
    ),
    stack_policy(
        name="cloudflare-zone-baseline",
        description="A stack that manages the zone declares SSL, min TLS, TLS 1.3, always-HTTPS and HSTS.",
        severity=Severity.HIGH,
        validate=_zone_baseline,
    ),
    stack_policy(
        name="cloudflare-rate-limit-and-waf",
        description=(
            "A stack that manages the zone has at least one rate-limit rule and one blocking WAF rule."
        ),
        severity=Severity.HIGH,
        validate=_rate_limit_and_waf,
    ),
    stack_policy(
        name="cloudflare-zone-protections",
        description=(
            "A stack that manages the zone turns on DNSSEC, Browser Integrity Check, a security level, "
            "bot protection and a managed WAF ruleset."
        ),
        severity=Severity.MEDIUM,
        validate=_zone_protections,
    ),
]
