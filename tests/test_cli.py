"""The command line: exit codes, one-line errors, --help everywhere, the schema."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from runbook import __version__
from runbook.cli import main

ROOT = Path(__file__).resolve().parent.parent
INVALID = Path(__file__).parent / "invalid"


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        found.append((*prefix, name))
        if isinstance(cmd, click.Group):
            found += _commands(cmd, (*prefix, name))
    return found


@pytest.mark.parametrize("command", _commands(main), ids=" ".join)
def test_every_command_has_help(command: tuple[str, ...]) -> None:
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output
    assert len(result.output.splitlines()) > 3


def test_every_command_is_listed() -> None:
    names = {command[0] for command in _commands(main)}
    assert {"build", "check", "init", "schema", "serve", "target", "validate", "verify"} <= names
    assert ("target", "up") in _commands(main)


#: What `runbook --help` must not import: the model (pydantic), the templates (jinja2), the
#: lint rules, the site (mkdocs) and the scenarios (pytest). Each costs a noticeable share of
#: a second before anything is printed.
HEAVY = ("pydantic", "jinja2", "runbook.lint", "runbook.model", "mkdocs", "pytest", "yaml")


@pytest.mark.parametrize("args", [["--help"], ["check", "--help"], ["target", "up", "--help"]])
def test_help_imports_nothing_heavy(args: list[str]) -> None:
    code = (
        "import sys\n"
        "from runbook.cli import main\n"
        "try:\n"
        f"    main({args!r})\n"
        "except SystemExit as exc:\n"
        "    assert exc.code == 0, exc.code\n"
        "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in "
        f"{HEAVY!r} or m.startswith({HEAVY!r}))))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "Usage:" in proc.stdout
    assert proc.stdout.splitlines()[-1] == ""


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


def test_validate_example_exits_zero_with_a_summary() -> None:
    result = CliRunner().invoke(main, ["validate", str(ROOT / "runbook.yaml")])
    assert result.exit_code == 0, result.output
    assert "is valid" in result.output
    assert "procedure deploy-production: 7 stages" in result.output


def test_validate_invalid_prints_located_lines_and_exits_two() -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["validate", str(INVALID / "unknown-step-reference.yaml")])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert result.output.strip().endswith(
        "procedures.deploy-staging.stages[0].steps[1]: unknown step 'bakup' (did you mean 'backup'?)"
    )


def test_usage_error_exits_two() -> None:
    result = CliRunner().invoke(main, ["validate", "a", "b"])
    assert result.exit_code == 2


def test_schema_is_json_with_descriptions() -> None:
    result = CliRunner().invoke(main, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert schema["additionalProperties"] is False
    step = schema["$defs"]["Step"]["properties"]
    assert "why" in step and step["why"]["description"].startswith("Why the step exists")


def test_committed_schema_is_current() -> None:
    committed = ROOT / "runbook.schema.json"
    if not committed.exists():
        pytest.fail("runbook.schema.json is missing: run `runbook build`")
    result = CliRunner().invoke(main, ["schema"])
    assert json.loads(committed.read_text()) == json.loads(result.output)


def test_errors_have_no_colour_when_piped_or_no_color() -> None:
    env = {**os.environ, "NO_COLOR": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "runbook", "validate", str(INVALID / "unknown-step-key.yaml")],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 2
    assert "\x1b[" not in proc.stderr
    assert proc.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        (".", ". is a directory, not a runbook file"),
        ("no-such-runbook.yaml", "no such file: no-such-runbook.yaml (check the path)"),
        ("/dev/zero", "/dev/zero is not a regular file"),  # would be read forever
        ("pipe.yaml", "pipe.yaml is not a regular file"),  # would wait for a writer
    ],
)
def test_validate_refuses_a_directory_or_a_missing_path(
    argument: str, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    os.mkfifo(tmp_path / "pipe.yaml")
    result = CliRunner().invoke(main, ["validate", argument])
    assert result.exit_code == 2
    assert result.output.strip() == message
