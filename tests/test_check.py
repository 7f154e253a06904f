"""`runbook check`: exit codes, drift with diffs, shellcheck, and the three output formats.

Each test works on a copy of the repository's runbook in a temporary directory whose
generated files were written by the build, so a hand edit there is exactly what a reviewer
would see in a pull request.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from runbook.build import BuildResult, render_outputs, write_outputs
from runbook.check import run_check
from runbook.cli import main
from runbook.lint import outputs
from runbook.lint.outputs import shellcheck
from runbook.loader import load
from scripts_gen import render_scripts
from scripts_gen.contract import RUNTIME_START

pytestmark = pytest.mark.slow  # `./dev quick` leaves these out; CI runs them

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A built copy of the example runbook; the working directory is its root."""
    shutil.copy(REPO / "runbook.yaml", tmp_path / "runbook.yaml")
    monkeypatch.chdir(tmp_path)
    _build(tmp_path)
    return tmp_path


def _build(root: Path) -> dict[str, str]:
    outputs = render_outputs(load(root / "runbook.yaml"))
    write_outputs(outputs, root, BuildResult())
    return outputs


def check(*args: str) -> Result:
    return CliRunner().invoke(main, ["check", *args])


def _script(project: Path) -> str:
    scripts = sorted(p.relative_to(project).as_posix() for p in project.glob("scripts/*.sh"))
    assert scripts, "the build wrote no scripts"
    return scripts[0]


def test_a_fresh_build_checks_clean(project: Path) -> None:
    result = check()
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ok  runbook.yaml is valid; ")
    assert "\x1b[" not in result.output  # not a terminal: no colour


def test_generated_files_do_not_depend_on_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`runbook build` from the root and `runbook build path/runbook.yaml` from elsewhere must
    write the same files, or `runbook check` reports drift that no edit caused."""
    shutil.copy(REPO / "runbook.yaml", tmp_path / "runbook.yaml")
    monkeypatch.chdir(tmp_path)
    inside = render_outputs(load("runbook.yaml"))
    monkeypatch.chdir(REPO)
    outside = render_outputs(load(tmp_path / "runbook.yaml"))
    assert [rel for rel in inside if inside[rel] != outside[rel]] == []


def test_the_repository_checks_clean() -> None:
    report = run_check(REPO / "runbook.yaml")
    assert [str(issue) for issue in report.issues] == []
    assert report.scripts >= 4 and report.generated >= report.scripts + 1


@pytest.mark.parametrize("which", ["script", "docs/ops/DEPLOYMENT-RUNBOOK.md"])
def test_a_hand_edit_is_drift_with_a_diff(project: Path, which: str) -> None:
    rel = _script(project) if which == "script" else which
    target = project / rel
    lines = target.read_text().splitlines(keepends=True)
    lines.insert(3, "echo 'edited by hand'\n")
    target.write_text("".join(lines))
    result = check()
    assert result.exit_code == 1
    assert f"{rel}:4: drift out of date with runbook.yaml; run `runbook build runbook.yaml`" in (
        result.stdout
    )
    assert f"--- {rel} (committed)" in result.stdout
    assert f"+++ {rel} (from runbook.yaml)" in result.stdout
    assert "    -echo 'edited by hand'" in result.stdout
    assert result.stdout.rstrip().endswith("1 problem in runbook.yaml (1 drift)")


def test_a_missing_generated_file_is_drift(project: Path) -> None:
    rel = _script(project)
    (project / rel).unlink()
    result = check()
    assert result.exit_code == 1
    assert (
        f"{rel}: drift generated file is missing; run `runbook build runbook.yaml`" in result.stdout
    )


def test_a_script_that_lost_its_executable_bit_is_drift(project: Path) -> None:
    rel = _script(project)
    (project / rel).chmod(0o644)
    result = check()
    assert result.exit_code == 1
    assert f"{rel}: drift generated script is not executable" in result.stdout


def test_a_source_change_without_rebuild_is_drift_everywhere(project: Path) -> None:
    source = project / "runbook.yaml"
    source.write_text(source.read_text() + "\n# a comment changes the digest\n")
    report = run_check(source)
    assert {issue.kind for issue in report.issues} == {"drift"}
    assert len(report.issues) == report.generated - 1  # the JSON Schema does not depend on it


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file: absent.yaml (check the path)"),
        ("service: [\n", "absent.yaml:2:1:"),
        ("service:\n  name: x\n", "absent.yaml:1:1: environments: missing required key"),
        (b"service:\x00\n", "not a text file (it contains NUL bytes)"),
    ],
    ids=["missing", "bad-yaml", "invalid", "binary"],
)
def test_unusable_input_exits_2_with_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str | bytes | None, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    if isinstance(content, bytes):
        Path("absent.yaml").write_bytes(content)
    elif content is not None:
        Path("absent.yaml").write_text(content)
    result = check("absent.yaml")
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_a_directory_is_unusable(tmp_path: Path) -> None:
    result = check(str(tmp_path))
    assert result.exit_code == 2
    assert "is a directory, not a runbook file" in result.stderr


def test_an_unreadable_runbook_is_unusable(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Permission denied (whoever runs the tests, root included) is one line and exit 2."""
    read_bytes = Path.read_bytes

    def denied(path: Path) -> bytes:
        if path.name == "runbook.yaml":
            raise PermissionError(13, "Permission denied", str(path))
        return read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", denied)
    result = check("runbook.yaml")
    assert result.exit_code == 2
    assert result.stderr == "cannot read runbook.yaml: Permission denied\n"
    assert "Traceback" not in result.output and result.stdout == ""


def _with_lint_finding(project: Path) -> None:
    source = project / "runbook.yaml"
    text = source.read_text()
    source.write_text(text + "\nlint:\n  ignore:\n    - {rule: RB99, reason: a typo}\n")
    _build(project)


def test_json_output(project: Path) -> None:
    _with_lint_finding(project)
    result = check("--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False and report["exit_code"] == 1
    assert report["source"] == "runbook.yaml"
    assert report["counts"] == {
        "lint": 1,
        "drift": 0,
        "shellcheck": 0,
        "ansible": 0,
        "monitoring": 0,
        "history": 0,
        "verify": 0,
    }
    [issue] = report["issues"]
    line = len((project / "runbook.yaml").read_text().splitlines())
    assert issue == {
        "kind": "lint",
        "rule": "RB011",
        "message": "unknown lint rule 'RB99' (did you mean 'RB009'?)",
        "file": "runbook.yaml",
        "line": line,
        "column": 14,
        "path": "lint.ignore[0].rule",
        "detail": "",
    }


def test_json_output_of_a_clean_project(project: Path) -> None:
    result = check("--format", "json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert (report["ok"], report["issues"]) == (True, [])


def test_json_output_of_unusable_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("runbook.yaml").write_text("service:\n  name: x\n  nmae: y\n")
    result = check("--format", "json")
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert report["exit_code"] == 2 and report["counts"]["invalid"] >= 1
    kinds = {(i["file"], i["line"], i["path"]) for i in report["issues"]}
    assert ("runbook.yaml", 3, "service.nmae") in kinds


def test_github_annotations(project: Path) -> None:
    _with_lint_finding(project)
    rel = _script(project)
    (project / rel).write_text((project / rel).read_text().replace("set -", "set  -", 1))
    result = check("--format", "github")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    line = len((project / "runbook.yaml").read_text().splitlines())
    assert (
        f"::error file=runbook.yaml,line={line},col=14,title=RB011::lint.ignore[0].rule: "
        "unknown lint rule 'RB99' (did you mean 'RB009'?)"
    ) in lines
    drift = [x for x in lines if x.startswith(f"::error file={rel},")]
    assert len(drift) == 1
    assert re.fullmatch(
        rf"::error file={re.escape(rel)},line=\d+,title=drift::out of date .*", drift[0]
    )
    group = lines.index(f"::group::diff {rel}")
    assert lines[group + 1] == f"--- {rel} (committed)"
    assert "::endgroup::" in lines[group:]


def test_github_annotations_of_unusable_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("runbook.yaml").write_text("service:\n  name: x\n  nmae: y\n")
    result = check("--format", "github")
    assert result.exit_code == 2
    assert any(
        x.startswith("::error file=runbook.yaml,line=3,col=3,title=invalid runbook::service.nmae: ")
        for x in result.stdout.splitlines()
    )


def test_shellcheck_findings_name_script_line_and_code(tmp_path: Path) -> None:
    script = "#!/usr/bin/env bash\nset -Eeuo pipefail\nrm -rf $1/releases\n"
    [issue] = shellcheck({"scripts/bad.sh": script}, tmp_path)
    assert (issue.kind, issue.rule, issue.line) == ("shellcheck", "SC2086", 3)
    assert issue.file.endswith("scripts/bad.sh")
    assert shellcheck({"scripts/good.sh": script.replace("$1", '"$1"')}, tmp_path) == []


SHARED = "# ---- the runtime"


def _with_runtime(own: str, runtime: str) -> str:
    return f"#!/usr/bin/env bash\nset -Eeuo pipefail\n{own}\n{SHARED}\n{runtime}\n"


def test_shellcheck_reads_a_shared_runtime_once_and_each_scripts_own_part(
    tmp_path: Path,
) -> None:
    """The runtime after ``shared_from`` is checked with the first script that carries it; a
    comment in it is reported there once, and every script's own part is still checked, at
    its own line numbers."""
    runtime = "helper() { rm -rf $1/releases; }\nhelper x"
    scripts = {
        "scripts/a.sh": _with_runtime("echo a", runtime),
        "scripts/b.sh": _with_runtime("echo b\nrm -rf $2/old", runtime),
        "scripts/c.sh": _with_runtime("echo c", runtime.replace("$1", '"$1"')),
    }
    issues = shellcheck(scripts, tmp_path, shared_from=SHARED)
    found = sorted((Path(i.file).name, i.rule, i.line) for i in issues)
    assert found == [("a.sh", "SC2086", 5), ("b.sh", "SC2086", 4)]


def test_shellcheck_of_scripts_without_the_shared_line_reads_them_whole(
    tmp_path: Path,
) -> None:
    script = "#!/usr/bin/env bash\nrm -rf $1/releases\n"
    scripts = {"scripts/a.sh": script, "scripts/b.sh": script}
    issues = shellcheck(scripts, tmp_path, shared_from=SHARED)
    assert sorted(Path(i.file).name for i in issues) == ["a.sh", "b.sh"]


@pytest.mark.parametrize("source", ["runbook.yaml", "examples/shop/runbook.yaml"])
def test_every_script_carries_the_runtime_once_after_its_own_part(
    source: str, tmp_path: Path
) -> None:
    """What lets check read the runtime once: from the line RUNTIME_START on, a second
    procedure of the same environment and kind gets the same text as the first, and nothing
    of either procedure comes after that line."""
    data = yaml.safe_load((REPO / source).read_text(encoding="utf-8"))
    first = next(p for p in data["procedures"].values() if p.get("kind", "deploy") == "deploy")
    data["procedures"]["second-deploy"] = {
        **first,
        "title": "A second deploy",
        "script": "second-deploy.sh",
    }
    (tmp_path / "runbook.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    scripts = render_scripts(load(tmp_path / "runbook.yaml"))
    tails = {}
    for rel, text in scripts.items():
        assert text.count("\n" + RUNTIME_START + "\n") == 1, rel
        tails[rel] = text.split(RUNTIME_START, 1)[1]
        assert rel.removesuffix(".sh") not in tails[rel], rel
    assert tails["second-deploy.sh"] == tails[first["script"]]
    assert scripts["second-deploy.sh"] != scripts[first["script"]]


@pytest.mark.parametrize(
    ("binary", "timeout", "message"),
    [
        ("/nonexistent/shellcheck", 120, "No such file or directory"),
        ("sleep-forever", 0.2, "timed out after 0.2 seconds"),
    ],
)
def test_shellcheck_that_cannot_run_is_one_line_and_exit_2(
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    binary: str,
    timeout: float,
    message: str,
) -> None:
    if binary == "sleep-forever":
        binary = str(tmp_path / binary)
        Path(binary).write_text("#!/bin/sh\nexec sleep 30\n")
        Path(binary).chmod(0o755)
    monkeypatch.setattr(outputs, "shellcheck_binary", lambda: binary)
    monkeypatch.setattr(outputs, "SHELLCHECK_TIMEOUT_S", timeout)
    result = check()
    assert result.exit_code == 2, result.output
    assert "shellcheck failed on scripts/" in result.stderr and message in result.stderr
    assert "Traceback" not in result.output


def test_text_output_is_coloured_on_a_terminal(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import runbook.console

    monkeypatch.setattr(runbook.console, "use_color", lambda stream=None: True)
    rel = _script(project)
    (project / rel).write_text((project / rel).read_text() + "# edited\n")
    result = check()
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    [finding] = [x for x in lines if f"{rel}:" in x and "drift" in x]
    assert finding.startswith("\x1b[31m")  # the finding in red
    [removed] = [x for x in lines if "    -# edited" in x]
    assert removed.startswith("\x1b[31m")  # the removed line of the diff in red
    assert "\x1b[1m" in lines[-1] and "1 problem" in lines[-1]  # the summary in bold


def test_no_color_turns_colour_off(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import runbook.console

    monkeypatch.setenv("NO_COLOR", "1")
    assert runbook.console.use_color(type("Tty", (), {"isatty": lambda self: True})()) is False
    rel = _script(project)
    (project / rel).write_text((project / rel).read_text() + "# edited\n")
    assert "\x1b[" not in check().stdout


def test_a_script_no_longer_generated_is_drift(project: Path) -> None:
    rel = _script(project)
    old = project / "scripts" / "deploy-old.sh"
    shutil.copy(project / rel, old)
    (project / "scripts" / "handmade.sh").write_text("#!/bin/sh\necho mine\n")
    result = check()
    assert result.exit_code == 1
    assert (
        "scripts/deploy-old.sh: drift generated by an earlier build, but runbook.yaml no longer "
        "makes it: delete it"
    ) in result.stdout
    assert "handmade.sh" not in result.stdout


@pytest.mark.parametrize(("length", "shown"), [(3, 3), (120, 120), (121, 121), (500, 121)])
def test_long_diffs_are_cut_on_screen_but_not_in_json(length: int, shown: int) -> None:
    from runbook.lint.report import shown_diff

    lines = shown_diff("\n".join(f"+line {i}" for i in range(length)))
    assert len(lines) == shown
    if length > 120:
        assert lines[-1] == f"... {length - 120} more diff lines (`--format json` has all)"
