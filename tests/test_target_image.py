"""The target image definition: its cache key, the Debian mirror, the base image choice."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from runbook.errors import TargetError
from runbook.target import image

SOURCES = """Types: deb
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main

Types: deb
URIs: http://security.example/debian-security
Suites: bookworm-security
Components: main
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (SOURCES, "http://mirror.example/debian"),
        (
            "Types: deb\nURIs: http://only-security/\nSuites: bookworm-security\n",
            image.FALLBACK_MIRROR,
        ),
        ("", image.FALLBACK_MIRROR),
    ],
)
def test_mirror_is_the_main_bookworm_suite(tmp_path: Path, text: str, expected: str) -> None:
    sources = tmp_path / "debian.sources"
    sources.write_text(text, encoding="utf-8")
    assert image.mirror(sources) == expected


def test_mirror_without_sources_file_falls_back(tmp_path: Path) -> None:
    assert image.mirror(tmp_path / "missing") == image.FALLBACK_MIRROR


def _copy_definition(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    import shutil

    definition, service = tmp_path / "image", tmp_path / "service"
    shutil.copytree(image.DEFINITION_DIR, definition)
    shutil.copytree(image.SERVICE_DIR, service)
    monkeypatch.setattr(image, "DEFINITION_DIR", definition)
    monkeypatch.setattr(image, "SERVICE_DIR", service)
    return definition, service


@pytest.mark.parametrize(
    "where", ["image/Dockerfile", "service/app.py", "service/migrations/003_x.sql"]
)
def test_hash_changes_with_any_definition_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    _copy_definition(tmp_path, monkeypatch)
    before = image.definition_hash()
    with (tmp_path / where).open("a", encoding="utf-8") as handle:
        handle.write("\n-- changed\n")
    assert image.definition_hash() != before


def test_hash_ignores_bytecode_caches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, service = _copy_definition(tmp_path, monkeypatch)
    before = image.definition_hash()
    (service / "__pycache__").mkdir(exist_ok=True)
    (service / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"\0")
    assert image.definition_hash() == before
    assert image.image_tag() == f"{image.IMAGE_REPO}:{before}"


class FakeImages:
    def __init__(self, tags: list[str]) -> None:
        self._tags = tags

    def list(self) -> list[SimpleNamespace]:
        return [SimpleNamespace(tags=self._tags)]


@pytest.mark.parametrize("present", ["debian:bookworm", "runbook-base:bookworm"])
def test_a_present_debian_image_is_the_base(present: str) -> None:
    client = SimpleNamespace(images=FakeImages([present, "other:1"]))
    assert image.ensure_base(client) == (present, False)


def test_cached_image_is_not_rebuilt() -> None:
    client = SimpleNamespace(images=FakeImages([image.image_tag()]))
    assert image.ensure_image(client).built is False


def test_no_base_and_no_debootstrap_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(image.shutil, "which", lambda name: None)
    client = SimpleNamespace(images=FakeImages([]))
    with pytest.raises(TargetError, match="debootstrap"):
        image.ensure_base(client)
