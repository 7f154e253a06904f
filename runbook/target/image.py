"""The target image: the team's own definition, then the tool's layer (sshd, deploy users).

This machine may reach no registry, so the Debian bookworm base is made with
``debootstrap --variant=minbase`` from the machine's configured mirror when no such image is
present. A team's Dockerfile whose ``FROM`` image is neither present nor pullable is built
on that base instead, and the build says so. The image is tagged with a hash of everything
that goes into it and only rebuilt when that hash changes.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runbook.errors import TargetError
from runbook.target import layer

if TYPE_CHECKING:
    from runbook.loader import LoadedRunbook

IMAGE_PREFIX = "runbook-target"
BASE_REPO, BASE_TAG = "runbook-base", "bookworm"
BASE = f"{BASE_REPO}:{BASE_TAG}"
BASE_CANDIDATES = ("debian:bookworm", "debian:bookworm-slim", "debian:12", BASE)
SOURCES = Path("/etc/apt/sources.list.d/debian.sources")
FALLBACK_MIRROR = "http://deb.debian.org/debian"
SKIP = {"__pycache__", ".pytest_cache", ".git", ".venv", ".mypy_cache", ".ruff_cache"}
LABEL = "runbook.target"
FROM_LINE = re.compile(r"^(\s*FROM\s+(?:--platform=\S+\s+)?)(\S+)(.*)$", re.I | re.M)


@dataclass(frozen=True)
class BuildResult:
    """Which image serves as the target and what it cost to get it."""

    tag: str
    base: str
    built: bool
    base_built: bool
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Definition:
    """Everything that goes into one project's target image, resolved against its folder."""

    repo: str
    dockerfile: Path | None
    context: Path | None
    packages: tuple[str, ...]
    files: tuple[tuple[Path, str], ...]
    setup: str | None
    tool_files: dict[str, str] = field(default_factory=dict)
    users: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def key(self) -> str:
        """sha256 over the definition and every file it copies, by relative path."""
        digest = hashlib.sha256()
        for part in (self.repo, "\0".join(self.packages), self.setup or "", repr(self.users)):
            digest.update(part.encode() + b"\0")
        for name, text in sorted(self.tool_files.items()):
            digest.update(f"tool/{name}\0{text}\0".encode())
        if self.dockerfile is not None:
            digest.update(b"dockerfile\0" + self.dockerfile.read_bytes() + b"\0")
        roots = [(f"file{i}:{dest}", src) for i, (src, dest) in enumerate(self.files)]
        if self.context is not None:
            roots.append(("context", self.context))
        for prefix, root in roots:
            for path in _files(root):
                rel = path.relative_to(root).as_posix() if root.is_dir() else path.name
                digest.update(f"{prefix}/{rel}\0".encode())
                digest.update(path.read_bytes() + b"\0")
        return digest.hexdigest()[:16]

    def tag(self) -> str:
        return f"{self.repo}:{self.key()}"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "service"


def definition(loaded: LoadedRunbook) -> Definition:
    """The image definition of a runbook's `target:` section; a located error when it has none."""
    rb = loaded.runbook
    if rb.target is None:
        raise TargetError(
            f"{loaded.display}: the runbook declares no `target:`: say how the staging target "
            "is built (see `runbook schema`, Target)"
        )
    base = loaded.path.resolve().parent
    spec = rb.target.image
    dockerfile = base / spec.dockerfile if spec.dockerfile else None
    context = None
    if dockerfile is not None:
        context = base / spec.context if spec.context else dockerfile.parent
        for what, path in (("dockerfile", dockerfile), ("context", context)):
            if not path.exists():
                raise TargetError(f"{loaded.display}: target.image.{what} {path} does not exist")
    files = tuple((base / src, dest) for src, dest in spec.files.items())
    for src, _ in files:
        if not src.exists():
            raise TargetError(f"{loaded.display}: target.image.files: {src} does not exist")
    users = layer.users(rb)
    return Definition(
        repo=f"{IMAGE_PREFIX}-{_slug(rb.service.name)}",
        dockerfile=dockerfile,
        context=context,
        packages=tuple(spec.packages),
        files=files,
        setup=spec.setup,
        tool_files=layer.tool_files(rb),
        users=users,
    )


def _files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and not SKIP.intersection(p.relative_to(root).parts)
    )


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
    return BASE, True


def _run(argv: list[str], what: str) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise TargetError(f"{what} failed (exit {done.returncode}): {tail[0]}")


def ensure_image(client: Any, spec: Definition, rebuild: bool = False) -> BuildResult:
    """The target image for the current definition, built only when missing."""
    tag = spec.tag()
    if not rebuild and tag in _local_tags(client):
        return BuildResult(tag=tag, base="", built=False, base_built=False)
    base, base_built = ensure_base(client)
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="runbook-image-") as tmp:
        work = Path(tmp)
        if spec.dockerfile is not None:
            assert spec.context is not None
            text, notes = _fall_back(client, spec.dockerfile.read_text(encoding="utf-8"), base)
            project = f"{spec.repo}-project:{spec.key()}"
            (work / "Dockerfile.project").write_text(text, encoding="utf-8")
            _build(client, spec.context, project, work / "Dockerfile.project")
            start = f"FROM {project}\n"
        else:
            start = _packages_stage(spec, base, work)
        _write_tool_files(spec, work)
        (work / "Dockerfile").write_text(start + layer.dockerfile(spec.users), encoding="utf-8")
        _build(client, work, tag, work / "Dockerfile")
    _forget_old_tags(client, spec.repo, tag)
    return BuildResult(tag=tag, base=base, built=True, base_built=base_built, notes=tuple(notes))


def _packages_stage(spec: Definition, base: str, work: Path) -> str:
    """Dockerfile lines for Debian packages, the deploy users, files and setup on the base."""
    from shlex import quote

    packages = " ".join(quote(p) for p in (*layer.TOOL_PACKAGES, *spec.packages))
    lines = [
        f"FROM {base}",
        "ENV DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8",
        "RUN apt-get update -qq \\\n"
        f" && apt-get install -y -qq --no-install-recommends {packages} >/dev/null \\\n"
        " && rm -rf /var/lib/apt/lists/*",
        layer.users_run(spec.users),
    ]
    for index, (src, dest) in enumerate(spec.files):
        name = f"files/{index}"
        if src.is_dir():
            shutil.copytree(src, work / name, ignore=shutil.ignore_patterns(*SKIP))
        else:
            (work / "files").mkdir(exist_ok=True)
            shutil.copy2(src, work / name)
        lines.append(f"COPY {name} {dest}")
    if spec.setup is not None:
        (work / "setup.sh").write_text(spec.setup, encoding="utf-8")
        lines.append("COPY setup.sh /tmp/runbook-setup.sh")
        lines.append("RUN bash -euo pipefail /tmp/runbook-setup.sh && rm -f /tmp/runbook-setup.sh")
    return "\n".join(lines) + "\n"


def _write_tool_files(spec: Definition, work: Path) -> None:
    (work / "runbook").mkdir()
    for name, text in spec.tool_files.items():
        (work / "runbook" / name).write_text(text, encoding="utf-8")


def _fall_back(client: Any, text: str, base: str) -> tuple[str, list[str]]:
    """Replace each `FROM` image that is neither present nor pullable by the Debian base."""
    present = _local_tags(client)
    stages: set[str] = set()
    notes: list[str] = []

    def replace(match: re.Match[str]) -> str:
        image, rest = match.group(2), match.group(3)
        alias = re.search(r"\s+AS\s+(\S+)", rest, re.I)
        if alias:
            stages.add(alias.group(1).lower())
        if "$" in image or image.lower() in stages or image == "scratch":
            return match.group(0)
        wanted = image if ":" in image.rsplit("/", 1)[-1] else f"{image}:latest"
        if wanted in present or _pulled(client, wanted):
            return match.group(0)
        notes.append(f"FROM {image} is not here and cannot be pulled: built on {base} instead")
        return match.group(1) + base + rest

    return FROM_LINE.sub(replace, text), notes


def _pulled(client: Any, image: str) -> bool:
    import docker

    try:
        client.images.pull(image)
    except docker.errors.DockerException:
        return False
    return True


def _forget_old_tags(client: Any, repo: str, keep: str) -> None:
    """Untag images of older definitions so they do not pile up; ones in use stay."""
    import docker

    for name in (repo, f"{repo}-project"):
        for found in client.images.list(name=name):
            for old in (t for t in found.tags if t != keep and t.rsplit(":", 1)[0] == name):
                if old.rsplit(":", 1)[1] == keep.rsplit(":", 1)[1]:
                    continue
                with contextlib.suppress(docker.errors.APIError):
                    client.images.remove(old)


def _build(client: Any, context: Path, tag: str, dockerfile: Path) -> None:
    import docker

    try:
        client.images.build(
            path=str(context),
            dockerfile=str(dockerfile),
            tag=tag,
            rm=True,
            forcerm=True,
            labels={LABEL: "1"},
        )
    except docker.errors.BuildError as exc:
        lines = [str(c.get("stream", c.get("error", ""))).strip() for c in exc.build_log]
        detail = next((line for line in reversed(lines) if line), str(exc))
        raise TargetError(f"building the target image {tag} failed: {detail}") from None
    except docker.errors.APIError as exc:
        raise TargetError(f"building the target image failed: {exc.explanation or exc}") from None
    except OSError as exc:
        raise TargetError(f"building the target image failed: {exc}") from None
