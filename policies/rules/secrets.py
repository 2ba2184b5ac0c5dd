"""Secrets stay in Secrets: never literal in env, command lines or ConfigMaps."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs, Severity

from policies.kube import containers, mapping, sequence
from policies.spec import Report, object_policy, pod_policy, resource_policy
from policies.textconf import configmap_texts, is_placeholder
from policies.workloads import PodTemplate

# Names that hold a credential; *_FILE / *_PATH name a file that holds one, which is fine.
SECRET_NAME = re.compile(
    r"(PASSWORD|PASSWD|SECRET|TOKEN|BEARER|CREDENTIAL|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|KEY_(CONTENT|DATA|PEM)"
    r"|(^|_)AUTH$|(^|[_-])KEY$)",
    re.I,
)
_REFERENCE_SUFFIX = re.compile(r"[_-]?(FILE|PATH|DIR|NAME|REF|KEY_ID)$", re.I)
# Keys that name a thing, not a credential: PUBLIC_KEY, PARTITION_KEY, CACHE_KEY, ...
_NAMING_KEY = re.compile(
    r"(^|[_-])(PUBLIC|PARTITION|SORT|PRIMARY|FOREIGN|ROUTING|SHARD|CACHE|HASH|LOOKUP|GROUP|IDEMPOTENCY|"
    r"OBJECT|INDEX|TABLE|MAP|DEDUP|LOCK|QUEUE|STREAM)[_-]KEY$",
    re.I,
)
_FLAG_WITH_SECRET = re.compile(
    r"(?:^|\s)(--?(?:requirepass|masterauth|pass|password|token|api-key)[= ]\s*)(\S+)", re.I
)
_REDIS_CLI_AUTH = re.compile(r"redis-cli\b[^\n;|&]*?\s-a\s+(\S+)")
_CONFIG_ASSIGNMENT = re.compile(
    r"^\s*([\w.-]*(?:password|passwd|secret|token|api_?key)[\w.-]*)\s*[:=]\s*(\S+)", re.I | re.M
)
# PEM armour of any private key (RSA, EC, OPENSSH, PKCS#8), however many dashes.
PRIVATE_KEY = re.compile(r"-+\s*BEGIN\b[^\n]*?PRIVATE KEY\s*-+", re.I)


def is_secret_name(name: str) -> bool:
    return (
        bool(SECRET_NAME.search(name)) and not _REFERENCE_SUFFIX.search(name) and not _NAMING_KEY.search(name)
    )


def _literal_env(args: ResourceValidationArgs, pod: PodTemplate, report: Report) -> None:
    for c in containers(pod.spec):
        for env in sequence(c.container.get("env")):
            env = mapping(env)
            name, value = env.get("name"), env.get("value")
            literal = isinstance(value, str) and bool(value) and not is_placeholder(value)
            if literal and PRIVATE_KEY.search(str(value)):
                report(f"{c.label} puts a private key in env {name}; mount it from a Kubernetes Secret")
            elif isinstance(name, str) and is_secret_name(name) and literal:
                report(
                    f"{c.label} sets {name} to a literal value; use "
                    "valueFrom.secretKeyRef to a Kubernetes Secret"
                )


def secret_in_command_line(text: str) -> bool:
    for pattern in (_FLAG_WITH_SECRET, _REDIS_CLI_AUTH):
        for match in pattern.finditer(text):
            if not is_placeholder(match.groups()[-1]):
                return True
    return False


def _secrets_in_args(args: ResourceValidationArgs, pod: PodTemplate, report: Report) -> None:
    for c in containers(pod.spec):
        if secret_in_command_line(c.command_line):
            report(
                f"{c.label} passes a credential on its command line (visible in ps and the API); "
                "read it from an env var (secretKeyRef) or a Secret volume instead"
            )


def _secrets_in_configmap(args: ResourceValidationArgs, spec: Mapping[str, Any], report: Report) -> None:
    for key, text in configmap_texts(args.props).items():
        problem = None
        if is_secret_name(key):
            problem = f"key {key!r} looks like a credential"
        elif PRIVATE_KEY.search(text):
            problem = f"key {key!r} holds a private key"
        elif any(
            is_secret_name(m.group(1)) and not is_placeholder(m.group(2))
            for m in _CONFIG_ASSIGNMENT.finditer(text)
        ):
            problem = f"key {key!r} assigns a literal password/secret/token"
        if problem:
            report(f"{problem}; move it to a Secret and mount or reference that")


POLICIES = [
    resource_policy(
        name="k8s-no-literal-secrets-in-env",
        description="Credential env vars come from Secrets (secretKeyRef), never literal values.",
        severity=Severity.CRITICAL,
        validate=pod_policy(_literal_env),
    ),
    resource_policy(
        name="k8s-no-secrets-in-args",
        description="No credential on a container's command line (visible in ps and the API).",
        severity=Severity.CRITICAL,
        validate=pod_policy(_secrets_in_args),
    ),
    resource_policy(
        name="k8s-no-secrets-in-configmap",
        description=(
            "ConfigMaps hold no credentials: no secret-named keys, private keys or literal passwords."
        ),
        severity=Severity.CRITICAL,
        validate=object_policy(("ConfigMap",), _secrets_in_configmap),
    ),
]
