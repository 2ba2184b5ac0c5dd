"""``python -m preview``: the offline preview's command line (see preview.cli)."""

import gc
import sys

from preview.provider_imports import defer_provider_package_bodies

# The provider SDKs create a few hundred thousand objects that live as long as the process and
# hold no garbage; mypy's generation-0 threshold keeps the collector from walking them over and over.
gc.set_threshold(200_000, 30, 30)
# Before the program's modules import the provider SDKs.
defer_provider_package_bodies()

from preview.cli import main  # noqa: E402

code = main()
# Interpreter exit would walk every one of those objects once more (about 1 s) to find no garbage.
gc.freeze()
sys.exit(code)
