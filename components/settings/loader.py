"""Read a stack's raw config once, validate it completely, and report every problem at once."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import replace
from typing import Any

from pydantic import ValidationError

from components.settings.base import MISSING, PROJECT, Problem, SettingsError
from components.settings.cluster import PROVIDER_KEYS, PROVIDER_NAMESPACE, kubeconfig_is_contents
from components.settings.stack import Settings, environment_of

# Config namespaces besides the project's: the providers the program uses and Pulumi's own
# (``pulumi:disable-default-providers``). Any other namespace is a misspelt project prefix.
KNOWN_NAMESPACES = ("cloudflare", PROVIDER_NAMESPACE, "pulumi", "random")
# Keys the program derives; setting them in config is a mistake (the value says what to do).
_DERIVED_KEYS = {
    "stack": "is derived from the stack name and cannot be set",
    "environment": "is derived from the stack name and cannot be set",
    "cluster": "is read from kubernetes:context and kubernetes:kubeconfig: set those",
}
# Settings that must be `secure:` values in the stack file (never plaintext in git).
SECRET_KEYS = ("redisPassword", "redisPreviousPassword", "cdnTlsPrivateKey")
# Provider settings the provider's schema marks secret (pulumi-cloudflare's provider.py wraps
# them in Output.secret): just as secret in the stack file.
PROVIDER_SECRET_KEYS = ("cloudflare:apiKey", "cloudflare:apiToken", "cloudflare:apiUserServiceKey")


class _DuplicateKeys(Exception):
    def __init__(self, paths: list[str]):
        self.paths = paths


def load_settings(
    raw_config: Mapping[str, Any],
    stack: str,
    *,
    secret_keys: Collection[str] = (),
    require_cluster: bool = False,
) -> Settings:
    """Validate ``raw_config`` (``"<namespace>:<key>" -> str or JSON text``) for ``stack``.

    ``secret_keys`` are the full keys Pulumi holds encrypted; ``require_cluster`` demands a
    ``kubernetes:context`` or ``kubernetes:kubeconfig`` (every real deployment does). Raises
    SettingsError listing every problem.
    """
    problems: list[Problem] = []
    environment = environment_of(stack)
    if environment is None:
        problems.append(
            Problem("(stack name)", stack, "stack must be 'production', 'staging' or 'pr-<number>'")
        )
    data: dict[str, Any] = {}
    cluster: dict[str, Any] = {}
    for key, text in sorted(raw_config.items()):
        namespace, separator, name = key.partition(":")
        if not separator:
            problems.append(_foreign_key("", key))
        elif namespace == PROVIDER_NAMESPACE:
            problems += _provider_key(name, text, key in secret_keys, cluster)
        elif namespace in KNOWN_NAMESPACES:
            if key in PROVIDER_SECRET_KEYS and key not in secret_keys:
                problems.append(_plaintext_secret(name, stack, namespace))
        elif namespace != PROJECT:
            problems.append(_foreign_key(namespace, name))
        else:
            try:
                value = _decode(text)
            except _DuplicateKeys as duplicates:
                problems += [
                    Problem(f"{name}.{path}", MISSING, "is defined more than once")
                    for path in duplicates.paths
                ]
                continue
            if name in _DERIVED_KEYS:
                problems.append(Problem(name, value, _DERIVED_KEYS[name]))
            else:
                data[name] = value
    problems += _plaintext_secrets(data, secret_keys, stack)
    if require_cluster and not cluster:
        problems.append(
            Problem(
                "context",
                MISSING,
                "is required: name the cluster this stack deploys to "
                f"(pulumi config set kubernetes:context <context> --stack {stack}), or set "
                "kubernetes:kubeconfig; otherwise the deployment goes to whatever context is current",
                namespace=PROVIDER_NAMESPACE,
            )
        )
    data.update(stack=stack, environment=environment or "review", cluster=cluster)
    try:
        settings = Settings.model_validate(data)
    except ValidationError as error:
        hidden = _secret_names(secret_keys)
        problems += [_hide_secret_value(_problem(detail, data), hidden) for detail in error.errors()]
        settings = None
    if problems or settings is None:
        raise SettingsError(stack, problems)
    return settings


def _foreign_key(namespace: str, name: str) -> Problem:
    """A key under a namespace nobody reads: a misspelt project prefix, never silently ignored."""
    known = ", ".join((PROJECT, *KNOWN_NAMESPACES))
    return Problem(
        name,
        MISSING,  # never echo the value: it may be a secret under a misspelt prefix
        f"is not a key of this project or of a provider it uses ({known}); did you mean {PROJECT}:{name}?",
        namespace=namespace,
    )


def _provider_key(name: str, value: Any, secret: bool, cluster: dict[str, Any]) -> list[Problem]:
    """``kubernetes:context`` and ``kubernetes:kubeconfig`` go to the explicit provider."""
    if name not in PROVIDER_KEYS:
        return [
            Problem(
                name,
                MISSING,
                "is not read: the program's Kubernetes provider takes only "
                f"{' and '.join(f'{PROVIDER_NAMESPACE}:{key}' for key in PROVIDER_KEYS)}",
                namespace=PROVIDER_NAMESPACE,
            )
        ]
    cluster[name] = value
    if name == "kubeconfig" and isinstance(value, str) and kubeconfig_is_contents(value) and not secret:
        return [
            Problem(
                name,
                MISSING,
                "holds credentials: must be a secret (pulumi config set --secret kubernetes:kubeconfig "
                "< kubeconfig), or a path to the file",
                namespace=PROVIDER_NAMESPACE,
            )
        ]
    return []


def _plaintext_secrets(data: Mapping[str, Any], secret_keys: Collection[str], stack: str) -> list[Problem]:
    return [
        _plaintext_secret(name, stack)
        for name in SECRET_KEYS
        if name in data and f"{PROJECT}:{name}" not in secret_keys
    ]


def _plaintext_secret(name: str, stack: str, namespace: str = PROJECT) -> Problem:
    command_key = name if namespace == PROJECT else f"{namespace}:{name}"
    return Problem(
        name,
        MISSING,  # the value is a secret already written in plain text: do not repeat it
        f"must be a secret, not plain text in the stack file: "
        f"pulumi config set --secret {command_key} <value> --stack {stack}",
        namespace=namespace,
    )


def _secret_names(secret_keys: Collection[str]) -> set[str]:
    """The project's settings whose values are secrets: encrypted in the stack file, or meant to be."""
    prefix = f"{PROJECT}:"
    return {key.removeprefix(prefix) for key in secret_keys if key.startswith(prefix)} | set(SECRET_KEYS)


def _hide_secret_value(problem: Problem, secret_names: set[str]) -> Problem:
    """A problem under a secret setting names the key only: `pulumi up` hands the program the
    decrypted value, and the error goes to the deployment log."""
    if (
        problem.namespace == PROJECT
        and problem.key_path.split(".", 1)[0] in secret_names
        and problem.value is not None  # "is required" problems: there is nothing to hide
    ):
        return replace(problem, value=MISSING)
    return problem


def _decode(text: Any) -> Any:
    """Pulumi passes structured values as JSON text and scalars as plain strings."""
    if not isinstance(text, str):
        return text
    stripped = text.strip()
    if not stripped.startswith(("{", "[")):
        return text
    return _without_duplicates(json.loads(stripped, object_pairs_hook=_Pairs), "")


class _Pairs(list):
    """A JSON object as its raw key/value pairs, so duplicate keys can be found."""


def _without_duplicates(value: Any, path: str) -> Any:
    if isinstance(value, _Pairs):
        seen: dict[str, Any] = {}
        duplicates: list[str] = []
        for key, item in value:
            child = f"{path}.{key}" if path else key
            if key in seen:
                duplicates.append(child)
            try:
                seen[key] = _without_duplicates(item, child)
            except _DuplicateKeys as nested:
                duplicates += nested.paths
        if duplicates:
            raise _DuplicateKeys(duplicates)
        return seen
    if isinstance(value, list):
        return [_without_duplicates(item, f"{path}[{index}]") for index, item in enumerate(value)]
    return value


def _problem(detail: Mapping[str, Any], data: Mapping[str, Any]) -> Problem:
    problem = _project_problem(detail, data)
    if problem.key_path.startswith("cluster."):
        # The provider's own keys: report them as the user set them (kubernetes:context).
        return Problem(
            problem.key_path.removeprefix("cluster."), problem.value, problem.expected, PROVIDER_NAMESPACE
        )
    return problem


def _project_problem(detail: Mapping[str, Any], data: Mapping[str, Any]) -> Problem:
    location = [str(part) for part in detail["loc"]]
    context = detail.get("ctx") or {}
    if detail["type"] == "cross_field":
        field = str(context["field"])
        # Root-level validators name a full path already; nested ones a field of their model.
        location = field.split(".") if not location else location + field.split(".")
        return Problem(".".join(location), context["value"], detail["msg"])
    if detail["type"] == "extra_forbidden":
        # A misspelt top-level key may be a misspelt secret (redisPasword): never echo it.
        value = detail["input"] if len(location) > 1 else MISSING
        return Problem(".".join(location), value, "is not a known setting (check the spelling)")
    if detail["type"] == "missing":
        return Problem(".".join(location), MISSING, "is required")
    message = str(detail["msg"]).removeprefix("Value error, ")
    if location and location[-1] == "[key]":
        # Pydantic's marker for "the mapping key itself is invalid" (a service name).
        return Problem(".".join(location[:-1]), detail.get("input"), f"the name {message}")
    return Problem(".".join(location), _lookup(data, location, detail.get("input")), message)


def _lookup(data: Mapping[str, Any], location: list[str], fallback: Any) -> Any:
    node: Any = data
    for part in location:
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return fallback
    return node
