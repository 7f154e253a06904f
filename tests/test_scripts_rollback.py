"""Generated rollback scripts run against a local "target": the previous release by default,
the backup chosen by flag or on the terminal, and a safety backup that never replaces it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from test_scripts_support import ssh_calls
from test_scripts_target import Target, run_on_terminal, runbook


def rollback_runbook(tmp: Path) -> dict[str, Any]:
    data = runbook(tmp)
    data["steps"].update(
        {
            "dump": {
                "title": "Safety backup",
                "runs_on": "remote",
                "command": 'mkdir -p "$BACKUP_DIR"; echo "safety of $PREVIOUS_VERSION" > "$BACKUP_FILE"',
                "expect": {"file": {"path": "$BACKUP_FILE", "min_bytes": 1}},
            },
            "restore": {
                "title": "Restore",
                "runs_on": "remote",
                "confirm": "Restore from '$BACKUP_FILE'?",
                "command": 'if [ -z "$BACKUP_FILE" ]; then echo "restore skipped"; exit 0; fi\n'
                'cp "$BACKUP_FILE" "$DEPLOY_PATH/restored"',
            },
        }
    )
    data["procedures"]["back"] = {
        "title": "Roll back",
        "kind": "rollback",
        "environment": "staging",
        "script": "back.sh",
        "recent_backups": 2,
        "stages": [{"title": "All", "steps": ["dump", "switch", "restore"]}],
        "point_of_no_return": "switch",
    }
    return data


@pytest.fixture
def back(tmp_path: Path) -> Target:
    target = Target(tmp_path, rollback_runbook(tmp_path))
    target.serve("v1", "v2")
    backups = target.srv / "backups"
    backups.mkdir()
    for i, name in enumerate(["old.dump", "chosen.dump", "new.dump"]):
        (backups / name).write_text(f"data of {name}\n")
        os.utime(backups / name, (1_700_000_000 + i, 1_700_000_000 + i))
    return target


def test_rollback_to_the_previous_release_without_a_restore(back: Target) -> None:
    result = back.run("back.sh", "--yes", "--no-db-restore")
    assert result.returncode == 0, result.stderr
    assert "Rolling back to the previous release: v1" in result.stdout
    assert back.serving() == "v1"
    assert "restore skipped" in result.stdout
    safety = list((back.srv / "backups").glob("staging-*-safety.dump"))
    assert len(safety) == 1 and safety[0].read_text() == "safety of v2\n"


def test_rollback_defaults_to_the_last_verified_release(back: Target) -> None:
    """v3 was switched to by a run that never verified it; v2 was not verified either."""
    (back.srv / "releases" / "v3").mkdir()
    with (back.srv / "revisions.log").open("a") as log:
        log.write("20260101-000000 v3 staging\n")
    (back.srv / "current").unlink()
    (back.srv / "current").symlink_to(back.srv / "releases" / "v3")
    (back.srv / "deploy.journal").write_text(
        "2026-01-01T00:00:00Z r1 verified v1\n2026-01-01T00:00:00Z r2 start deploy v3 v1 1\n"
    )
    result = back.run("back.sh", "--yes", "--no-db-restore")
    assert result.returncode == 0, result.stderr
    assert "Rolling back to the previous release: v1" in result.stdout
    assert back.serving() == "v1"


def test_rollback_restores_the_chosen_backup_not_the_safety_one(back: Target) -> None:
    result = back.run("back.sh", "--yes", "--backup", "chosen.dump", "v1")
    assert result.returncode == 0, result.stderr
    assert (back.srv / "restored").read_text() == "data of chosen.dump\n"
    assert f"Restore from '{back.srv}/backups/chosen.dump'? yes (--yes)" in result.stdout
    assert len(list((back.srv / "backups").glob("staging-*-safety.dump"))) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--backup", "missing.dump"], "no backup named 'missing.dump'"),
        (["--no-db-restore", "v7"], "release v7 is not on the target"),
    ],
)
def test_rollback_refusals_on_the_target(back: Target, args: list[str], message: str) -> None:
    result = back.run("back.sh", "--yes", *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert back.serving() == "v2" and not (back.srv / ".deploy.lock").exists()


def test_rollback_without_an_earlier_release_refuses(tmp_path: Path) -> None:
    target = Target(tmp_path, rollback_runbook(tmp_path))
    target.serve("v1")
    result = target.run("back.sh", "--yes", "--no-db-restore")
    assert result.returncode == 2
    assert "no earlier release to roll back to" in result.stderr


def test_rollback_dry_run_lists_steps_and_touches_nothing(back: Target) -> None:
    result = back.run("back.sh", "--dry-run", "--backup", "chosen.dump")
    assert result.returncode == 0
    assert f"BACKUP_FILE={back.srv}/backups/chosen.dump" in result.stdout
    assert ssh_calls(back.log) == []


def test_the_operator_picks_a_backup_and_confirms_on_the_terminal(back: Target) -> None:
    code, output = run_on_terminal(back, "back.sh", "2\nyes\n")
    assert code == 0, output
    assert "1) new.dump" in output and "2) chosen.dump" in output and "old.dump" not in output
    assert (back.srv / "restored").read_text() == "data of chosen.dump\n"


def test_an_answer_other_than_yes_skips_a_step_with_a_command(back: Target) -> None:
    code, output = run_on_terminal(back, "back.sh", "none\ny\n", "v1")
    assert code == 0, output
    assert "not confirmed: step restore skipped" in output
    assert not (back.srv / "restored").exists()
