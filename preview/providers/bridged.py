"""Providers bridged from Terraform (pulumi-cloudflare, pulumi-random): inputs and RequiresReplace.

A bridged resource is rendered as its type, name and inputs. The Terraform schema marks the
attributes whose change forces a new resource (``RequiresReplace``, rows in
preview/replace_rules.py); the bridge replaces create-before-delete unless the provider's
``resources.go`` asks otherwise, which neither provider does for the resources declared here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from preview.diff_fields import FieldChange
from preview.providers.base import Provider
from preview.replace_rules import covers, rules_for


def type_token(document: Mapping[str, Any]) -> str:
    return str(document["type"])


def display_name(document: Mapping[str, Any]) -> str:
    return str(document["name"])


# Inputs with a schema ``Default``: the plugin framework plans the default for an input left out,
# so writing the default out (or dropping it) plans the same resource and replaces nothing.
INPUT_DEFAULTS: dict[str, dict[str, Any]] = {
    # terraform-provider-random internal/provider/resource_password.go, passwordSchemaV3
    "random:index/randomPassword:RandomPassword": {
        "special": True,
        "upper": True,
        "lower": True,
        "minNumeric": 0,
        "minUpper": 0,
        "minLower": 0,
        "minSpecial": 0,
    },
}


def body(document: Mapping[str, Any]) -> Any:
    """What the provider diffs: the inputs, with the schema's defaults for those left out."""
    inputs = document.get("inputs") or {}
    return {**INPUT_DEFAULTS.get(str(document.get("type")), {}), **inputs}


def forces_new(type_: str, change: FieldChange, new: Mapping[str, Any], settings: Mapping[str, str]) -> bool:
    return any(covers(path, change.keys, change.new) for row in rules_for(type_) for path in row.paths)


def create_before_delete(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    return False


def provider(prefix: str, identity_inputs: Mapping[str, tuple[str, ...]]) -> Provider:
    """A bridged provider whose resources are recognised by ``identity_inputs`` (type -> inputs)."""

    def identity(document: Mapping[str, Any]) -> tuple[str, ...] | None:
        type_ = type_token(document)
        keys = identity_inputs.get(type_)
        if keys is None:
            return None  # exists only in the state (a generated password): nothing outside to match
        inputs = document.get("inputs") or {}
        return (type_, *(str(inputs.get(key, "")) for key in keys))

    return Provider(
        prefix=prefix,
        type_token=type_token,
        display_name=display_name,
        identity=identity,
        body=body,
        forces_new=forces_new,
        delete_before_replace=create_before_delete,
    )
