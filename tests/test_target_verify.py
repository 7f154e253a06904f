"""The verify record built from scenario records, the expectation judge, the specs' coverage."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from runbook.loader import load
from runbook.model.steps import Expect
from runbook.verify import build_record
from runbook.scenarios.runner import expectation_problems

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 1, 17, 15, 0, tzinfo=UTC)
VARS = {"VERSION": "v1.0.1", "BACKUP_FILE": "/srv/app/backups/b.dump"}


@pytest.mark.parametrize(
    ("expect", "code", "output", "size", "problems"),
    [
        ({}, 0, "", None, []),
        ({}, 3, "", None, ["exit code 3, expected 0"]),
        ({"exit_code": 1}, 1, "", None, []),
        ({"output_contains": "tag $VERSION exists"}, 0, "tag v1.0.1 exists\n", None, []),
        (
            {"output_contains": "tag ${VERSION} exists"},
            0,
            "tag v1.0.0 exists",
            None,
            ["output lacks 'tag v1.0.1 exists'"],
        ),
        ({"file": {"path": "$BACKUP_FILE", "min_bytes": 100}}, 0, "", 4096, []),
        (
            {"file": {"path": "$BACKUP_FILE", "min_bytes": 100}},
            0,
            "",
            10,
            ["file /srv/app/backups/b.dump is 10 bytes, expected >= 100"],
        ),
        ({"file": {"path": "$BACKUP_FILE"}}, 0, "", None, ["file /srv/app/backups/b.dump missing"]),
    ],
)
def test_expectation_problems(
    expect: dict[str, object], code: int, output: str, size: int | None, problems: list[str]
) -> None:
    assert expectation_problems(Expect(**expect), VARS, code, output, size) == problems


def _record(procedure: str, outcome: str, scenario: str, **extra: object) -> dict[str, object]:
    return {
        "nodeid": f"steps/x.py::{scenario}",
        "outcome": outcome,
        "duration_s": 2.5,
        "procedure": procedure,
        "scenario": scenario,
        **extra,
    }


def test_record_per_procedure() -> None:
    steps = {"check-branch": {"outcome": "passed", "duration_s": 0.1}}
    records = [
        _record("deploy-staging", "passed", "steps alone", steps=steps),
        _record("deploy-staging", "failed", "end to end"),
        _record("rollback-staging", "passed", "rollback"),
    ]
    result = build_record(
        "abc",
        ["deploy-staging", "rollback-staging", "deploy-production"],
        records,
        NOW,
        NOW,
        exit_code=1,
    )
    assert result.outcome == "failed"
    staging = result.procedures["deploy-staging"]
    assert (staging.outcome, staging.duration_s) == ("failed", 5.0)
    assert staging.scenarios == {"steps alone": "passed", "end to end": "failed"}
    assert staging.steps["check-branch"].outcome == "passed"
    assert result.procedures["rollback-staging"].outcome == "passed"
    assert result.procedures["deploy-production"].outcome == "skipped"


def test_pytest_failure_without_records_fails_the_run() -> None:
    assert build_record("abc", ["p"], [], NOW, NOW, exit_code=2).outcome == "failed"


def _examples(feature: str) -> set[str]:
    text = (ROOT / "specs" / feature).read_text(encoding="utf-8")
    table = text.split("Examples:", 1)[1]
    return set(re.findall(r"^\s*\|\s*([a-z0-9-]+)\s*\|\s*$", table, re.M)) - {
        "procedure",
        "emergency",
    }


@pytest.mark.parametrize(
    ("feature", "section"),
    [("steps_alone.feature", "procedures"), ("emergencies.feature", "emergencies")],
)
def test_specs_cover_every_procedure_and_emergency(feature: str, section: str) -> None:
    """A procedure or emergency added to the runbook must get its scenario too."""
    runbook = load(ROOT / "runbook.yaml").runbook
    assert _examples(feature) == set(getattr(runbook, section))


def test_every_script_has_an_end_to_end_scenario() -> None:
    runbook = load(ROOT / "runbook.yaml").runbook
    specs = " ".join(p.read_text(encoding="utf-8") for p in (ROOT / "specs").glob("*.feature"))
    for procedure in runbook.procedures.values():
        assert f'runs "{procedure.script}' in specs, procedure.script
