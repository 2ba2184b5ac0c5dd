"""``python -m autoscaler.healthcheck [PORT]``: exit 0 when the autoscaler's /healthz says ok.

The Swarm service's health check (the images need no wget or curl for it).
"""

from __future__ import annotations

import sys
import urllib.request


def main(argv: list[str]) -> int:
    port = argv[0] if argv else "9464"
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=3) as response:
            return 0 if response.status == 200 else 1
    except OSError:
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
