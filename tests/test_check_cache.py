"""`runbook check` is incremental: what shellcheck and `bash -n` said about a text, and the
hashes of the generated files, are kept in `.runbook/cache/` and used while they still apply.

Every test builds a copy of the example, checks it once (filling the cache), changes one
thing, and counts what the second check runs again.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import runbook.build
from runbook import cache as cache_module
from runbook.alerts import tools
from runbook.build import BuildResult, render_outputs, write_outputs
from runbook.cache import CACHE_DIR, ResultCache, content_key
from runbook.check import run_check
from runbook.cli import main
from runbook.lint import commands, outputs
from runbook.loader import load

pytestmark = pytest.mark.slow  # `./dev quick` leaves these out; CI runs them

REPO = Path(__file__).resolve().parent.parent


class Runs:
    """What the checkers were asked to check, counted by patching their one entry each."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.scripts: list[str] = []
        self.commands: list[str] = []
        self.syntax: list[str] = []
        self.renders = 0
        self.tools: list[str] = []  # promtool and amtool runs
        comments, batch = outputs._comments, commands._shellcheck_batch
        run_tool = tools._run
        syntax = commands.syntax_errors
        render = runbook.build.render_outputs

        def counted_comments(
            binary: str, rel: str, text: str, extra: tuple[str, ...] = ()
        ) -> object:
            self.scripts.append(rel)
            return comments(binary, rel, text, extra)

        def counted_batch(binary: str, scripts: list[str]) -> object:
            self.commands += scripts
            return batch(binary, scripts)

        def counted_syntax(text: str) -> object:
            self.syntax.append(text)
            return syntax(text)

        def counted_render(loaded: object) -> object:
            self.renders += 1
            return render(loaded)  # type: ignore[arg-type]

        def counted_tool(argv: list[str], cwd: Path) -> tuple[int, str]:
            self.tools.append(Path(argv[0]).name)
            return run_tool(argv, cwd)

        monkeypatch.setattr(tools, "_run", counted_tool)
        monkeypatch.setattr(outputs, "_comments", counted_comments)
        monkeypatch.setattr(commands, "_shellcheck_batch", counted_batch)
        monkeypatch.setattr(commands, "syntax_errors", counted_syntax)
        monkeypatch.setattr(runbook.build, "render_outputs", counted_render)

    def clear(self) -> None:
        self.scripts, self.commands, self.syntax, self.renders = [], [], [], 0
        self.tools = []


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copy(REPO / "runbook.yaml", tmp_path / "runbook.yaml")
    monkeypatch.chdir(tmp_path)
    write_outputs(render_outputs(load(tmp_path / "runbook.yaml")), tmp_path, BuildResult())
    return tmp_path


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> Runs:
    return Runs(monkeypatch)


def _issues(project: Path) -> list[str]:
    return [str(issue) for issue in run_check(project / "runbook.yaml").issues]


def test_an_unchanged_runbook_runs_no_checker_and_renders_nothing(
    project: Path, runs: Runs
) -> None:
    assert _issues(project) == []
    assert len(runs.scripts) == 4 and runs.commands and runs.syntax and runs.renders == 1
    assert {"promtool", "amtool"} <= set(runs.tools)  # `./dev test` installs both
    assert sorted(p.name for p in (project / CACHE_DIR).iterdir()) == [
        "ansible.json",  # the fleet playbooks' syntax check and ansible-lint
        "commands.json",
        "monitoring.json",
        "outputs.json",
        "shellcheck.json",
        "vocabulary.json",  # the scenario step phrases, which the single file shows
    ]
    runs.clear()
    assert _issues(project) == []
    assert (runs.scripts, runs.commands, runs.syntax, runs.renders) == ([], [], [], 0)
    assert runs.tools == []


def test_a_changed_command_is_the_only_one_checked_again(project: Path, runs: Runs) -> None:
    _issues(project)
    source = project / "runbook.yaml"
    old = "command: python3 -m unittest discover -s tests -q"
    source.write_text(source.read_text().replace(old, old + " $REMOTE"))
    runs.clear()
    issues = _issues(project)
    assert any("SC2086" in i for i in issues)  # the new command's finding, from shellcheck
    assert [len(runs.syntax), len(runs.commands)] == [1, 1]
    assert "unittest discover -s tests -q $REMOTE" in runs.commands[0]
    assert runs.renders == 1 and any("drift" in i for i in issues)  # not rebuilt: drift
    runs.clear()
    assert _issues(project) == issues  # the same findings again, from the cache
    assert (runs.commands, runs.syntax) == ([], [])


def test_a_hand_edit_of_a_generated_file_is_still_drift(project: Path, runs: Runs) -> None:
    _issues(project)
    script = sorted((project / "scripts").glob("*.sh"))[0]
    script.write_text(script.read_text() + "# edited\n")
    runs.clear()
    issues = _issues(project)
    assert [i for i in issues if "drift" in i] == [
        f"scripts/{script.name}:{len(script.read_text().splitlines())}: drift out of date with "
        "runbook.yaml; run `runbook build runbook.yaml`"
    ]
    assert runs.renders == 1  # rendered to show the diff
    assert runs.scripts == []  # shellcheck reads the rendered scripts, which did not change


def test_another_version_of_the_tool_renders_again(
    project: Path, runs: Runs, monkeypatch: pytest.MonkeyPatch
) -> None:
    _issues(project)
    monkeypatch.setattr(cache_module, "tool_fingerprint", lambda: "another version")
    runs.clear()
    assert _issues(project) == []
    assert runs.renders == 1


@pytest.mark.parametrize("damage", ["delete", "garbage", "foreign"])
def test_the_cache_is_safe_to_delete_or_damage(project: Path, runs: Runs, damage: str) -> None:
    first = _issues(project)
    folder = project / CACHE_DIR
    for file in folder.iterdir():
        if damage == "delete":
            file.unlink()
        else:
            file.write_text("{not json" if damage == "garbage" else '{"format": 0, "entries": 1}')
    runs.clear()
    assert _issues(project) == first
    assert len(runs.scripts) == 4 and runs.renders == 1
    assert json.loads((folder / "shellcheck.json").read_text())["format"] == 1


def test_no_cache_reads_and_writes_nothing(project: Path, runs: Runs) -> None:
    _issues(project)
    before = {p.name: p.read_bytes() for p in (project / CACHE_DIR).iterdir()}
    runs.clear()
    result = CliRunner().invoke(main, ["check", "--no-cache"])
    assert result.exit_code == 0, result.output
    assert len(runs.scripts) == 4 and runs.renders == 1
    assert {p.name: p.read_bytes() for p in (project / CACHE_DIR).iterdir()} == before


def test_a_command_written_twice_is_checked_once(project: Path, runs: Runs) -> None:
    run_check(project / "runbook.yaml", use_cache=False)
    assert len(runs.syntax) == len(set(runs.syntax))
    assert len(runs.commands) == len(set(runs.commands))


def test_entries_no_longer_used_are_dropped(tmp_path: Path) -> None:
    first = ResultCache(tmp_path, "kind")
    first.put(content_key("a"), [1])
    first.put(content_key("b"), [2])
    first.save()
    second = ResultCache(tmp_path, "kind")
    assert second.get(content_key("a")) == [1]
    second.save()
    assert ResultCache(tmp_path, "kind").get(content_key("b")) is None
    assert ResultCache(tmp_path, "kind").get(content_key("a")) == [1]


def test_content_keys_tell_the_parts_apart() -> None:
    assert content_key("ab", "c") != content_key("a", "bc")
    assert content_key("a") == content_key("a")
