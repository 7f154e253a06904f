"""The verify record built from scenario records, the expectation judge, the specs' coverage."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from test_scripts_support import loaded_from

from runbook.loader import load
from runbook.model.steps import Expect
from runbook.scenarios.derive import features
from runbook.scenarios.runner import expectation_problems
from runbook.verify import build_record

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


def _examples(text: str) -> set[str]:
    table = text.split("Examples:", 1)[1]
    return set(re.findall(r"^\s*\|\s*([a-z0-9-]+)\s*\|\s*$", table, re.M)) - {
        "procedure",
        "emergency",
    }


@pytest.fixture(scope="module")
def derived() -> dict[str, str]:
    return features(load(ROOT / "runbook.yaml"))


@pytest.mark.parametrize(
    ("feature", "section"),
    [("steps_alone.feature", "procedures"), ("emergencies.feature", "emergencies")],
)
def test_derived_scenarios_cover_every_procedure_and_emergency(
    derived: dict[str, str], feature: str, section: str
) -> None:
    """A procedure or emergency added to the runbook gets its scenario with no code."""
    runbook = load(ROOT / "runbook.yaml").runbook
    expected = set(getattr(runbook, section))
    if section == "procedures":  # alone, with the scripts' preludes; a fleet's run in batches
        expected = {pid for pid in expected if runbook.procedures[pid].script}
    assert _examples(derived[feature]) == expected


def test_every_procedure_has_an_end_to_end_scenario_under_the_probe(
    derived: dict[str, str],
) -> None:
    runbook = load(ROOT / "runbook.yaml").runbook
    for pid, proc in runbook.procedures.items():
        if proc.playbook:  # a fleet's: its playbook, the probe through the load balancer
            text = derived[f"fleet-{pid}.feature"]
            assert f"When the release engineer runs the playbook of {pid}" in text
            assert "And the probe through the load balancer saw no failed request" in text
            continue
        text = derived[f"{pid}.feature"]
        assert f"When the release engineer runs {pid} while the probe watches" in text
        assert "And the probe saw no failed request" in text


def test_every_confirmation_is_declined_in_a_scenario(derived: dict[str, str]) -> None:
    runbook = load(ROOT / "runbook.yaml").runbook
    for pid, proc in runbook.procedures.items():
        if not proc.script:
            continue  # on a terminal: the scripts' (a playbook's are answered by Ansible's pause)
        for step_id in proc.step_ids:
            if runbook.steps[step_id].confirm:
                assert f'declines "{step_id}"' in derived[f"{pid}.feature"], (pid, step_id)


@pytest.mark.parametrize(
    ("pid", "expected"),
    [
        (
            "deploy-staging",
            [
                "rolls an unhealthy release back",
                "refuses from another branch",
                "holds the deploy lock",
                "killed deploy-staging is taken over",
            ],
        ),
        (
            "deploy-production",
            [
                "refuses without a version",
                "refuses the untagged version v1.0.1001",
                "refuses without a terminal",
                "refuses from another branch",
            ],
        ),
        (
            "rollback-production",
            ["restores a chosen backup", 'the mark "written after the backup" is not in'],
        ),
    ],
)
def test_the_runbook_implies_its_refusals_rollbacks_and_locks(
    derived: dict[str, str], pid: str, expected: list[str]
) -> None:
    for phrase in expected:
        assert phrase in derived[f"{pid}.feature"], phrase


def test_derived_scenarios_name_no_project_of_their_own() -> None:
    """The derived text comes from the runbook: another runbook, other names."""
    data = yaml.safe_load((ROOT / "runbook.yaml").read_text(encoding="utf-8"))
    data["target"]["releases"]["versions"] = [{"tag": "2.0.0"}, {"tag": "2.1.0"}]
    for env in data["environments"].values():
        env["tag_pattern"] = "^[0-9]+\\.[0-9]+\\.[0-9]+$"
    text = "\n".join(features(loaded_from(data)).values())
    assert "v1.0" not in text and "2.1.1000" in text


@pytest.mark.slow
def test_every_phrase_of_the_derived_scenarios_has_a_step_definition(
    derived: dict[str, str], tmp_path: Path
) -> None:
    """pytest-bdd binds every step of every derived feature to the shipped vocabulary."""
    import subprocess
    import sys

    from runbook.verify import prepare

    suite = prepare(load(ROOT / "runbook.yaml"), tmp_path / "suite")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(suite),
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(suite),
            "-c",
            str(suite / "pytest.ini"),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    collected = [line for line in done.stdout.splitlines() if "::" in line]
    assert len(collected) >= sum(text.count("Scenario") for text in derived.values()) - 5


def test_verify_keeps_the_scripts_logs_out_of_git(tmp_path: Path) -> None:
    """`runbook verify` keeps each run's logs for `runbook history --from`, git-ignored."""
    from runbook.verify import LOGS_DIR, logs_dir

    (tmp_path / "runbook.yaml").write_text("x")
    loaded = type("Loaded", (), {"path": tmp_path / "runbook.yaml"})()
    first = logs_dir(loaded)  # type: ignore[arg-type]
    assert first.parent == tmp_path / LOGS_DIR
    assert (tmp_path / ".runbook" / ".gitignore").read_text() == "*\n"
