"""The generated scripts as an operator reads them before running one.

The procedure comes first: one block per step, its settings by name and its command exactly as
the runbook's YAML writes it, in a quoted here-document. These tests read the committed scripts
of both shipped projects the way a reviewer would, and check them against the YAML itself.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from test_scripts_support import install_fakes, make_service_repo, write_scripts
from test_scripts_support import run_script as run

from runbook.loader import load
from scripts_gen import contract

ROOT = Path(__file__).resolve().parents[1]
PROJECTS = [ROOT / "runbook.yaml", ROOT / "examples" / "shop" / "runbook.yaml"]
SCRIPTS = [
    (project, pid, procedure.script)
    for project in PROJECTS
    for pid, procedure in load(project).runbook.procedures.items()
    if procedure.script
]
IDS = [f"{project.parent.name}/{script}" for project, _, script in SCRIPTS]
_BLOCK = re.compile(
    r"^_rb_(?:step|rollback)_\d+\(\) \{  # (?:rollback )?step: ([a-z0-9-]+)\n"
    r"(.*?)^ *_rb_run (.*?) <<'(COMMAND(?:_\d+)?)'\n(.*?)^\4\n",
    re.M | re.S,
)


@dataclass(frozen=True)
class Block:
    step_id: str
    settings: dict[str, str]
    command: str
    line: int  # where the block starts
    command_line: int  # the command's first line


def blocks(text: str) -> list[Block]:
    """Every step block of a script, in file order, read as a reviewer reads it."""
    found = []
    for match in _BLOCK.finditer(text):
        words = shlex.split(match.group(3).replace("\\\n", " "))
        assert all(re.match(r"[a-z_]+=", word) for word in words), words
        settings = dict(word.split("=", 1) for word in words)
        line = text.count("\n", 0, match.start()) + 1
        command_line = text.count("\n", 0, match.start(5)) + 1
        found.append(Block(match.group(1), settings, match.group(5), line, command_line))
    return found


def yaml_command(project: Path, step_id: str) -> str:
    """A step's command as the YAML file holds it, read with PyYAML, not with runbook."""
    return (
        yaml.safe_load(project.read_text(encoding="utf-8"))["steps"][step_id].get("command") or ""
    )


def as_heredoc(command: str) -> str:
    """A here-document holds whole lines: a last line without a line break gets one."""
    return command if not command or command.endswith("\n") else command + "\n"


@pytest.mark.parametrize(("project", "pid", "script"), SCRIPTS, ids=IDS)
def test_each_blocks_command_is_the_yaml_command_byte_for_byte(
    project: Path, pid: str, script: str
) -> None:
    procedure = load(project).runbook.procedures[pid]
    found = blocks((project.parent / "scripts" / script).read_text(encoding="utf-8"))
    assert [b.step_id for b in found] == procedure.step_ids + procedure.rollback_steps
    for block in found:
        assert block.command == as_heredoc(yaml_command(project, block.step_id)), block.step_id


@pytest.mark.parametrize(("project", "pid", "script"), SCRIPTS, ids=IDS)
def test_the_procedure_comes_first(project: Path, pid: str, script: str) -> None:
    text = (project.parent / "scripts" / script).read_text(encoding="utf-8")
    lines = text.splitlines()
    first = next(b for b in blocks(text) if b.command)
    assert first.step_id == load(project).runbook.procedures[pid].step_ids[0]
    assert first.command_line <= 150
    command = lines[first.command_line - 1 : first.command_line - 1 + first.command.count("\n")]
    assert "\n".join(command) + "\n" == as_heredoc(yaml_command(project, first.step_id))
    assert lines.index(
        "# ---------------------------------------------------------------- the procedure"
    ) < (lines.index("# ---------------------------------------------------------------- output"))


@pytest.mark.parametrize(("project", "pid", "script"), SCRIPTS, ids=IDS)
def test_every_run_call_names_its_settings(project: Path, pid: str, script: str) -> None:
    text = (project.parent / "scripts" / script).read_text(encoding="utf-8")
    calls = re.findall(r"^ *_rb_run\b(?!\(\))", text, flags=re.M)
    assert len(calls) == len(blocks(text)) > 0


@pytest.mark.parametrize(("project", "pid", "script"), SCRIPTS, ids=IDS)
def test_each_blocks_settings_are_its_steps(project: Path, pid: str, script: str) -> None:
    rb = load(project).runbook
    found = blocks((project.parent / "scripts" / script).read_text(encoding="utf-8"))
    for block in found:
        step = rb.steps[block.step_id]
        assert block.settings["id"] == block.step_id
        assert block.settings["title"] == step.title
        assert block.settings["runs_on"] == step.runs_on.value
        assert block.settings["on_failure"] == step.on_failure.value
        limits = [block.settings[k] for k in ("timeout", "retries", "retry_delay")]
        assert limits == [str(step.timeout), str(step.retries), str(step.retry_delay)]
        assert block.settings["expect_exit_code"] == str(step.expect.exit_code)
        assert ("confirm" in block.settings) == bool(step.confirm)
        assert ("expect_output" in block.settings) == bool(step.expect.output_contains)
        assert ("expect_file" in block.settings) == (step.expect.file is not None)


def test_the_runner_reads_the_documented_settings_and_blocks_use_only_those() -> None:
    text = (ROOT / "scripts" / "deploy-production.sh").read_text(encoding="utf-8")
    declared = re.search(r"^  local -A step=\((.*?)^  \)$", text, flags=re.M | re.S)
    assert declared is not None
    assert re.findall(r"\[([a-z_]+)\]=", declared.group(1)) == list(contract.STEP_SETTINGS)
    for project, _, script in SCRIPTS:
        for block in blocks((project.parent / "scripts" / script).read_text(encoding="utf-8")):
            assert set(block.settings) <= set(contract.STEP_SETTINGS), block.step_id


@pytest.fixture
def staging(tmp_path: Path) -> tuple[str, Path, dict[str, str]]:
    """deploy-staging.sh of the example, a service repository and fake ssh/scp."""
    text = (ROOT / "scripts" / "deploy-staging.sh").read_text(encoding="utf-8")
    return (
        text,
        make_service_repo(tmp_path / "service"),
        install_fakes(tmp_path / "bin", tmp_path / "log"),
    )


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (" retries=0 ", " retries=0 retires=3 ", "unknown setting 'retires'"),
        (" timeout=10 ", " ", "lacks the setting timeout"),
        (" on_failure=abort ", " abort ", "unknown setting 'abort'"),
    ],
    ids=["misspelt", "missing", "positional"],
)
def test_the_runner_refuses_a_block_it_cannot_read(
    staging: tuple[str, Path, dict[str, str]], tmp_path: Path, old: str, new: str, message: str
) -> None:
    """A block edited by hand: its settings must still be names the runner knows, all there."""
    text, repo, env = staging
    assert old in text
    scripts = write_scripts(tmp_path, {"deploy-staging.sh": text.replace(old, new, 1)})
    result = run(scripts / "deploy-staging.sh", "--dry-run", cwd=repo, env=env)
    assert result.returncode == 3
    assert message in result.stderr
