"""Refusals of the example's scripts: exit 2, before any ssh, nothing touched."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from test_scripts_support import (
    install_fakes,
    make_service_repo,
    ssh_calls,
    write_scripts,
)
from test_scripts_support import run_script as run

from runbook.loader import load
from scripts_gen import render_scripts

SCRIPTS = render_scripts(load(Path(__file__).resolve().parents[1] / "runbook.yaml"))


@pytest.fixture(scope="module")
def script_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_scripts(tmp_path_factory.mktemp("scripts"), SCRIPTS)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_service_repo(tmp_path / "service")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return install_fakes(tmp_path / "bin", tmp_path / "calls.log")


def refused(result: subprocess.CompletedProcess[str], tmp_path: Path, message: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr
    assert ssh_calls(tmp_path / "calls.log") == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "VERSION is required"),
        (["--yes"], "VERSION is required"),
        (["--yes", "v9.9.9"], "no tag v9.9.9 in this repository"),
        (["--yes", "1.0.1"], "does not match the tag pattern"),
        (["--yes", "../etc"], "invalid VERSION '../etc'"),
        (["--yes", "v1.0.1", "v1.0.2"], "only one VERSION"),
        (["--frobnicate"], "unknown option --frobnicate"),
        (["--backup", "x.dump", "v1.0.1"], "unknown option --backup"),
        (["v1.0.1"], "asks for confirmation and there is no terminal"),
    ],
)
def test_production_deploy_refusals(
    script_dir: Path, repo: Path, tmp_path: Path, env: dict[str, str], args: list[str], message: str
) -> None:
    result = run(script_dir / "deploy-production.sh", *args, cwd=repo, env=env)
    refused(result, tmp_path, message)


def test_no_terminal_without_yes_refuses_before_any_step(
    script_dir: Path, repo: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    result = run(script_dir / "deploy-production.sh", "v1.0.1", cwd=repo, env=env)
    refused(result, tmp_path, "pass --yes")
    assert "-- [1/" not in result.stdout
    assert not (repo / ".runbook").exists() and not (repo / "build").exists()


def test_wrong_branch_is_refused_before_any_ssh(
    script_dir: Path, repo: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    subprocess.run(["git", "checkout", "-q", "-b", "feature"], cwd=repo, check=True)
    result = run(script_dir / "deploy-production.sh", "--yes", "v1.0.1", cwd=repo, env=env)
    refused(result, tmp_path, "step check-branch failed before anything changed on the target")
    assert "on branch feature" in result.stdout


def test_dirty_tree_is_refused_before_any_ssh(
    script_dir: Path, repo: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    (repo / "app.py").write_text("changed\n")
    result = run(script_dir / "deploy-production.sh", "--yes", "v1.0.1", cwd=repo, env=env)
    refused(result, tmp_path, "step check-clean failed")
    assert "M app.py" in result.stdout


def test_staging_on_main_is_the_wrong_branch(
    script_dir: Path, repo: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    result = run(script_dir / "deploy-staging.sh", cwd=repo, env=env)
    refused(result, tmp_path, "step check-branch failed")


def test_outside_a_git_repository_is_refused(
    script_dir: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    result = run(script_dir / "deploy-staging.sh", "--dry-run", cwd=tmp_path, env=env)
    refused(result, tmp_path, "from the service's git repository")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--yes"], "choose the database backup with --backup NAME, or pass --no-db-restore"),
        ([], "asks for confirmation and there is no terminal"),
        (["--yes", "--backup", "a.dump", "--no-db-restore"], "exclude each other"),
        (["--yes", "--backup", "$(touch pwned)"], "invalid backup name"),
        (["--yes", "--no-db-restore", "v1 2"], "invalid VERSION"),
    ],
)
def test_production_rollback_refusals(
    script_dir: Path, repo: Path, tmp_path: Path, env: dict[str, str], args: list[str], message: str
) -> None:
    result = run(script_dir / "rollback-production.sh", *args, cwd=repo, env=env)
    refused(result, tmp_path, message)
    assert not (repo / "pwned").exists()


def test_staging_rollback_restores_no_database(
    script_dir: Path, repo: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    result = run(script_dir / "rollback-staging.sh", "--no-db-restore", cwd=repo, env=env)
    refused(result, tmp_path, "restores no database")


def test_unreachable_target_is_a_refusal(
    script_dir: Path, repo: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    (tmp_path / "bin" / "ssh").write_text("#!/bin/sh\necho 'ssh: connect refused' >&2\nexit 255\n")
    result = run(script_dir / "rollback-staging.sh", "--yes", cwd=repo, env=env)
    assert result.returncode == 2
    assert "cannot reach the target deploy@staging.example.internal" in result.stderr


def test_production_refuses_a_checkout_that_is_not_at_the_tag(
    script_dir: Path, repo: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    (repo / "app.py").write_text("print('newer than the tag')\n")
    subprocess.run(
        ["git", "commit", "-q", "-am", "after the tag"],
        cwd=repo,
        check=True,
        env={
            **env,
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@example.com",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@example.com",
        },
    )
    result = run(script_dir / "deploy-production.sh", "--yes", "v1.0.1", cwd=repo, env=env)
    refused(result, tmp_path, "step check-tag failed before anything changed on the target")
    assert "HEAD is not v1.0.1" in result.stdout


LONG_VERSION = "v" + "1" * 100_000


@pytest.mark.parametrize("dry_run", [[], ["--dry-run"]])
@pytest.mark.parametrize(
    ("script", "args", "message"),
    [
        ("rollback-production.sh", ["--yes", "--backup", "../../etc/passwd"], "invalid backup name '../../etc/passwd'"),
        ("rollback-production.sh", ["--yes", "--backup=/srv/app/backups/x.dump"], "not a path"),
        ("rollback-production.sh", ["--yes", "--backup", "b" * 300], "invalid backup name"),
        ("rollback-production.sh", ["--yes", "--no-db-restore", LONG_VERSION], "VERSION is 100001 characters long: at most 128"),
        ("deploy-production.sh", ["--yes", LONG_VERSION], "VERSION is 100001 characters long: at most 128"),
        ("deploy-staging.sh", ["--yes", LONG_VERSION], "at most 128"),
    ],
)  # fmt: skip
def test_hostile_arguments_are_refused_before_any_ssh(
    script_dir: Path,
    repo: Path,
    tmp_path: Path,
    env: dict[str, str],
    script: str,
    args: list[str],
    message: str,
    dry_run: list[str],
) -> None:
    result = run(script_dir / script, *dry_run, *args, cwd=repo, env=env)
    refused(result, tmp_path, message)
    assert len(result.stderr) < 2_000  # the refusal does not echo the whole argument
