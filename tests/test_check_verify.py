"""`runbook check --verify`: the container suite's record becomes located issues.

The suite itself is `runbook.verify`'s (tested with the container); here a recorded result
stands in for it, so what check does with passed and failed runs is pinned without Docker.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

import runbook.verify
from runbook.build import BuildResult, render_outputs, write_outputs
from runbook.cli import main
from runbook.lint.verified import stdout_to_stderr, verification_issues
from runbook.loader import LoadedRunbook, load
from runbook.verification import ProcedureResult, StepResult, Verification

REPO = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 1, 17, 15, 0, tzinfo=UTC)


def record(outcome: str, scenarios: dict[str, str], steps: dict[str, str]) -> Verification:
    result = ProcedureResult(
        outcome=outcome,  # type: ignore[arg-type]
        date=NOW,
        duration_s=1.0,
        steps={s: StepResult(outcome=o, duration_s=0.1) for s, o in steps.items()},  # type: ignore[arg-type]
        scenarios=scenarios,  # type: ignore[arg-type]
    )
    return Verification(
        runbook_digest="0" * 64,
        started=NOW,
        finished=NOW,
        outcome=outcome,  # type: ignore[arg-type]
        procedures={"deploy-staging": result},
    )


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LoadedRunbook:
    shutil.copy(REPO / "runbook.yaml", tmp_path / "runbook.yaml")
    monkeypatch.chdir(tmp_path)
    loaded = load("runbook.yaml")
    write_outputs(render_outputs(loaded), tmp_path, BuildResult())
    return loaded


def _fake(monkeypatch: pytest.MonkeyPatch, result: Verification) -> list[Path]:
    calls: list[Path] = []

    def fake_verify(path: Path, extra: tuple[str, ...] = ()) -> tuple[Verification, Path]:
        calls.append(path)
        return result, path.parent / "verification.json"

    monkeypatch.setattr(runbook.verify, "verify", fake_verify)
    return calls


@pytest.mark.slow
def test_a_passed_suite_checks_clean(
    project: LoadedRunbook, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _fake(monkeypatch, record("passed", {"deploys": "passed"}, {"migrate": "passed"}))
    result = CliRunner().invoke(main, ["check", "--verify"])
    assert result.exit_code == 0, result.output
    assert calls == [project.path]
    assert "the staging target verifies" in result.stdout


@pytest.mark.slow
def test_failed_scenarios_and_steps_point_at_the_yaml(
    project: LoadedRunbook, monkeypatch: pytest.MonkeyPatch
) -> None:
    failed = record("failed", {"deploys": "passed", "rolls back": "failed"}, {"migrate": "failed"})
    _fake(monkeypatch, failed)
    result = CliRunner().invoke(main, ["check", "--verify", "--format", "json"])
    assert result.exit_code == 1
    issues = json.loads(result.stdout)["issues"]
    assert [(i["kind"], i["path"], i["message"]) for i in issues] == [
        ("verify", "procedures.deploy-staging", "scenario failed: rolls back"),
        ("verify", "steps.migrate", "step failed against the staging target (in deploy-staging)"),
    ]
    text = (REPO / "runbook.yaml").read_text().splitlines()
    assert text[issues[0]["line"] - 1].strip() == "deploy-staging:"
    assert text[issues[1]["line"] - 1].strip() == "migrate:"


def test_a_suite_that_failed_before_any_scenario_is_an_issue(project: LoadedRunbook) -> None:
    broken = record("failed", {}, {})
    [issue] = verification_issues(project, broken)
    assert issue.message.startswith("the container suite failed before any scenario ran")


@pytest.mark.slow
def test_without_verify_the_suite_does_not_run(
    project: LoadedRunbook, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _fake(monkeypatch, record("failed", {"x": "failed"}, {}))
    assert CliRunner().invoke(main, ["check"]).exit_code == 0
    assert calls == []


def test_child_output_goes_to_stderr_for_machine_formats(capfd: pytest.CaptureFixture[str]) -> None:
    with stdout_to_stderr():
        os.write(1, b"pytest says hello\n")
    os.write(1, b"after\n")
    out, err = capfd.readouterr()
    assert "pytest says hello" in err and "pytest says hello" not in out
    assert "after" in out
