"""Where the checks look and what they expect: stack outputs, flags, stack settings.

Endpoints come from the stack's outputs (``pulumi stack output --json --show-secrets``, or
the same JSON from ``--outputs FILE``), each overridable by a flag. Expectations (masters,
replicas, thresholds) come from the outputs where the program exports them, else from the
stack's settings, else from flags.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError

from checks.model import CouldNotRun
from checks.redis_client import Credentials, split_address
from components.render.nginx import HEALTH_PATH
from components.render.nginx_site import security_header_values
from components.render.redis_layout import ADMIN_USER
from components.settings import Settings, SettingsError, load_settings
from components.settings.cdn import CdnSettings
from components.settings.checks import ChecksSettings
from components.settings.redis import RedisClusterSettings, RedisSentinelSettings
from components.settings.stack import environment_of
from components.settings.stack_file import StackConfigError, config_path, read_stack_config

PASSWORD_ENV = "REDIS_PASSWORD"
USERNAME_ENV = "REDIS_USERNAME"
# The ACL user with the rights every check needs (CLUSTER NODES, INFO, SENTINEL CKQUORUM).
DEFAULT_USERNAME = ADMIN_USER
# What `pulumi stack output` prints for a secret without --show-secrets.
HIDDEN_SECRET = "[secret]"


@dataclass(frozen=True)
class Targets:
    """Everything one run of the checks needs, resolved and validated."""

    stack: str | None
    namespace: str | None
    credentials: Credentials
    thresholds: ChecksSettings
    redis_cluster: list[str]
    masters: int
    replicas_per_master: int
    sentinels: list[str]
    sentinel_master: str
    sentinel_count: int
    sentinel_replicas: int
    cdn_url: str | None
    cdn_health_path: str
    cdn_paths: list[str]
    cdn_security_headers: list[str]
    # The services' metrics endpoints that export the cache manager's counters.
    cache_metrics: list[str]
    window: float | None
    kube_context: str | None


def pulumi_outputs(stack: str, timeout: float = 60.0) -> dict[str, Any]:
    """``pulumi stack output --json --show-secrets --stack <stack>``, parsed."""
    command = ["pulumi", "stack", "output", "--json", "--show-secrets", "--stack", stack]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise CouldNotRun(f"`pulumi stack output` did not answer within {timeout:g} s") from None
    if done.returncode != 0:
        raise CouldNotRun(f"`pulumi stack output --stack {stack}` failed: {done.stderr.strip()}")
    return parse_outputs(done.stdout, f"the outputs of stack {stack!r}")


def read_outputs_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text()
    except OSError as error:
        raise CouldNotRun(f"cannot read the outputs file {path}: {error.strerror}") from None
    return parse_outputs(text, f"the outputs file {path}")


def parse_outputs(text: str, source: str) -> dict[str, Any]:
    """Stack outputs as JSON: an object carrying this program's ``stack`` output."""
    try:
        outputs = json.loads(text)
    except json.JSONDecodeError as error:
        raise CouldNotRun(f"{source} is not JSON ({error.msg} at line {error.lineno})") from None
    if not isinstance(outputs, dict) or not isinstance(outputs.get("stack"), str):
        raise CouldNotRun(f"{source} are not this program's stack outputs (no 'stack' output)")
    if not isinstance(outputs.get("endpoints", {}), dict):
        raise CouldNotRun(f"{source}: 'endpoints' must be an object")
    return outputs


def check_stack(outputs: dict[str, Any], stack: str | None, source: str) -> str:
    """The stack the outputs belong to; CouldNotRun when they belong to another one."""
    exported = str(outputs["stack"])
    if stack is not None and exported != stack:
        raise CouldNotRun(f"{source} belong to stack {exported!r}, not to the requested stack {stack!r}")
    return exported


def stack_settings(stack: str | None) -> Settings | None:
    """The stack's validated settings when its config file is here (None otherwise)."""
    if stack is None or environment_of(stack) is None or not config_path(stack).exists():
        return None
    try:
        config = read_stack_config(stack)
        return load_settings(config.values, stack, secret_keys=config.secret_keys)
    except (StackConfigError, SettingsError) as error:
        raise CouldNotRun(f"cannot read the settings of stack {stack!r}: {error}") from None


def credentials(outputs: dict[str, Any], username: str | None) -> Credentials:
    """The password from REDIS_PASSWORD, else from the outputs; the user likewise."""
    password = os.environ.get(PASSWORD_ENV) or _output_password(outputs)
    user = (
        username or os.environ.get(USERNAME_ENV) or _redis_entry(outputs).get("username") or DEFAULT_USERNAME
    )
    return Credentials(username=str(user), password=password)


def _output_password(outputs: dict[str, Any]) -> str | None:
    for value in (outputs.get("redisPassword"), _redis_entry(outputs).get("password")):
        if isinstance(value, str) and value and value != HIDDEN_SECRET:
            return value
    return None


def _redis_entry(outputs: dict[str, Any]) -> dict[str, Any]:
    entry = outputs.get("endpoints", {}).get("redisCluster", {})
    return entry if isinstance(entry, dict) else {}


def endpoint(outputs: dict[str, Any], name: str) -> dict[str, Any]:
    entry = outputs.get("endpoints", {}).get(name) or {}
    if not isinstance(entry, dict):
        raise CouldNotRun(f"stack output endpoints.{name} must be an object, not {type(entry).__name__}")
    return entry


def addresses(entry: dict[str, Any], key: str) -> list[str]:
    """host:port strings from ``entry[key]`` (strings or {host, port}), or the entry's own host+port."""
    if key in entry:
        return [_address(item, key) for item in entry[key]]
    if "host" in entry and "port" in entry:
        return [f"{entry['host']}:{entry['port']}"]
    return []


def _address(item: Any, key: str) -> str:
    text = f"{item['host']}:{item['port']}" if isinstance(item, dict) and "host" in item else str(item)
    try:
        split_address(text)
    except ValueError as error:
        raise CouldNotRun(f"stack output {key}: {error}") from None
    return text


def parse_address_list(text: str, flag: str) -> list[str]:
    """``--redis-cluster h:p,h:p``: validated host:port strings."""
    items = [item.strip() for item in text.split(",") if item.strip()]
    for item in items:
        try:
            split_address(item)
        except ValueError as error:
            raise CouldNotRun(f"{flag}: {error}") from None
    if not items:
        raise CouldNotRun(f"{flag}: no host:port given")
    return items


def cdn_url(entry: dict[str, Any]) -> str | None:
    if "url" in entry:
        return str(entry["url"]).rstrip("/")
    if "host" in entry and "port" in entry:
        return f"http://{entry['host']}:{entry['port']}"
    return None


def load_outputs(stack: str | None, outputs_file: Path | None) -> tuple[dict[str, Any], str | None]:
    """The outputs (``{}`` when neither a file nor the Pulumi CLI is there) and their stack."""
    if outputs_file is not None:
        outputs = read_outputs_file(outputs_file)
        return outputs, check_stack(outputs, stack, f"the outputs in {outputs_file}")
    if stack is not None and shutil.which("pulumi"):
        outputs = pulumi_outputs(stack)
        return outputs, check_stack(outputs, stack, f"the outputs of stack {stack!r}")
    return {}, stack


def resolve(options: Any) -> Targets:
    """Targets from parsed command-line ``options`` (see checks.cli), outputs and settings."""
    outputs, stack = load_outputs(options.stack, options.outputs)
    settings = stack_settings(stack)
    targets = Targets(
        stack=stack,
        namespace=options.namespace or outputs.get("namespace"),
        credentials=credentials(outputs, options.redis_user),
        thresholds=_thresholds(settings.checks if settings else ChecksSettings(), options),
        window=options.window,
        # The stack's own cluster (kubernetes:context), as its deployment used.
        kube_context=options.kube_context or (settings.cluster.context if settings else None),
        **_cluster_fields(options, endpoint(outputs, "redisCluster"), settings),
        **_sentinel_fields(options, endpoint(outputs, "sentinel"), settings),
        **_cdn_fields(options, endpoint(outputs, "cdn"), settings),
        cache_metrics=_metrics_urls(options, endpoint(outputs, "cacheMetrics")),
    )
    if not (targets.redis_cluster or targets.sentinels or targets.cdn_url or targets.namespace):
        raise CouldNotRun(
            "nothing to check: give --stack (with the Pulumi CLI), --outputs FILE, or endpoints "
            "(--redis-cluster, --sentinel, --cdn)"
        )
    return targets


def _cluster_fields(options: Any, entry: dict[str, Any], settings: Settings | None) -> dict[str, Any]:
    cluster = settings.redis.cluster if settings else RedisClusterSettings()
    nodes = options.redis_cluster
    return {
        "redis_cluster": parse_address_list(nodes, "--redis-cluster") if nodes else addresses(entry, "nodes"),
        "masters": _first(options.masters, entry.get("expectedMasters"), cluster.masters),
        "replicas_per_master": _first(
            options.replicas_per_master, entry.get("replicasPerMaster"), cluster.replicas_per_master
        ),
    }


def _sentinel_fields(options: Any, entry: dict[str, Any], settings: Settings | None) -> dict[str, Any]:
    group = settings.redis.sentinel if settings else None
    defaults = group or RedisSentinelSettings()
    sentinels = (
        parse_address_list(options.sentinel, "--sentinel")
        if options.sentinel
        else addresses(entry, "sentinels")
    )
    return {
        "sentinels": sentinels,
        "sentinel_master": str(
            _first(options.sentinel_master, entry.get("masterName"), defaults.master_name)
        ),
        # Without the stack's settings, as many Sentinels as there are addresses.
        "sentinel_count": _first(entry.get("count"), group and group.sentinels, len(sentinels)),
        "sentinel_replicas": _first(
            options.sentinel_replicas, entry.get("replicas"), defaults.data_nodes - 1
        ),
    }


def _cdn_fields(options: Any, entry: dict[str, Any], settings: Settings | None) -> dict[str, Any]:
    cdn = settings.cdn if settings else CdnSettings()
    return {
        "cdn_url": options.cdn.rstrip("/") if options.cdn else cdn_url(entry),
        "cdn_health_path": str(entry.get("healthPath") or HEALTH_PATH),
        "cdn_paths": list(options.cdn_path or entry.get("samplePaths") or cdn.sample_static_urls),
        # The names of the headers the CDN tier is configured to add to every response.
        "cdn_security_headers": list(security_header_values(cdn.security_headers)),
    }


def _metrics_urls(options: Any, entry: dict[str, Any]) -> list[str]:
    """``--cache-metrics URL,...``, else the ``urls`` of the ``cacheMetrics`` endpoint output."""
    if options.cache_metrics:
        urls, source = [u.strip() for u in options.cache_metrics.split(",") if u.strip()], "--cache-metrics"
        if not urls:
            raise CouldNotRun("--cache-metrics: no URL given")
    else:
        urls, source = [str(url) for url in entry.get("urls", [])], "stack output endpoints.cacheMetrics.urls"
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise CouldNotRun(f"{source}: {url!r} is not an http(s) URL of a metrics endpoint")
    return urls


def _first(*candidates: Any) -> Any:
    """The first candidate that is set (0 and False count as set)."""
    return next(candidate for candidate in candidates if candidate is not None and candidate != "")


# The flag that overrides each threshold of the stack's checks settings.
_THRESHOLD_FLAGS = {
    "min_hit_ratio": "--min-hit-ratio",
    "min_lookups": "--min-lookups",
    "cdn_min_hit_ratio": "--cdn-min-hit-ratio",
    "max_replica_lag_seconds": "--max-replica-lag",
}


def _thresholds(base: ChecksSettings, options: Any) -> ChecksSettings:
    """The settings' thresholds with the flags' overrides, validated by the same rules."""
    overrides = {
        field: value
        for field, flag in _THRESHOLD_FLAGS.items()
        if (value := getattr(options, flag.removeprefix("--").replace("-", "_"))) is not None
    }
    try:
        return ChecksSettings.model_validate({**base.model_dump(), **overrides})
    except ValidationError as error:
        problems = [
            f"{_THRESHOLD_FLAGS[str(problem['loc'][0])]} {problem['input']}: {problem['msg'].lower()}"
            for problem in error.errors()
        ]
        raise CouldNotRun("; ".join(problems)) from None
