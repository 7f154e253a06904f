"""`runbook check` checks each command on its own: `bash -n` and shellcheck, at its YAML line."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from runbook.cli import main
from runbook.lint import commands
from runbook.lint.commands import EXCLUDED, check_commands, snippets, syntax_errors
from runbook.lint.outputs import Issue
from runbook.loader import load
from runbook.model import RunsOn

MINIMAL = Path(__file__).parent / "data" / "minimal.yaml"
REPO = Path(__file__).resolve().parent.parent


def _write(tmp_path: Path, steps: str = "", checks: str = "", diagnosis: str = "") -> Path:
    """The minimal runbook with extra steps, checklist items and diagnosis commands."""
    text = MINIMAL.read_text().replace("steps:\n", "steps:\n" + steps, 1)
    if checks:
        text = text.replace("items: [{text: Tests pass}]", "items:\n" + checks)
    if diagnosis:
        text = text.replace(
            "diagnosis: [{title: Status, command: supervisorctl status}]",
            "diagnosis:\n" + diagnosis,
        )
    path = tmp_path / "runbook.yaml"
    path.write_text(text)
    return path


def _line_of(path: Path, marker: str) -> int:
    """The 1-based line of the file holding ``marker``, and there only once."""
    lines = [n for n, line in enumerate(path.read_text().splitlines(), 1) if marker in line]
    assert len(lines) == 1, lines
    return lines[0]


def _issues(path: Path) -> list[Issue]:
    issues, _ = check_commands(load(path))
    return issues


BROKEN = """\
  broken:
    title: Broken
    command: |
      echo before
      if [ -f x ] then echo x; fi
"""


def test_a_command_that_is_not_bash_fails_check_at_its_yaml_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, BROKEN)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", "runbook.yaml"])
    assert result.exit_code == 1, result.output
    line = _line_of(path, "if [ -f x ] then")
    assert (
        f"runbook.yaml:{line}:7: bash steps.broken.command: "
        "syntax error near unexpected token `fi' (bash -n)"
    ) in result.output
    assert f"runbook.yaml:{line}:19: SC1010 steps.broken.command: " in result.output
    assert "Traceback" not in result.output


def test_a_shellcheck_comment_is_at_the_line_and_column_of_the_command(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "  show:\n    title: Show\n    command: |\n      x=$(date)\n      echo $x   $serving\n",
    )
    found = {(i.rule, i.line, i.column) for i in _issues(path)}
    line = _line_of(path, "echo $x")
    assert ("SC2086", line, 12) in found  # $x, unquoted
    assert ("SC2154", line, 17) in found  # $serving, never assigned


@pytest.mark.parametrize(
    ("command", "column"),
    [
        ("command: echo $serving", 19),  # plain, on one line
        ("command: 'echo $serving'", 20),  # quoted: after the quote
    ],
)
def test_a_one_line_command_is_found_at_its_column(
    tmp_path: Path, command: str, column: int
) -> None:
    path = _write(tmp_path, f"  show:\n    title: Show\n    {command}\n")
    [issue] = [i for i in _issues(path) if i.rule == "SC2154"]
    assert (issue.line, issue.column) == (_line_of(path, command), column)


def test_checklist_checks_and_diagnosis_commands_are_checked_too(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        checks="      - {text: Clean, check: 'test -z $(git status --porcelain'}\n",
        diagnosis="      - title: Load\n        command: |\n          uptime\n          cat /proc/loadavg |\n",
    )
    by_path = {i.path: i for i in _issues(path) if i.rule == "bash"}
    check = by_path["checklists.before.items[0].check"]
    assert check.line == _line_of(path, "text: Clean")
    diagnosis = by_path["emergencies.app-down.diagnosis[0].command"]
    assert diagnosis.line == _line_of(path, "cat /proc/loadavg |")
    assert "unexpected end of file" in diagnosis.message


def test_a_broken_command_does_not_hide_the_findings_of_another(tmp_path: Path) -> None:
    path = _write(tmp_path, BROKEN + "  show:\n    title: Show\n    command: echo $serving\n")
    rules = {(i.path, i.rule) for i in _issues(path)}
    assert ("steps.broken.command", "bash") in rules
    assert ("steps.show.command", "SC2154") in rules


@pytest.mark.parametrize("cores", [1, 2, 3])
def test_one_shellcheck_process_per_core_reads_every_command_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cores: int
) -> None:
    path = _write(
        tmp_path, "".join(f"  s{i}:\n    title: S\n    command: echo {i}\n" for i in range(9))
    )
    calls: list[list[str]] = []
    real = subprocess.run

    def counting(args: list[str], **kwargs: Any) -> Any:
        calls.append(args)
        return real(args, **kwargs)

    monkeypatch.setattr(commands.subprocess, "run", counting)
    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    issues, count = check_commands(load(path))
    assert issues == [] and count == 9 + 4 + 1  # these, the four steps, one diagnosis command
    shellchecks = [c for c in calls if c[0].endswith("shellcheck")]
    assert len(shellchecks) == cores
    files = [arg for c in shellchecks for arg in c[4:]]
    assert len(files) == len(set(files)) == count


@pytest.mark.parametrize("runs_on", ["local", "remote"])
def test_a_command_switches_off_a_comment_for_itself(tmp_path: Path, runs_on: str) -> None:
    body = (
        f"  show:\n    title: Show\n    runs_on: {runs_on}\n    command: |\n"
        "      {}x=$(date)\n      echo $x\n      echo $x\n"
    )
    path = _write(tmp_path, body.format(""))
    lines = [i.line for i in _issues(path) if i.rule == "SC2086"]
    assert lines == [_line_of(path, "x=$(date)") + 1, _line_of(path, "x=$(date)") + 2]
    # at the top of the command, a directive applies to all of it, as at the top of a script
    quiet = body.format("# shellcheck disable=SC2086\n      ")
    assert _issues(_write(tmp_path, quiet)) == []


@pytest.mark.parametrize(
    ("code", "command"),
    [
        ("SC2012", 'ls -1t "$BACKUP_DIR" | head -n 5'),
        ("SC2016", "remote 'cat \"$DEPLOY_PATH/revisions.log\"'"),
        ("SC2153", 'echo "$RELEASES_DIRS"'),
    ],
)
def test_the_excluded_comments_are_not_reported(tmp_path: Path, code: str, command: str) -> None:
    assert code in EXCLUDED
    path = _write(tmp_path, f"  show:\n    title: Show\n    command: |\n      {command}\n")
    assert _issues(path) == []
    # shellcheck itself would say it: the exclusion is what keeps it quiet
    proc = subprocess.run(
        [commands.shellcheck_binary(), "-s", "bash", "-f", "gcc", "-"],
        input="RELEASES_DIR=x\n" + command + "\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert f"[{code}]" in proc.stdout


def test_steps_run_after_the_runtime_variables_and_their_helpers(tmp_path: Path) -> None:
    loaded = load(_write(tmp_path))
    found = {s.path: s for s in snippets(loaded.runbook)}
    local = found[("steps", "build", "command")]
    remote = found[("steps", "backup", "command")]
    diagnosis = found[("emergencies", "app-down", "diagnosis", 0, "command")]
    assert (
        local.helpers == commands.HELPERS[RunsOn.local] == ("upload", "remote", "check_endpoints")
    )
    assert remote.helpers == ("check_endpoints",)
    assert "VERSION" in local.variables and "BACKUP_FILE" in remote.variables
    assert (diagnosis.variables, diagnosis.helpers) == ((), ())
    header = local.header()
    assert "export ENVIRONMENT BRANCH VERSION" in header and "upload() { :; }" in header
    assert "check_endpoints" not in diagnosis.header()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("echo ok\n", []),
        ("echo a\nif [ -f x ] then echo x; fi\n", [(1, "syntax error near unexpected token `fi'")]),
        ('echo "a\n', [(0, "unexpected EOF while looking for matching `\"'")]),
        ("if true; then\n  echo a\n", [(1, "syntax error: unexpected end of file")]),
    ],
)
def test_syntax_errors_are_bash_n_lines(text: str, expected: list[tuple[int, str]]) -> None:
    assert syntax_errors(text) == expected


def test_bash_n_runs_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    assert syntax_errors(f"touch {marker}\n") == []
    assert not marker.exists()


def test_the_example_checks_clean() -> None:
    issues, count = check_commands(load(REPO / "runbook.yaml"))
    assert issues == []
    assert count >= 30
