"""Pod DNS names for servers on loopback: one 127.x.y.z address per pod, names in a private hosts file.

Redis resolves names through the C library (``getaddrinfo``), which reads ``/etc/hosts``;
``HOSTALIASES`` does not reach it. So every process that must resolve the test's pod names
(redis-server, redis-sentinel, redis-cli in the rendered scripts) runs in its own mount
namespace where a private file is bind-mounted over ``/etc/hosts``. The file is rewritten in
place (same inode), so a running process sees a changed address at its next lookup, as a
pod sees a changed DNS record. The machine's own ``/etc/hosts`` is never touched.

The test process itself does not resolve the names: it connects by address, and redis-py's
cluster client gets ``address_remap`` (``remap``) for the names the cluster announces.
"""

from __future__ import annotations

import ipaddress
import random
import shutil
from collections.abc import Sequence
from pathlib import Path

# In the new mount namespace: put the private file over /etc/hosts, then become the command.
_ENTER = 'mount --bind "$0" /etc/hosts && exec "$@"'


class PrivateHosts:
    """A hosts file of ``name -> address`` and the command prefix that makes a process use it."""

    def __init__(self, path: Path) -> None:
        if shutil.which("unshare") is None:
            raise FileNotFoundError("unshare (util-linux) is needed to give processes a private /etc/hosts")
        self.path = path
        self.addresses: dict[str, str] = {}
        # A random 127.a.b.0/24 block per file: tests running side by side never share an address.
        self._block = f"127.{random.randint(1, 254)}.{random.randint(1, 254)}"
        self._next = 10
        self._write()

    def new_address(self) -> str:
        """A loopback address no name of this file has had yet."""
        address = f"{self._block}.{self._next}"
        self._next += 1
        if self._next > 250:
            raise RuntimeError("this hosts file ran out of loopback addresses")
        return str(ipaddress.IPv4Address(address))

    def assign(self, name: str, address: str) -> None:
        """Point ``name`` at ``address`` (a DNS record that changed)."""
        self.addresses[name] = address
        self._write()

    def wrap(self, command: Sequence[str]) -> list[str]:
        """``command`` run in its own mount namespace that sees this file as /etc/hosts."""
        return [
            "unshare",
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            _ENTER,
            str(self.path),
            *command,
        ]

    def remap(self, address: tuple[str, int]) -> tuple[str, int]:
        """redis-py's ``address_remap``: a pod name to its current address, anything else as is."""
        host, port = address
        return self.addresses.get(host, host), port

    def _write(self) -> None:
        lines = ["127.0.0.1 localhost", *(f"{ip} {name}" for name, ip in self.addresses.items())]
        # Rewritten in place: the bind mounts keep pointing at this inode.
        with self.path.open("w") as hosts:
            hosts.write("\n".join(lines) + "\n")
