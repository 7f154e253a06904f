"""No runbook can forge a GitHub workflow command in a CI log, whatever field it uses.

The runner reads a line as a command when, after leading whitespace, it starts with ``::name``,
or when it holds ``##[name`` anywhere (the older syntax). Every registered command is forged here
in both syntaxes, through every field of the runbook that `runbook validate` or `runbook check`
prints (the service name, keys and values echoed by errors, include names, lint findings,
the lines of a drift diff), in every output format; the only commands allowed in the output are
the annotations and groups of `--format github` itself.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from runbook.build import BuildResult, render_outputs, write_outputs
from runbook.cli import main
from runbook.lint import outputs
from runbook.loader import load

MINIMAL = Path(__file__).parent / "data" / "minimal.yaml"
MARK = "FORGED"
#: The runner's registered commands (its command extensions, and stop-commands).
COMMANDS = (
    "add-mask", "add-matcher", "add-path", "debug", "echo", "endgroup", "error", "group",
    "notice", "remove-matcher", "save-state", "set-env", "set-output", "stop-commands", "warning",
)  # fmt: skip
FORGERIES = [f"::{c} file={MARK}.py,title={MARK}::{MARK}" for c in COMMANDS] + [
    f"##[{c} name={MARK};]{MARK}" for c in COMMANDS
]
ONE_LINE = " ".join(FORGERIES)
LINES = "x\n" + "\n".join(FORGERIES) + "\n  " + "\n\t".join(FORGERIES)


def parse(line: str) -> tuple[str, dict[str, str], str] | None:
    """What the runner would make of a line: (command, properties, data), or None."""
    body = line.lstrip()
    if body.startswith("::"):
        end = body.find("::", 2)
        if end > 0:
            name, _, props = body[2:end].partition(" ")
            if name.lower() in COMMANDS:
                pairs = (p.partition("=") for p in props.split(",") if p)
                return name.lower(), {k: v for k, _, v in pairs}, body[end + 2 :]
    start = line.find("##[")
    if start >= 0 and (close := line.find("]", start)) > 0:
        name, _, props = line[start + 3 : close].partition(" ")
        if name.lower() in COMMANDS:
            pairs = (p.partition("=") for p in props.split(";") if p)
            return name.lower(), {k: v for k, _, v in pairs}, line[close + 1 :]
    return None


def test_the_parser_sees_every_forgery() -> None:
    assert all(parse(f"  {line}") for line in FORGERIES)
    assert all(parse(f"text {line}") for line in FORGERIES if line.startswith("##["))


Setup = Callable[[dict[str, Any], Path], None]


def _unknown_key(data: dict[str, Any], root: Path) -> None:
    data["steps"]["build"][LINES] = 1


def _echoed_value(data: dict[str, Any], root: Path) -> None:
    data["steps"]["build"]["runs_on"] = LINES


def _include_name(data: dict[str, Any], root: Path) -> None:
    data["include"] = [ONE_LINE]


def _ignore_rule(data: dict[str, Any], root: Path) -> None:
    data["steps"]["build"]["ignore"] = [{"rule": f, "reason": "x"} for f in FORGERIES]


def _invalid_title(data: dict[str, Any], root: Path) -> None:
    data["steps"]["build"]["title"] = LINES


def _drifted_prose(data: dict[str, Any], root: Path) -> None:
    """Prose (which may hold line breaks) in the single file, next to a line that drifted."""
    data["steps"]["build"]["why"] = LINES
    path = root / "runbook.yaml"
    path.write_text(yaml.safe_dump(data, width=10**9), encoding="utf-8")
    write_outputs(render_outputs(load(path)), root, BuildResult())
    single = root / "docs/ops/DEPLOYMENT-RUNBOOK.md"
    text = single.read_text()
    single.write_text(text.replace("\nx\n", "\nx (edited by hand)\n", 1))


FIELDS: dict[str, Setup] = {
    "an unknown key": _unknown_key,
    "a value echoed by an error": _echoed_value,
    "an include name": _include_name,
    "a lint ignore's rule": _ignore_rule,
    "a title refused for its line breaks": _invalid_title,
    "prose in a drift diff": _drifted_prose,
}


@pytest.fixture(autouse=True)
def _no_shellcheck(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shellcheck reads the scripts, not the runbook's text; it only slows these runs."""
    monkeypatch.setattr(
        outputs, "shellcheck", lambda scripts, root, cache=None, shared_from=None: []
    )


def _project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setup: Setup) -> Path:
    monkeypatch.chdir(tmp_path)
    data = yaml.safe_load(MINIMAL.read_text())
    setup(data, tmp_path)
    if not (tmp_path / "runbook.yaml").exists():
        (tmp_path / "runbook.yaml").write_text(yaml.safe_dump(data, width=10**9))
    return tmp_path


def _commands_in(output: str, allowed: Callable[[str, dict[str, str], str], bool]) -> list[str]:
    forged = []
    for line in output.splitlines():
        parsed = parse(line)
        if parsed is not None and not allowed(*parsed):
            forged.append(line)
    return forged


def _ours(name: str, props: dict[str, str], data: str) -> bool:
    """An annotation or group of `--format github` itself, with nothing forged in its fields."""
    if name not in ("error", "group", "endgroup") or MARK in name + "".join(props):
        return False
    return name != "error" or (
        MARK not in props.get("file", "") and MARK not in props.get("title", "")
    )


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
@pytest.mark.parametrize("field", list(FIELDS))
def test_no_field_forges_a_workflow_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, field: str, fmt: str
) -> None:
    _project(tmp_path, monkeypatch, FIELDS[field])
    runs = [CliRunner().invoke(main, ["check", "--format", fmt])]
    if fmt == "text":
        runs.append(CliRunner().invoke(main, ["validate"]))
    shown = ""
    for result in runs:
        assert result.exit_code in (0, 1, 2), result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        shown += result.stdout + result.stderr
    allowed = _ours if fmt == "github" else (lambda *_: False)
    assert _commands_in(shown, allowed) == [], shown
    # the forgeries did reach the output (only validate prints the name; a refused title is not
    # echoed), so the test is not passing for want of printing them
    assert field == "a title refused for its line breaks" or MARK in shown, shown


@pytest.mark.parametrize("command", COMMANDS)
def test_the_service_name_forges_no_workflow_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    """`runbook validate` prints the name; it is one line of at most 200 characters, so each
    command is forged in both syntaxes in a name of its own."""

    def name(data: dict[str, Any], root: Path) -> None:
        data["service"]["name"] = f"::{command} x={MARK}::{MARK} ##[{command} x={MARK};]{MARK}"

    _project(tmp_path, monkeypatch, name)
    result = CliRunner().invoke(main, ["validate"])
    assert result.exit_code == 0, result.output
    assert MARK in result.stdout
    assert _commands_in(result.stdout, lambda *_: False) == []


def test_json_output_keeps_the_text_it_defuses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    _project(tmp_path, monkeypatch, _ignore_rule)
    result = CliRunner().invoke(main, ["check", "--format", "json"])
    messages = [issue["message"] for issue in json.loads(result.stdout)["issues"]]
    assert any("'##[add-mask name=FORGED;]FORGED'" in m for m in messages), messages
    assert "##[" not in result.stdout


def test_text_output_shows_defused_lines_readably(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _project(tmp_path, monkeypatch, _drifted_prose)
    result = CliRunner().invoke(main, ["check"])
    assert re.search(
        r"^     \\::add-mask file=FORGED\.py,title=FORGED::FORGED$", result.stdout, re.M
    )


def test_copying_the_repository_example_is_untouched(tmp_path: Path) -> None:
    """Inert output changes nothing for ordinary text."""
    shutil.copy(Path(__file__).resolve().parents[1] / "runbook.yaml", tmp_path / "runbook.yaml")
    result = CliRunner().invoke(main, ["validate", str(tmp_path / "runbook.yaml")])
    assert "items-api: 12/12 sections" in result.stdout
