"""The target image definition: its cache key, the Debian mirror, the base image choice."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from runbook.errors import TargetError
from runbook.target import image, layer

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


def _definition(tmp_path: Path, **image_spec: object) -> image.Definition:
    """A runbook whose target is built from ``image_spec``, in a project folder of its own."""
    from test_scripts_support import loaded_from, small_runbook

    project = tmp_path / "project"
    (project / "target").mkdir(parents=True, exist_ok=True)
    (project / "service").mkdir(exist_ok=True)
    for rel, text in (("target/Dockerfile", "FROM debian:bookworm\n"), ("service/app.js", "1\n")):
        if not (project / rel).exists():
            (project / rel).write_text(text, encoding="utf-8")
    data = small_runbook()
    data["target"] = {
        "image": image_spec or {"dockerfile": "target/Dockerfile", "context": "."},
        "start": "exec my-process-manager",
        "activate": "true",
        "releases": {
            "source": "service",
            "versions": [{"tag": "1.0.0"}, {"tag": "1.1.0"}],
            "unhealthy": {"files": {"BROKEN": "x"}},
        },
    }
    loaded = loaded_from(data)
    loaded = type(loaded)(
        runbook=loaded.runbook,
        path=project / "runbook.yaml",
        files=(),
        digest=loaded.digest,
        source_map=loaded.source_map,
    )
    return image.definition(loaded)


@pytest.mark.parametrize("where", ["target/Dockerfile", "service/app.js", "service/new.txt"])
def test_hash_changes_with_any_file_of_the_build(tmp_path: Path, where: str) -> None:
    before = _definition(tmp_path).key()
    with (tmp_path / "project" / where).open("a", encoding="utf-8") as handle:
        handle.write("\n# changed\n")
    assert _definition(tmp_path).key() != before


def test_hash_ignores_caches_and_version_control(tmp_path: Path) -> None:
    before = _definition(tmp_path)
    for junk in ("service/__pycache__/app.pyc", ".git/index", ".venv/bin/python"):
        (tmp_path / "project" / junk).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "project" / junk).write_bytes(b"\0")
    after = _definition(tmp_path)
    assert after.key() == before.key()
    assert after.tag() == f"{image.IMAGE_PREFIX}-svc:{before.key()}"


def test_packages_setup_and_start_are_part_of_the_hash(tmp_path: Path) -> None:
    one = _definition(tmp_path, packages=["nodejs"], setup="mkdir /x").key()
    assert _definition(tmp_path, packages=["nodejs", "sqlite3"], setup="mkdir /x").key() != one
    assert _definition(tmp_path, packages=["nodejs"], setup="mkdir /y").key() != one


def test_a_missing_dockerfile_is_one_located_error(tmp_path: Path) -> None:
    with pytest.raises(TargetError, match=r"target.image.dockerfile .*nowhere/Dockerfile"):
        _definition(tmp_path, dockerfile="nowhere/Dockerfile")


def test_no_target_section_is_one_clear_error() -> None:
    from test_scripts_support import loaded_from, small_runbook

    with pytest.raises(TargetError, match="declares no `target:`"):
        image.definition(loaded_from(small_runbook()))


def test_the_tool_layer_adds_sshd_and_each_deploy_user_with_its_paths(tmp_path: Path) -> None:
    spec = _definition(tmp_path, packages=["nodejs"])
    users = dict(spec.users)
    assert users and all(paths for paths in users.values())
    text = layer.dockerfile(spec.users)
    for user, paths in users.items():
        assert f"useradd --create-home --shell /bin/bash {user}" in text
        for path in paths:
            assert f"{path}/releases" in text and f"{path}/backups" in text
    assert 'ENTRYPOINT ["/etc/runbook/entrypoint.sh"]' in text
    assert "AllowUsers " + " ".join(users) in spec.tool_files["sshd_config"]
    assert "exec my-process-manager" in spec.tool_files["start.sh"]
    assert "PasswordAuthentication no" in spec.tool_files["sshd_config"]


@pytest.mark.parametrize(
    ("dockerfile", "present", "expected"),
    [
        ("FROM debian:bookworm\nRUN x\n", [], "FROM runbook-base:bookworm\nRUN x\n"),
        ("FROM debian:bookworm\n", ["debian:bookworm"], "FROM debian:bookworm\n"),
        (
            "FROM golang:1.22 AS build\nFROM build\nFROM scratch\n",
            [],
            "FROM runbook-base:bookworm AS build\nFROM build\nFROM scratch\n",
        ),
        ("ARG BASE\nFROM ${BASE}\n", [], "ARG BASE\nFROM ${BASE}\n"),
    ],
)
def test_a_from_image_that_cannot_be_had_falls_back_to_the_base(
    dockerfile: str, present: list[str], expected: str
) -> None:
    import docker

    class Images(FakeImages):
        def pull(self, name: str) -> None:
            raise docker.errors.APIError("no registry")

    client = SimpleNamespace(images=Images(present))
    text, notes = image._fall_back(client, dockerfile, image.BASE)
    assert text == expected
    assert len(notes) == (expected != dockerfile) and all("cannot be pulled" in n for n in notes)


class FakeImages:
    def __init__(self, tags: list[str]) -> None:
        self._tags = tags

    def list(self) -> list[SimpleNamespace]:
        return [SimpleNamespace(tags=self._tags)]


@pytest.mark.parametrize("present", ["debian:bookworm", "runbook-base:bookworm"])
def test_a_present_debian_image_is_the_base(present: str) -> None:
    client = SimpleNamespace(images=FakeImages([present, "other:1"]))
    assert image.ensure_base(client) == (present, False)


def test_cached_image_is_not_rebuilt(tmp_path: Path) -> None:
    spec = _definition(tmp_path)
    client = SimpleNamespace(images=FakeImages([spec.tag()]))
    assert image.ensure_image(client, spec).built is False


def test_no_base_and_no_debootstrap_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(image.shutil, "which", lambda name: None)
    client = SimpleNamespace(images=FakeImages([]))
    with pytest.raises(TargetError, match="debootstrap"):
        image.ensure_base(client)
