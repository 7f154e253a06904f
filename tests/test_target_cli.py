"""`runbook target` without Docker at hand: clear one-line errors, state handling, ssh_config."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from runbook.cli import main
from runbook.target import container, daemon


def test_status_without_a_target_says_so(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["target", "status", "--state-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "no target recorded" in result.output


@pytest.mark.parametrize(
    ("which", "euid", "message"),
    [
        (None, 0, "Docker is not installed: `dockerd` not found"),
        ("/usr/sbin/dockerd", 1000, "starting `dockerd` needs root"),
    ],
)
def test_up_without_docker_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, which: str | None, euid: int, message: str
) -> None:
    import docker

    def unreachable(**_: object) -> None:
        raise docker.errors.DockerException("no socket")

    monkeypatch.setattr(docker, "from_env", unreachable)
    monkeypatch.setattr(daemon.shutil, "which", lambda name: which)
    monkeypatch.setattr(daemon.os, "geteuid", lambda: euid)
    result = CliRunner().invoke(main, ["target", "up", "--state-dir", str(tmp_path)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0]
    assert "Traceback" not in result.output


def test_ssh_config_maps_every_environment_host_to_loopback(tmp_path: Path) -> None:
    hosts = {"shop-staging.internal": "shop", "shop.internal": "release"}
    text = container.ssh_config_text(40022, tmp_path / "id_ed25519", hosts)
    blocks = text.split("Host ")[1:]
    assert [b.splitlines()[0] for b in blocks] == list(hosts)
    for block, user in zip(blocks, hosts.values(), strict=True):
        for line in (
            "HostName 127.0.0.1",
            "Port 40022",
            f"User {user}",
            "StrictHostKeyChecking no",
            "UserKnownHostsFile /dev/null",
            f"IdentityFile {tmp_path / 'id_ed25519'}",
        ):
            assert f"  {line}\n" in block


def test_the_shape_of_the_target_comes_from_the_runbook() -> None:
    from runbook.loader import load

    rb = load(Path(__file__).resolve().parent.parent / "runbook.yaml").runbook
    shape = container.Shape.of(rb)
    # One container plays every single host; a fleet has containers of its own.
    assert shape.hosts == {env.host: env.ssh_user for env in rb.environments.values() if env.host}
    assert rb.target is not None and shape.http_port == rb.target.http_port
    assert shape.health_path == next(iter(rb.environments.values())).health_path


def test_key_pair_is_fresh_per_run(tmp_path: Path) -> None:
    first_key, first_public = container.make_key(tmp_path)
    _, second_public = container.make_key(tmp_path)
    assert first_public.startswith("ssh-ed25519 ") and first_public != second_public
    assert first_key.stat().st_mode & 0o077 == 0


def test_load_reads_what_start_records(tmp_path: Path) -> None:
    record = {
        "container_id": "abc",
        "name": "t",
        "image": "runbook-target:x",
        "ssh_port": 1,
        "http_port": 2,
        "key_file": "k",
        "ssh_config": "c",
    }
    (tmp_path / "target.json").write_text(json.dumps(record), encoding="utf-8")
    found = container.load(tmp_path)
    assert found is not None and found.http_url == "http://127.0.0.1:2"
    (tmp_path / "target.json").write_text("{", encoding="utf-8")
    assert container.load(tmp_path) is None


def _no_docker(monkeypatch: pytest.MonkeyPatch) -> None:
    import docker

    def unreachable(**_: object) -> None:
        raise docker.errors.DockerException("no socket")

    monkeypatch.setattr(docker, "from_env", unreachable)
    monkeypatch.setattr(daemon.shutil, "which", lambda name: None)


def test_verify_without_docker_is_one_line_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    _no_docker(monkeypatch)
    root = Path(__file__).resolve().parent.parent
    runbook = tmp_path / "runbook.yaml"
    shutil.copy(root / "runbook.yaml", runbook)
    shutil.copytree(root / "example", tmp_path / "example")
    result = CliRunner().invoke(main, ["verify", str(runbook)])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "dockerd" in result.output
    assert not (tmp_path / "verification.json").exists()


def test_verify_of_a_runbook_whose_dockerfile_is_missing_is_one_line(tmp_path: Path) -> None:
    import shutil

    runbook = tmp_path / "runbook.yaml"
    shutil.copy(Path(__file__).resolve().parent.parent / "runbook.yaml", runbook)
    result = CliRunner().invoke(main, ["verify", str(runbook)])
    assert result.exit_code == 2 and result.output.strip().count("\n") == 0
    assert "target.image.dockerfile" in result.output and "does not exist" in result.output


def test_verify_of_an_unusable_runbook_is_exit_2(tmp_path: Path) -> None:
    runbook = tmp_path / "runbook.yaml"
    runbook.write_text("service: [\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["verify", str(runbook)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_orphaned_targets_are_removed_and_live_ones_kept(tmp_path: Path) -> None:
    from types import SimpleNamespace

    removed: list[str] = []

    def fake(name: str, state: Path) -> SimpleNamespace:
        return SimpleNamespace(
            name=name,
            labels={container.LABEL: str(state)},
            remove=lambda force: removed.append(name),
        )

    live, gone = fake("live", tmp_path), fake("gone", tmp_path / "deleted")
    client = SimpleNamespace(containers=SimpleNamespace(list=lambda **_: [live, gone]))
    assert container.remove_orphans(client) == ["gone"] == removed
