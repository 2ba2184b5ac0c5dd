"""Images for the Docker tests, built from Debian packages (no registry is reachable here).

One base root filesystem with every Debian package the services need (Redis, Sentinel,
NGINX, Python, wget) is made with mmdebstrap from the machine's package sources and cached
under ~/.cache/technovastore, keyed by the package list and this file. Each engine imports it
(``docker import``); the stand-in app image adds the project's cache library on top.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import shutil
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

import docker

from tests.support.docker_engine import CACHE_ROOT


@dataclass(frozen=True)
class RootfsRecipe:
    """One root filesystem: Debian packages and the hooks that shape it like the image it stands for."""

    name: str
    packages: tuple[str, ...]
    hooks: tuple[str, ...] = ()
    # Paths dpkg leaves out (besides documentation): what the image's programs never read.
    excludes: tuple[str, ...] = ()


# python3-async-timeout: redis-py needs it below Python 3.11.3 (bookworm has 3.11.2).
BASE = RootfsRecipe(
    "base",
    ("redis-server", "redis-sentinel", "redis-tools", "nginx", "python3", "python3-async-timeout", "wget"),
    # Redis runs as its own user; a volume mounted at /data takes this directory's owner.
    ('chroot "$1" install -d -o redis -g redis -m 0750 /data',),
)
# Prometheus and the exporters the Swarm stack runs, at the paths of their upstream images
# (prom/prometheus: /bin/prometheus and /prometheus owned by nobody; oliver006/redis_exporter:
# /redis_exporter; mtail: /usr/bin/mtail), so the stack's commands run unchanged.
MONITORING = RootfsRecipe(
    "monitoring",
    ("prometheus", "prometheus-redis-exporter", "mtail", "wget"),
    (
        'chroot "$1" install -d -o 65534 -g 65534 -m 0755 /prometheus',
        'ln -s /usr/bin/prometheus-redis-exporter "$1/redis_exporter"',
    ),
    # The web UI's time-zone tables (200 MB) and promtool: the tests query the HTTP API.
    ("/usr/share/javascript/moment-timezone/data/*", "/usr/bin/promtool"),
)
SUITE = "bookworm"
REPOSITORY = "technovastore-test"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
# The app image runs the stand-in app, `python -m checks` from inside the stack's network and
# `python -m autoscaler` (the stack's autoscaler service): the project's packages, its stack
# files, and the installed modules those packages import.
APP_PACKAGES = ("cache_manager", "components", "checks", "autoscaler")
APP_ENTRY_MODULES = ("cache_manager", "checks.cli", "checks.suite", "autoscaler.cli")
APP_ROOT = "/opt/technovastore"
BUILD_SECONDS = 600


@dataclass
class Images:
    """The test images in one engine: the Debian base (Redis, Sentinel, NGINX) and the stand-in app."""

    base: str
    app: str


def _digest(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part + b"\0")
    return digest.hexdigest()[:12]


def rootfs_key(recipe: RootfsRecipe = BASE) -> str:
    """What decides a root filesystem: the mmdebstrap command (packages, hooks, suite)."""
    return _digest(" ".join(_mmdebstrap_command(recipe, Path("rootfs.tar"))).encode())


def _mmdebstrap_command(recipe: RootfsRecipe, target: Path) -> list[str]:
    return [
        "mmdebstrap",
        "--variant=essential",
        f"--include={','.join(recipe.packages)}",
        *(f"--dpkgopt=path-exclude=/usr/share/{part}/*" for part in ("doc", "man", "locale", "info")),
        *(f"--dpkgopt=path-exclude={path}" for path in recipe.excludes),
        *(f"--customize-hook={hook}" for hook in recipe.hooks),
        SUITE,
        str(target),
    ]


def rootfs_path(recipe: RootfsRecipe = BASE) -> Path:
    return CACHE_ROOT / "images" / f"{recipe.name}-{rootfs_key(recipe)}.tar"


def base_rootfs_path() -> Path:
    return rootfs_path(BASE)


def build_rootfs(recipe: RootfsRecipe = BASE) -> Path:
    """The cached root filesystem tarball; built (about 20 s) when the key changed."""
    target = rootfs_path(recipe)
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial.tar")  # mmdebstrap picks the format by extension
    command = _mmdebstrap_command(recipe, partial)
    done = subprocess.run(command, capture_output=True, text=True, timeout=BUILD_SECONDS, check=False)
    if done.returncode != 0:
        shutil.rmtree(partial, ignore_errors=True) if partial.is_dir() else partial.unlink(missing_ok=True)
        raise RuntimeError(f"mmdebstrap failed ({done.returncode}): {done.stderr[-2000:]}")
    partial.rename(target)
    return target


def import_rootfs(client: docker.DockerClient, recipe: RootfsRecipe = BASE) -> str:
    """The recipe's image in this engine, as ``technovastore-test:<name>-<key>``."""
    tag = f"{recipe.name}-{rootfs_key(recipe)}"
    reference = f"{REPOSITORY}:{tag}"
    if not client.images.list(name=reference):
        with build_rootfs(recipe).open("rb") as rootfs:
            client.api.import_image_from_data(rootfs, repository=REPOSITORY, tag=tag)
    return reference


def import_base(client: docker.DockerClient) -> str:
    return import_rootfs(client, BASE)


def _module_paths(name: str) -> list[Path]:
    spec = importlib.util.find_spec(name)
    if spec is not None and spec.submodule_search_locations:  # a package (or namespace package)
        return [Path(location) for location in spec.submodule_search_locations]
    if spec is None or spec.origin is None:
        raise RuntimeError(f"{name} is not importable here")
    return [Path(spec.origin)]


def installed_dependencies() -> list[str]:
    """Top-level installed modules the entry modules import (asked of a fresh interpreter)."""
    probe = (
        "import importlib, sys, sysconfig\n"
        f"for name in {APP_ENTRY_MODULES!r}: importlib.import_module(name)\n"
        "site = sysconfig.get_paths()['purelib']\n"
        "print(' '.join(sorted({n.split('.')[0] for n, m in list(sys.modules.items())\n"
        "    if (getattr(m, '__file__', None) or '').startswith(site)})))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=PROJECT_ROOT, check=True
    )
    # setuptools' import hook is loaded by a .pth file, not by the project.
    return [name for name in done.stdout.split() if not name.startswith("_distutils")]


def app_tarball() -> tuple[bytes, str]:
    """The app layer (project packages and stack files, their dependencies, the stand-in server)."""
    buffer = io.BytesIO()

    def skip_caches(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
        return None if "__pycache__" in info.name else info

    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for package in APP_PACKAGES:
            tar.add(PROJECT_ROOT / package, arcname=package, filter=skip_caches)
        for stack_file in sorted(PROJECT_ROOT.glob("Pulumi*.yaml")):
            tar.add(stack_file, arcname=stack_file.name)
        for dependency in installed_dependencies():
            for path in _module_paths(dependency):
                tar.add(path, arcname=f"site-packages/{path.name}", filter=skip_caches)
        tar.add(Path(__file__).with_name("standin_app.py"), arcname="standin_app.py")
    data = buffer.getvalue()
    return data, _digest(data)


def build_app_image(client: docker.DockerClient, base: str) -> str:
    """The stand-in app image: the base plus the app layer, committed in this engine."""
    data, digest = app_tarball()
    reference = f"{REPOSITORY}:app-{digest}"
    if client.images.list(name=reference):
        return reference
    container = client.containers.create(base, command=["true"])
    try:
        container.put_archive("/opt", _wrap(data, APP_ROOT.rsplit("/", 1)[-1]))
        container.commit(
            repository=REPOSITORY,
            tag=f"app-{digest}",
            conf={
                "Cmd": ["python3", f"{APP_ROOT}/standin_app.py"],
                "Env": [f"PYTHONPATH={APP_ROOT}:{APP_ROOT}/site-packages", "PYTHONDONTWRITEBYTECODE=1"],
            },
        )
    finally:
        container.remove(force=True)
    return reference


def _wrap(data: bytes, folder: str) -> bytes:
    """``data`` (a tar) re-rooted under ``folder``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(data)) as source, tarfile.open(fileobj=buffer, mode="w") as tar:
        directory = tarfile.TarInfo(folder)
        directory.type, directory.mode = tarfile.DIRTYPE, 0o755
        tar.addfile(directory)
        for member in source.getmembers():
            extracted = source.extractfile(member) if member.isfile() else None
            member.name = f"{folder}/{member.name}"
            member.uid = member.gid = 0
            member.mode |= 0o444
            tar.addfile(member, extracted)
    return buffer.getvalue()


def numeric_user(client: docker.DockerClient, image: str, user: str) -> str:
    """``uid:gid`` of ``user`` in ``image`` (a Debian-built image numbers its system users itself)."""
    output = client.containers.run(image, ["sh", "-c", f"echo $(id -u {user}):$(id -g {user})"], remove=True)
    return bytes(output).decode().strip()
