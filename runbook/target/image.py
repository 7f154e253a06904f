"""The target image: a local Debian base, then the Dockerfile beside this module.

This machine reaches no registry, so when no Debian bookworm image is present the base is
made with ``debootstrap --variant=minbase`` from the machine's configured mirror and
imported. The target image is tagged with a hash of its definition (the files in
``image/`` and the example service) and only rebuilt when that hash changes.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runbook.errors import TargetError

HERE = Path(__file__).resolve().parent
DEFINITION_DIR = HERE / "image"
SERVICE_DIR = HERE.parent.parent / "example" / "service"
IMAGE_REPO = "runbook-target"
BASE_REPO, BASE_TAG = "runbook-base", "bookworm"
BASE_CANDIDATES = (
    "debian:bookworm",
    "debian:bookworm-slim",
    "debian:12",
    f"{BASE_REPO}:{BASE_TAG}",
)
SOURCES = Path("/etc/apt/sources.list.d/debian.sources")
FALLBACK_MIRROR = "http://deb.debian.org/debian"
SKIP = {"__pycache__", ".pytest_cache"}


@dataclass(frozen=True)
class BuildResult:
    """Which image serves as the target and what it cost to get it."""

    tag: str
    base: str
    built: bool
    base_built: bool


def _files(root: Path) -> list[Path]:
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and not SKIP.intersection(p.relative_to(root).parts)
    )


def definition_hash() -> str:
    """sha256 over the image definition and the service it ships, by relative path."""
    digest = hashlib.sha256()
    for prefix, root in (("image", DEFINITION_DIR), ("service", SERVICE_DIR)):
        for path in _files(root):
            digest.update(f"{prefix}/{path.relative_to(root).as_posix()}\0".encode())
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def image_tag() -> str:
    return f"{IMAGE_REPO}:{definition_hash()}"


def mirror(sources: Path = SOURCES) -> str:
    """The Debian mirror this machine is configured with (first `URIs:` of the main suite)."""
    try:
        text = sources.read_text(encoding="utf-8")
    except OSError:
        return FALLBACK_MIRROR
    for block in text.split("\n\n"):
        uris = re.search(r"^URIs:\s*(\S+)", block, re.M)
        suites = re.search(r"^Suites:\s*(.+)$", block, re.M)
        if uris and suites and "bookworm" in suites.group(1).split():
            return uris.group(1)
    return FALLBACK_MIRROR


def _local_tags(client: Any) -> set[str]:
    return {tag for image in client.images.list() for tag in image.tags}


def ensure_base(client: Any) -> tuple[str, bool]:
    """A Debian bookworm image present locally, made with debootstrap when there is none."""
    present = _local_tags(client)
    for candidate in BASE_CANDIDATES:
        if candidate in present:
            return candidate, False
    if shutil.which("debootstrap") is None:
        raise TargetError(
            "no Debian base image and no `debootstrap` to make one (apt-get install debootstrap)"
        )
    with tempfile.TemporaryDirectory(prefix="runbook-base-") as tmp:
        root, archive = Path(tmp) / "root", Path(tmp) / "root.tar"
        _run(["debootstrap", "--variant=minbase", "bookworm", str(root), mirror()], "debootstrap")
        _run(["tar", "-C", str(root), "-cf", str(archive), "."], "tar")
        client.api.import_image_from_file(str(archive), repository=BASE_REPO, tag=BASE_TAG)
    return f"{BASE_REPO}:{BASE_TAG}", True


def _run(argv: list[str], what: str) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise TargetError(f"{what} failed (exit {done.returncode}): {tail[0]}")


def ensure_image(client: Any, rebuild: bool = False) -> BuildResult:
    """The target image for the current definition, built only when missing."""
    tag = image_tag()
    if not rebuild and tag in _local_tags(client):
        return BuildResult(tag=tag, base="", built=False, base_built=False)
    base, base_built = ensure_base(client)
    with tempfile.TemporaryDirectory(prefix="runbook-image-") as tmp:
        context = Path(tmp) / "context"
        shutil.copytree(DEFINITION_DIR, context)
        shutil.copytree(SERVICE_DIR, context / "service", ignore=shutil.ignore_patterns(*SKIP))
        _build(client, context, tag, base)
    _forget_old_tags(client, tag)
    return BuildResult(tag=tag, base=base, built=True, base_built=base_built)


def _forget_old_tags(client: Any, keep: str) -> None:
    """Untag images of older definitions so they do not pile up; ones in use stay."""
    import docker

    for found in client.images.list(name=IMAGE_REPO):
        for old in (t for t in found.tags if t != keep and t.startswith(f"{IMAGE_REPO}:")):
            with contextlib.suppress(docker.errors.APIError):
                client.images.remove(old)


def _build(client: Any, context: Path, tag: str, base: str) -> None:
    import docker

    try:
        client.images.build(
            path=str(context),
            tag=tag,
            buildargs={"BASE_IMAGE": base},
            rm=True,
            forcerm=True,
            labels={"runbook.target": "1"},
        )
    except docker.errors.BuildError as exc:
        lines = [str(c.get("stream", c.get("error", ""))).strip() for c in exc.build_log]
        detail = next((line for line in reversed(lines) if line), str(exc))
        raise TargetError(f"building the target image failed: {detail}") from None
    except docker.errors.APIError as exc:
        raise TargetError(f"building the target image failed: {exc.explanation or exc}") from None
