"""The shared base of every settings model, and the error that reports bad stack config."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel
from pydantic_core import InitErrorDetails, PydanticCustomError

from components.images import unpinned_reason
from components.quantities import cpu_millicores, memory_bytes

PROJECT = "technovastore-scaling"

_DNS_1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


class SettingsModel(BaseModel):
    """Stack config keys are camelCase (as in Pulumi.<stack>.yaml); attributes are snake_case.

    Unknown keys are errors, so a typo never silently falls back to a default.
    """

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
    )


def cross_field_error(field: str, value: Any, message: str) -> PydanticCustomError:
    """An error raised by a model validator that belongs to one of the model's fields.

    Pydantic reports model-validator errors at the model's path; the formatter appends
    ``field`` so the message names the exact key the user has to change.
    """
    return PydanticCustomError("cross_field", message, {"field": field, "value": value})


def cross_field_errors(title: str, errors: list[PydanticCustomError]) -> ValidationError:
    """Several cross-field errors of one model at once (a model validator can raise only one)."""
    details = [
        InitErrorDetails(type=error, loc=(), input=(error.context or {}).get("value")) for error in errors
    ]
    return ValidationError.from_exception_data(title, details)


def _dns_label(value: str) -> str:
    if len(value) > 63 or not _DNS_1123_LABEL.match(value):
        raise ValueError(
            "must be a DNS-1123 label: at most 63 lowercase letters, digits and '-', "
            "starting and ending with a letter or digit"
        )
    return value


def _pinned_image(value: str) -> str:
    reason = unpinned_reason(value)
    if reason:
        raise ValueError(reason)
    return value


def _quantity_text(value: Any) -> Any:
    """YAML's ``cpu: 2`` or ``memory: 1073741824`` as the quantity text Kubernetes accepts.

    Kubernetes quantities may be written as bare numbers; the stack file's YAML then hands
    over an int or a float. ``True`` is refused (YAML's ``yes`` is no quantity).
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        # repr keeps what was written (0.5 stays "0.5"); never the exponent form Kubernetes refuses.
        text = repr(value)
        return text if "e" not in text else format(Decimal(text), "f")
    return value


def _cpu(value: str) -> str:
    cpu_millicores(value)
    return value


def _memory(value: str) -> str:
    memory_bytes(value)
    return value


_COOKIE_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")


def _cookie_name(value: str) -> str:
    if not _COOKIE_NAME.match(value):
        raise ValueError("must be a cookie name (RFC 6265 token)")
    return value


DnsLabel = Annotated[str, AfterValidator(_dns_label)]
CookieName = Annotated[str, AfterValidator(_cookie_name)]
PinnedImage = Annotated[str, AfterValidator(_pinned_image)]
CpuQuantity = Annotated[str, BeforeValidator(_quantity_text), AfterValidator(_cpu)]
MemoryQuantity = Annotated[str, BeforeValidator(_quantity_text), AfterValidator(_memory)]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the stack config: where, what was there, what was expected."""

    key_path: str
    value: Any
    expected: str
    # The config namespace: the project's, or a provider's (``kubernetes:context``).
    namespace: str = PROJECT

    @property
    def key(self) -> str:
        return f"{self.namespace}:{self.key_path}"

    def __str__(self) -> str:
        if self.value is _MISSING:
            return f"{self.key}: {self.expected}"
        return f"{self.key} = {self.value!r}: {self.expected}"


_MISSING = object()
MISSING = _MISSING


class SettingsError(Exception):
    """Every problem in a stack's config at once, raised before any resource is registered."""

    def __init__(self, stack: str, problems: list[Problem]):
        self.stack = stack
        self.problems = problems
        noun = "problem" if len(problems) == 1 else "problems"
        lines = [f"Stack '{stack}' has invalid settings ({len(problems)} {noun}):"]
        lines += [f"  - {problem}" for problem in problems]
        super().__init__("\n".join(lines))
