"""Evaluate the real Pulumi program under the SDK's mock runtime and capture what it declares."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import runpy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi.runtime
from pulumi.runtime import mocks
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.sync_await import _sync_await

from components.settings import PROJECT
from components.settings.stack_file import PROJECT_ROOT
from preview.urns import AliasSpec, resource_urn

# How the SDK marks a secret value on the wire.
SECRET_SIGNATURE_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIGNATURE_VALUE = "1b47061264138c4ac30d75fd1eb44270"
REDACTED = "[secret]"
STACK_TYPE = "pulumi:pulumi:Stack"
# What a load balancer reports offline for an Ingress or a LoadBalancer Service: clearly a
# stand-in (.invalid never resolves), and the value the Cloudflare records then point at.
OFFLINE_LOAD_BALANCER = "load-balancer.offline-preview.invalid"
INGRESS_TYPE = "kubernetes:networking.k8s.io/v1:Ingress"
SERVICE_TYPE = "kubernetes:core/v1:Service"


@dataclass(frozen=True)
class DeclaredResource:
    """One resource as the program registered it (inputs with wire names, secrets marked)."""

    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool
    inputs: dict[str, Any]
    ignore_changes: tuple[str, ...] = ()
    protect: bool = False
    depends_on: tuple[str, ...] = ()
    aliases: tuple[AliasSpec, ...] = ()
    replace_on_changes: tuple[str, ...] = ()
    # None: the provider decides (``deleteBeforeReplaceDefined`` false in the request).
    delete_before_replace: bool | None = None
    # The `import_` resource option: the id of an existing resource to adopt.
    import_id: str | None = None
    # The provider reference (``<provider urn>::<id>``); empty for the default provider.
    provider: str = ""
    # Left in place when Pulumi deletes it (`pulumi destroy`, no longer declared).
    retain_on_delete: bool = False

    @property
    def is_kubernetes(self) -> bool:
        return self.type.startswith("kubernetes:")

    @property
    def depth(self) -> int:
        """How many components enclose it: parents always come first in this order."""
        return self.urn.split("::")[2].count("$")


@dataclass
class Synthesis:
    stack: str
    resources: list[DeclaredResource] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    duplicate_urns: list[str] = field(default_factory=list)

    def of_type(self, type_: str) -> list[DeclaredResource]:
        return [r for r in self.resources if r.type == type_]

    def by_name(self, name: str) -> DeclaredResource:
        matches = [r for r in self.resources if r.name == name]
        if len(matches) != 1:
            raise KeyError(f"{len(matches)} resources named {name!r}")
        return matches[0]

    def children_of(self, urn: str) -> list[DeclaredResource]:
        return [r for r in self.resources if r.parent == urn]


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SECRET_SIGNATURE_KEY) == SECRET_SIGNATURE_VALUE


def redact(value: Any) -> Any:
    """Replace every secret value with a marker, recursively."""
    if is_secret(value):
        return REDACTED
    if isinstance(value, dict):
        return {key: redact(item) for key, item in value.items()}
    if isinstance(value, list):
        return [redact(item) for item in value]
    return value


RANDOM_PASSWORD_TYPE = "random:index/randomPassword:RandomPassword"
RANDOM_ID_TYPE = "random:index/randomId:RandomId"


def offline_password(name: str, inputs: dict[str, Any]) -> str:
    """A stand-in for a generated password: the same until the resource would generate a new one.

    Every input of a RandomPassword forces a new value (see preview/replace_rules.py), so the
    stand-in is derived from the name and the inputs: the preview sees a Secret built from it
    change exactly when the real value would.
    """
    identity = json.dumps([name, inputs], sort_keys=True, default=str)
    return "offline-preview-" + hashlib.sha256(identity.encode()).hexdigest()[:24]


def offline_random_id(name: str, inputs: dict[str, Any]) -> dict[str, str]:
    """A RandomId's outputs offline: bytes that stay the same until the resource would draw new
    ones (every input forces a new one, preview/replace_rules.py), in each of its encodings."""
    length = int(inputs.get("byteLength") or 8)
    identity = json.dumps(["random-id", name, inputs], sort_keys=True, default=str)
    data = hashlib.sha256(identity.encode()).digest()[:length]
    prefix = str(inputs.get("prefix") or "")
    return {
        "hex": prefix + data.hex(),
        "b64Url": prefix + base64.urlsafe_b64encode(data).decode().rstrip("="),
        "b64Std": prefix + base64.b64encode(data).decode(),
        "dec": prefix + str(int.from_bytes(data, "big")),
    }


class _Mocks(mocks.Mocks):
    """Resources echo their inputs (plus what a provider would compute); invokes answer from settings."""

    def __init__(self, invoke_answers: Mapping[str, dict[str, Any]], passwords: Callable[[str], str] | None):
        self._invoke_answers = invoke_answers
        self._passwords = passwords

    def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        state = dict(args.inputs)
        if args.typ == RANDOM_PASSWORD_TYPE:
            # Wire-form secret: the SDK unwraps it, and the recorded state stays plain data.
            state["result"] = {
                SECRET_SIGNATURE_KEY: SECRET_SIGNATURE_VALUE,
                "value": self._password(args.name, args.inputs),
            }
        if args.typ == RANDOM_ID_TYPE:
            state |= offline_random_id(args.name, args.inputs)
        if _gets_load_balancer(args.typ, args.inputs):
            # The provider waits for this address before it reports the resource created.
            state["status"] = {"loadBalancer": {"ingress": [{"hostname": OFFLINE_LOAD_BALANCER}]}}
        return f"{args.name}-id", state

    def _password(self, name: str, inputs: dict[str, Any]) -> str:
        return self._passwords(name) if self._passwords else offline_password(name, inputs)

    def call(self, args: mocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        if args.token in self._invoke_answers:
            return dict(self._invoke_answers[args.token]), []
        return {}, []


def _gets_load_balancer(type_: str, inputs: Mapping[str, Any]) -> bool:
    if type_ == INGRESS_TYPE:
        return True
    return type_ == SERVICE_TYPE and (inputs.get("spec") or {}).get("type") == "LoadBalancer"


def _alias_spec(alias: Any) -> AliasSpec:
    if alias.WhichOneof("alias") == "urn":
        return AliasSpec(urn=alias.urn)
    spec = alias.spec
    return AliasSpec(
        name=spec.name,
        type=spec.type,
        stack=spec.stack,
        project=spec.project,
        parent=spec.parentUrn,
        no_parent=spec.noParent,
    )


class _RecordingMonitor(mocks.MockMonitor):
    """Records what ``MockResourceArgs`` leaves out (parent, options), under the engine's URNs."""

    def __init__(self, mock: mocks.Mocks):
        super().__init__(mock)
        self.options: dict[str, dict[str, Any]] = {}
        # Every URN in registration order: the real engine refuses a duplicate, the mock does not.
        self.urns: list[str] = []

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        # The mock's own make_urn keeps only the direct parent's type; the engine keeps them all.
        return resource_urn(pulumi.get_stack(), pulumi.get_project(), parent or None, type_, name)

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type != STACK_TYPE:
            self.urns.append(response.urn)
            aliases = [_alias_spec(alias) for alias in request.aliases]
            self.options[response.urn] = {
                "parent": request.parent or None,
                "custom": bool(request.custom),
                "ignore_changes": tuple(request.ignoreChanges),
                "protect": bool(request.protect),
                "retain_on_delete": bool(request.retainOnDelete),
                "provider": request.provider,
                "depends_on": tuple(request.dependencies),
                "import_id": request.importId or None,
                "type": request.type,
                "name": request.name,
                "aliases": (*aliases, *(AliasSpec(urn=urn) for urn in request.aliasURNs)),
                "replace_on_changes": tuple(request.replaceOnChanges),
                "delete_before_replace": (
                    bool(request.deleteBeforeReplace) if request.deleteBeforeReplaceDefined else None
                ),
            }
        return response


def synthesize(
    stack: str,
    config: Mapping[str, str],
    *,
    secret_keys: list[str] | None = None,
    invoke_answers: Mapping[str, dict[str, Any]] | None = None,
    program: Path = PROJECT_ROOT / "__main__.py",
    passwords: Callable[[str], str] | None = None,
) -> Synthesis:
    """Run ``program`` for ``stack`` with ``config`` under mocks; return what it declared.

    ``passwords`` gives each RandomPassword's result by resource name (a deployment's real
    values); without it each is derived from its name and inputs (offline_password), so previews
    stay reproducible.

    Exceptions the program raises (a SettingsError above all) propagate unchanged.
    """
    monitor = _RecordingMonitor(_Mocks(invoke_answers or {}, passwords))
    _reset_runtime()
    pulumi.runtime.set_all_config(dict(config), secret_keys or [])
    mocks.set_mocks(monitor.mocks, project=PROJECT, stack=stack, preview=False, monitor=monitor)
    try:
        runpy.run_path(str(program), run_name="__main__")
        _sync_await(pulumi.runtime.stack.wait_for_rpcs())
        outputs = _resolve_stack_outputs()
    except BaseException:
        _discard_pending_work()
        raise
    finally:
        _reset_runtime()
    registered = monitor.get_registered_resources()
    resources = [
        DeclaredResource(
            urn=urn,
            type=options["type"],
            name=options["name"],
            parent=options["parent"],
            custom=options["custom"],
            inputs=dict(registered[urn].state) if urn in registered else {},
            ignore_changes=options["ignore_changes"],
            protect=options["protect"],
            retain_on_delete=options["retain_on_delete"],
            provider=options["provider"],
            depends_on=options["depends_on"],
            aliases=options["aliases"],
            replace_on_changes=options["replace_on_changes"],
            delete_before_replace=options["delete_before_replace"],
            import_id=options["import_id"],
        )
        for urn, options in sorted(monitor.options.items())
    ]
    duplicates = sorted({urn for urn in monitor.urns if monitor.urns.count(urn) > 1})
    return Synthesis(stack=stack, resources=resources, outputs=outputs, duplicate_urns=duplicates)


def _resolve_stack_outputs() -> dict[str, Any]:
    """The values ``pulumi.export`` was given, resolved; secret ones keep their secret marking."""
    root = runtime_settings.get_root_resource()
    exported: dict[str, Any] = dict(getattr(root, "outputs", {}) or {})
    resolved: dict[str, Any] = {}
    for name, value in exported.items():
        output = pulumi.Output.from_input(value)
        plain = _sync_await(output.future())
        secret = _sync_await(output.is_secret())
        resolved[name] = {SECRET_SIGNATURE_KEY: SECRET_SIGNATURE_VALUE, "value": plain} if secret else plain
    return resolved


def _discard_pending_work() -> None:
    """After a failed run, cancel what it left on the event loop and start a fresh loop.

    A program that fails part-way leaves registrations and applies pending; left alone they
    would run (and wait, and fail) inside the next synthesis in this process.
    """
    loop = asyncio.get_event_loop()
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.close()
    asyncio.set_event_loop(asyncio.new_event_loop())
    # The SDK tracks every apply task it started; forget the cancelled ones.
    with runtime_settings.SETTINGS.lock:
        runtime_settings.SETTINGS.outputs.clear()


def _reset_runtime() -> None:
    """The SDK keeps the root Stack and config in context variables: clear them per run."""
    runtime_settings.ROOT.set(None)
    pulumi.runtime.set_all_config({}, [])
