"""Acknowledgements: the destructive changes a stack's config explicitly allows.

A change that deletes data or takes capacity away (replacing a StatefulSet that holds data,
deleting a PVC, moving the namespace, rotating the Redis password, renaming a resource without
an alias, an update that blocks node drains or stops every replica) is refused unless the
stack config names it under ``acknowledge``. Both the program's own validation and the
offline preview's ``--strict`` mode read this one list, so a reviewer sees the same words
that let the change through.

Each entry is ``<action>:<Kind>/<name>``, for example ``replace:StatefulSet/redis-cluster``
or ``rotate:Secret/redis-credentials``; ``*`` as the name covers every object of that kind.
Remove the entry once the change is deployed: it is a one-time permission, not a setting.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

ACTIONS: tuple[str, ...] = ("replace", "delete", "rename", "rotate", "update")
# The name is a Kubernetes object's, or a Pulumi resource's (a rename: ``edge-managedWaf``).
_ACKNOWLEDGEMENT = re.compile(
    r"^(?P<action>[a-z]+):(?P<kind>[A-Z][A-Za-z]*)/(?P<name>\*|[A-Za-z0-9]([-A-Za-z0-9._]*[A-Za-z0-9])?)$"
)


def _acknowledgement(value: str) -> str:
    match = _ACKNOWLEDGEMENT.match(value)
    if not match or match["action"] not in ACTIONS:
        raise ValueError(
            f"must be '<action>:<Kind>/<name>' with action one of {', '.join(ACTIONS)} "
            "(for example 'replace:StatefulSet/redis-cluster')"
        )
    return value


Acknowledgement = Annotated[str, AfterValidator(_acknowledgement)]


def acknowledges(acknowledgements: list[str], action: str, kind: str, name: str) -> bool:
    """Whether ``acknowledgements`` allow ``action`` on the object ``kind``/``name``."""
    return f"{action}:{kind}/{name}" in acknowledgements or f"{action}:{kind}/*" in acknowledgements
