"""Faults mid-run, on the local fake target: the journal, the truth on exit, recovery.

The container scenarios (`runbook verify`, faults.feature) inject the same faults into a real
target; these tests pin each mechanism on its own, fast.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from test_scripts_target import Target, runbook

JOURNAL = "deploy.journal"


def _journal(target: Target) -> list[list[str]]:
    path = target.srv / JOURNAL
    return [line.split() for line in path.read_text().splitlines()] if path.exists() else []


def _events(target: Target) -> list[tuple[str, ...]]:
    """(event, values...) of every journal line, without time and run."""
    return [tuple(words[2:]) for words in _journal(target)]


def _write_journal(target: Target, *lines: str) -> None:
    (target.srv / JOURNAL).write_text("".join(f"2026-01-01T00:00:00Z {line}\n" for line in lines))


@pytest.fixture
def target(tmp_path: Path, request: pytest.FixtureRequest) -> Target:
    steps: dict[str, Any] = getattr(request, "param", {})
    data = runbook(tmp_path, **steps)
    data["emergencies"] = {
        "database-down": {
            "title": "Database down",
            "severity": "P0",
            "symptoms": ["The health answer says the database is in error."],
            "diagnosis": [{"title": "Ask it", "command": "pg_isready"}],
            "actions": ["Call the database admin."],
            "output_matches": ['"database": "error"', "HTTP 503"],
        }
    }
    data["severities"] = [
        {
            "level": "P0",
            "title": "Critical",
            "response_time": "< 5 min",
            "action": "Act at once",
            "examples": ["Down"],
        }
    ]
    return Target(tmp_path, data)


def test_a_run_journals_its_start_its_switch_and_the_release_it_verified(target: Target) -> None:
    target.serve("v1")
    result = target.run("deploy.sh", "v2")
    assert result.returncode == 0, result.stdout + result.stderr
    events = _events(target)
    assert events[0] == ("start", "deploy", "v2", "v1", "1")
    assert ("step", "switch") in events
    assert events[-2:] == [("verified", "v2"), ("end", "0")]
    assert len({words[1] for words in _journal(target)}) == 1, "one run id for every line"


def test_a_rerun_returns_to_the_last_verified_release_not_to_current(target: Target) -> None:
    """A run killed after its switch left `current` on v2, which no run verified."""
    target.serve("v1", "v2")
    _write_journal(target, "run1 verified v1", "run2 start deploy v2 v1 1", "run2 step switch")
    target.scripts  # noqa: B018 - the scripts are written; make the re-run's check fail
    (target.tmp / "deploy.sh").write_text(
        (target.tmp / "deploy.sh").read_text().replace("echo checked", "echo sick; exit 1")
    )
    result = target.run("deploy.sh", "v2")
    output = result.stdout + result.stderr
    assert "current points at v2, which no run verified; the last verified release is v1" in output
    assert "run run2 did not end (killed or cut off): ended in the journal" in output
    assert "== Automatic rollback to v1" in output
    assert result.returncode == 1, output
    assert target.serving() == "v1"
    assert ("end", "interrupted") in _events(target)
    assert _events(target)[-2:] == [("verified", "v1"), ("end", "1")]


def test_the_next_run_removes_a_release_a_killed_run_half_made(target: Target) -> None:
    target.serve("v1")
    (target.srv / "releases" / "v3").mkdir()
    (target.srv / "releases" / "v3" / "half").write_text("x")
    _write_journal(target, "run1 verified v1", "run2 start deploy v3 v1 1")
    result = target.run("deploy.sh", "v2")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "removed the release v3 it had begun and not switched to" in result.stderr
    assert sorted(p.name for p in (target.srv / "releases").iterdir()) == ["v1", "v2"]


def test_the_next_run_quarantines_a_backup_a_killed_run_did_not_verify(target: Target) -> None:
    target.serve("v1")
    backups = target.srv / "backups"
    backups.mkdir()
    (backups / "staging-1.dump").write_text("trunc")
    _write_journal(
        target, "run2 start deploy v2 v1 1", f"run2 backup-start {backups}/staging-1.dump"
    )
    result = target.run("deploy.sh", "v2")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "moved its unverified backup staging-1.dump" in result.stderr
    assert (backups / "failed" / "staging-1.dump").exists()
    assert not (backups / "staging-1.dump").exists()


BACKUP_FAILS = {
    "there": {
        "title": "Back up",
        "runs_on": "remote",
        "command": 'mkdir -p "$BACKUP_DIR" && printf trunc >"$BACKUP_FILE" && exit 28',
        "expect": {"file": {"path": "$BACKUP_FILE", "min_bytes": 100}},
    }
}


@pytest.mark.parametrize("target", [BACKUP_FAILS], indirect=True)
def test_a_failed_backup_is_quarantined_and_never_reported(target: Target) -> None:
    target.serve("v1")
    result = target.run("deploy.sh", "v2")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "was moved to" in output and "never offered for a restore" in output
    failed = list((target.srv / "backups" / "failed").iterdir())
    assert len(failed) == 1 and failed[0].read_text() == "trunc"
    assert [p.name for p in (target.srv / "backups").iterdir()] == ["failed"]
    assert "backup:" not in result.stdout
    assert "the target is as before" in result.stdout


MIGRATION_FAILS = {
    "there": {
        "title": "Migrate",
        "runs_on": "remote",
        "command": 'echo "applied 001"; exit 1',
        "changes": "the database schema",
    }
}


@pytest.mark.parametrize("target", [MIGRATION_FAILS], indirect=True)
def test_a_step_with_changes_that_fails_is_exit_3_naming_the_change(target: Target) -> None:
    target.serve("v1")
    result = target.run("deploy.sh", "v2")
    assert result.returncode == 3, result.stdout + result.stderr
    report = result.stdout[result.stdout.index("== Report") :]
    assert "the target is not as before" in report
    assert "changed:   there (the database schema)" in report
    assert "switched:  no" in report
    assert "serving:   v1 (the current link, asked at exit)" in report
    assert "lock:      released" in report
    assert "deploy.sh v2  (it takes over the lock" in report


HEALTH_SAYS_DATABASE = {
    "check": {
        "title": "Health",
        "runs_on": "remote",
        "command": """printf '{"status": "error", "database": "error"}\\nHTTP 503\\n'""",
        "expect": {"http_status": 200},
        "on_failure": "rollback",
    }
}


@pytest.mark.parametrize("target", [HEALTH_SAYS_DATABASE], indirect=True)
def test_a_failing_check_shows_its_body_and_names_the_matching_emergency(target: Target) -> None:
    target.serve("v1")
    result = target.run("deploy.sh", "v2")
    assert result.returncode == 1, result.stdout + result.stderr
    assert '{"status": "error", "database": "error"}' in result.stdout
    assert "expected HTTP status 200, the output reports 503" in result.stderr
    hint = (
        'the output shows "\\"database\\": \\"error\\"": see the emergency procedure Database down'
    )
    assert result.stderr.count("see the emergency procedure Database down (P0)") == 1, hint
    assert "incidents/emergencies.html#emergency-database-down" in result.stderr
    assert target.serving() == "v1"


def test_a_step_that_could_not_reach_the_target_runs_once_ssh_is_back(target: Target) -> None:
    """Connections 1-2 are the start (lock, journal); the switch is the 4th: it fails twice."""
    target.serve("v1")
    target.env["FAKE_SSH_DOWN"] = "4 5"
    started = time.monotonic()
    result = target.run("deploy.sh", "v2")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert output.count("step switch did not start") == 2
    assert "trying to reach the target again in 5 s" in output
    assert target.serving() == "v2"
    assert time.monotonic() - started >= 10


def test_the_point_of_no_return_not_reached_when_its_step_never_started(
    target: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SSH down for longer than the reconnect window at the switch: exit 1, not 3."""
    target.serve("v1")
    script = target.tmp / "deploy.sh"
    script.write_text(
        script.read_text().replace("_RB_RECONNECT_SECONDS=60", "_RB_RECONNECT_SECONDS=4")
    )
    target.env["FAKE_SSH_DOWN"] = "4 5 6"
    result = target.run("deploy.sh", "v2")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Automatic rollback" not in output
    assert "switched:  no" in result.stdout
    assert target.serving() == "v1"


def test_a_refused_run_reports_the_lock_owner_and_no_backup(target: Target) -> None:
    target.serve("v1")
    lock = target.srv / ".deploy.lock"
    lock.mkdir()
    (lock / "owner").write_text(
        f"host=elsewhere\npid=1\nprocedure=deploy\nversion=v9\ntoken=t\nstarted={int(time.time())}\n"
    )
    result = target.run("deploy.sh", "v2")
    assert result.returncode == 2, result.stdout + result.stderr
    report = result.stdout[result.stdout.index("== Report") :]
    assert "backup:" not in report
    assert "lock:      held by another run (host=elsewhere" in report
    assert "serving:   v1 (the current link, read at the start)" in report
    assert "once the run that holds the lock has ended" in report


def test_status_prints_what_serves_what_was_verified_and_the_journal(target: Target) -> None:
    target.serve("v1")
    assert target.run("deploy.sh", "v2").returncode == 0
    result = target.run("deploy.sh", "--status")
    assert result.returncode == 0, result.stderr
    assert "serving:   v2" in result.stdout
    assert "verified:  v2" in result.stdout
    assert "lock:      free" in result.stdout
    assert " verified v2" in result.stdout and " end 0" in result.stdout


SLOW_REMOTE = {
    "there": {
        "title": "Slow",
        "runs_on": "remote",
        "command": 'sleep 6; touch "$DEPLOY_PATH/went-on"',
    }
}


@pytest.mark.parametrize("target", [SLOW_REMOTE], indirect=True)
@pytest.mark.parametrize("whole_group", [True, False], ids=["run-killed", "script-alone-killed"])
def test_remote_work_ends_when_its_session_is_gone(target: Target, whole_group: bool) -> None:
    """SIGKILL of the whole run, or of the script alone (its ssh is then ended by the watch
    beside it): the guard sees the (fake) sshd gone and ends the step on the target."""
    target.serve("v1")
    sshd = target.tmp / "bin" / "sshd"
    shutil.copy("/bin/bash", sshd)
    target.env["FAKE_SSHD"] = str(sshd)
    process = subprocess.Popen(
        [str(target.tmp / "deploy.sh"), "v2"],
        cwd=target.repo,
        env=target.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    assert process.stdout is not None
    seen = ""
    while "(there, remote)" not in seen and time.monotonic() < deadline:
        seen += process.stdout.readline()
    time.sleep(1)
    if whole_group:
        os.killpg(process.pid, signal.SIGKILL)
    else:
        os.kill(process.pid, signal.SIGKILL)
    process.wait()
    time.sleep(9)
    assert not (target.srv / "went-on").exists(), "the step went on after its session was gone"
    assert (target.srv / ".deploy.lock").exists(), "a killed run leaves its lock"


def test_ssh_notices_a_dead_link_within_30_seconds(target: Target) -> None:
    """Keepalives every 10 s, 2 unanswered: ssh gives up within 30 s, not at the timeout."""
    text = (target.tmp / "deploy.sh").read_text()
    for options in ("_RB_SSH_OPTIONS=(", "_RB_SCP_OPTIONS=("):
        line = next(line for line in text.splitlines() if line.startswith(options))
        interval = int(line.split("ServerAliveInterval=")[1].split()[0])
        count = int(line.split("ServerAliveCountMax=")[1].split()[0].rstrip(")"))
        assert interval * (count + 1) <= 30, line
