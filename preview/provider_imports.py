"""Run a provider SDK's package body only when something asks the package itself for a name.

The generated ``pulumi_cloudflare/__init__.py`` imports every one of the provider's ~780
resource and function modules, about 3 s of a preview that needs five of them. The program
imports what it declares from the modules that define it (``pulumi_cloudflare.ruleset``), which
under ``pulumi up`` still runs the package body first, as usual.

For the preview process, :func:`defer_package_body` puts the package in ``sys.modules`` without
running its body: the real ``__path__`` (so submodules import from the installed files) and the
helper modules every generated module imports. The first time anything asks the package for
another name (``cloudflare.Ruleset``, ``dir(cloudflare)``), the real ``__init__`` runs in place,
so that name, and every other, is exactly what a plain import would have given. Nothing the
program declares changes.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from types import ModuleType
from typing import Any

# The modules a generated module imports from its package (``from . import _utilities``), in
# the order they import one another.
GENERATED_HELPERS = ("_utilities", "_inputs", "outputs")
DEFERRED_PACKAGES = ("pulumi_cloudflare",)


class DeferredPackage(ModuleType):
    """A package whose ``__init__`` has not run yet: it runs on the first ordinary name asked for.

    Dunder names (``__path__``, ``__spec__``, what the import system reads) and the generated
    helpers are answered without it.
    """

    def __getattribute__(self, name: str) -> Any:
        if not (name.startswith("__") or name in GENERATED_HELPERS):
            run_package_body(self)
        return ModuleType.__getattribute__(self, name)

    def __dir__(self) -> list[str]:
        run_package_body(self)
        return list(ModuleType.__dir__(self))


def run_package_body(package: DeferredPackage) -> None:
    """Make ``package`` an ordinary module by running its ``__init__`` in it, as an import would."""
    # Ordinary from here on, so the body's own lookups (and every later one) go straight through.
    package.__class__ = ModuleType  # type: ignore[assignment]
    spec = package.__spec__
    assert spec is not None and spec.loader is not None  # checked by defer_package_body
    spec.loader.exec_module(package)


def defer_package_body(package: str) -> None:
    """Let ``package``'s submodules import without its ``__init__``; it runs on first real use."""
    if package in sys.modules:
        return
    spec = importlib.util.find_spec(package)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        raise ImportError(f"{package} is not an installed package")
    shell = importlib.util.module_from_spec(spec)
    shell.__class__ = DeferredPackage
    sys.modules[package] = shell
    try:
        for helper in GENERATED_HELPERS:
            importlib.import_module(f"{package}.{helper}")
    except BaseException:
        del sys.modules[package]
        raise


def defer_provider_package_bodies() -> None:
    """Defer the body of every provider package the preview knows to be expensive to import."""
    for package in DEFERRED_PACKAGES:
        defer_package_body(package)
