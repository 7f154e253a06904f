"""Generated scripts run for real against a local "target" (see ``test_scripts_target``).

This proves the script's own machinery (lock, cleanup, automatic rollback, exit codes, logs,
retries, timeouts, expectations); the example's steps against a real host are the
staging-target suite's job.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from test_scripts_support import ssh_calls
from test_scripts_target import Target, run_on_terminal, runbook


@pytest.fixture
def target(tmp_path: Path, request: pytest.FixtureRequest) -> Target:
    steps = getattr(request, "param", {})
    return Target(tmp_path, runbook(tmp_path, **steps))


def test_a_deploy_that_works(target: Target) -> None:
    target.serve("v1")
    result = target.run("deploy.sh", "v2")
    assert result.returncode == 0, result.stderr
    assert target.serving() == "v2"
    assert "Serving now: v1" in result.stdout
    assert "outcome:   SUCCESS (exit 0)" in result.stdout and "previous:  v1" in result.stdout
    assert "steps ok:  4 of 4" in result.stdout and "  - Tell the team." in result.stdout
    assert not (target.srv / ".deploy.lock").exists()
    local = target.log_lines()
    assert [(line["step"], line["outcome"]) for line in local] == [
        ("hello", "ok"),
        ("there", "ok"),
        ("switch", "ok"),
        ("check", "ok"),
    ]
    assert local[0]["version"] == "v2" and local[0]["environment"] == "staging"
    assert target.target_log() == local
    assert all(" -p 2222 deploy@staging.example.internal " in c for c in ssh_calls(target.log))


@pytest.mark.parametrize(
    "target", [{"hello": {"title": "Fail", "command": "exit 4"}}], indirect=True
)
def test_a_local_failure_before_touching_the_target_is_exit_2_without_ssh(target: Target) -> None:
    result = target.run("deploy.sh", "v2")
    assert result.returncode == 2
    assert ssh_calls(target.log) == []
    assert "exit code 4, expected 0" in result.stderr


@pytest.mark.parametrize(
    "target",
    [
        {
            "there": {
                "title": "Unpack",
                "runs_on": "remote",
                "command": 'mkdir -p "$RELEASE_DIR"; exit 5',
            }
        }
    ],
    indirect=True,
)
def test_failure_before_the_point_of_no_return_removes_this_runs_release(target: Target) -> None:
    target.serve("v1")
    result = target.run("deploy.sh", "v2")
    assert result.returncode == 1
    assert "removed the unserved release v2" in result.stdout + result.stderr
    assert sorted(p.name for p in (target.srv / "releases").iterdir()) == ["v1"]
    assert target.serving() == "v1" and not (target.srv / ".deploy.lock").exists()


@pytest.mark.parametrize(
    "target",
    [{"there": {"title": "Unpack", "runs_on": "remote", "command": "exit 5"}}],
    indirect=True,
)
def test_a_release_that_existed_before_is_left_alone(target: Target) -> None:
    target.serve("v2", "v1")
    assert target.run("deploy.sh", "v2").returncode == 1
    assert sorted(p.name for p in (target.srv / "releases").iterdir()) == ["v1", "v2"]


@pytest.mark.parametrize(
    "target",
    [
        {
            "check": {
                "title": "Check",
                "runs_on": "remote",
                "command": "exit 9",
                "on_failure": "rollback",
            }
        }
    ],
    indirect=True,
)
def test_failure_after_the_point_of_no_return_rolls_back_exit_1(target: Target) -> None:
    target.serve("v1")
    result = target.run("deploy.sh", "v2")
    assert result.returncode == 1, result.stderr
    assert target.serving() == "v1"
    assert "rolled back: v1 serves again" in result.stderr
    outcomes = [(line["step"], line["outcome"], line["phase"]) for line in target.log_lines()]
    assert outcomes[-2:] == [("check", "failed", "procedure"), ("undo", "rolled-back", "rollback")]
    assert target.log_lines()[-2]["exit_code"] == 9


@pytest.mark.parametrize(
    "target",
    [
        {
            "check": {
                "title": "Check",
                "runs_on": "remote",
                "command": "exit 9",
                "on_failure": "rollback",
            },
            "undo": {"title": "Undo", "runs_on": "remote", "command": "exit 1"},
        }
    ],
    indirect=True,
)
def test_a_failed_rollback_is_exit_3_and_names_the_escalation_contact(target: Target) -> None:
    target.serve("v1")
    result = target.run("deploy.sh", "v2")
    assert result.returncode == 3
    assert "the automatic rollback failed" in result.stderr
    assert "level 1: On-call engineer (First responder)" in result.stderr
    assert "pager: +1 555 0100" in result.stderr
    assert not (target.srv / ".deploy.lock").exists()


def hold_lock(target: Target, host: str, pid: int, started: int) -> None:
    lock = target.srv / ".deploy.lock"
    lock.mkdir(parents=True)
    (lock / "owner").write_text(
        f"host={host}\npid={pid}\nuser=x\nprocedure=deploy\nversion=v9\ntoken=other\nstarted={started}\n"
    )


def test_a_held_lock_refuses_exit_2(target: Target) -> None:
    target.serve("v1")
    hold_lock(target, os.uname().nodename, os.getpid(), int(time.time()))
    result = target.run("deploy.sh", "v2")
    assert result.returncode == 2
    assert "the deploy lock" in result.stderr and f"pid={os.getpid()}" in result.stderr
    assert (target.srv / ".deploy.lock" / "owner").read_text().startswith("host=")
    assert "token=other" in (target.srv / ".deploy.lock" / "owner").read_text()
    assert target.serving() == "v1"


@pytest.mark.parametrize(
    ("host", "alive", "age"),
    [
        ("elsewhere.example", False, 0),  # a pid says nothing about another host's processes
        ("this", True, 29 * 60),  # alive and younger than stale_lock_minutes
    ],
)
def test_a_lock_that_is_not_stale_is_not_taken_over(
    target: Target, host: str, alive: bool, age: int
) -> None:
    target.serve("v1")
    dead = subprocess.Popen(["true"])
    dead.wait()
    pid = os.getpid() if alive else dead.pid
    hold_lock(target, os.uname().nodename if host == "this" else host, pid, int(time.time()) - age)
    result = target.run("deploy.sh", "v2")
    assert result.returncode == 2, result.stderr
    assert "taking over" not in result.stderr and "is held" in result.stderr
    assert "token=other" in (target.srv / ".deploy.lock" / "owner").read_text()
    assert target.serving() == "v1"


@pytest.mark.parametrize(
    ("host", "alive", "age", "args", "why"),
    [
        ("this", False, 0, [], "no longer exists"),
        ("elsewhere.example", True, 31 * 60, [], "older than 30 minutes"),
        ("this", True, 0, ["--break-lock"], "--break-lock was given"),
    ],
)
def test_stale_locks_are_taken_over(
    target: Target, host: str, alive: bool, age: int, args: list[str], why: str
) -> None:
    target.serve("v1")
    dead = subprocess.Popen(["true"])
    dead.wait()
    pid = os.getpid() if alive else dead.pid
    hold_lock(target, os.uname().nodename if host == "this" else host, pid, int(time.time()) - age)
    result = target.run("deploy.sh", *args, "v2")
    assert result.returncode == 0, result.stderr
    assert "taking over the deploy lock" in result.stderr and why in result.stderr
    assert not (target.srv / ".deploy.lock").exists()


@pytest.mark.parametrize(
    "target",
    [
        {
            "check": {
                "title": "Flaky",
                "runs_on": "remote",
                "command": 'n=$(cat "$DEPLOY_PATH/n" 2>/dev/null || echo 0); echo $((n+1)) > "$DEPLOY_PATH/n"; '
                '[ "$n" -ge 2 ] && echo "ready $VERSION"',
                "retries": 3,
                "retry_delay": 0,
                "expect": {"output_contains": "ready $VERSION"},
            }
        }
    ],
    indirect=True,
)
def test_retries_until_the_expectation_holds(target: Target) -> None:
    target.serve("v1")
    result = target.run("deploy.sh", "v2")
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("retrying in 0 s") == 2
    assert (target.srv / "n").read_text().strip() == "3"


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ({"command": "sleep 5", "timeout": 1}, "timed out after 1 s"),
        (
            {"command": "echo nope", "expect": {"output_contains": "yes $VERSION"}},
            "does not contain: yes v2",
        ),
        ({"command": "echo hi", "expect": {"exit_code": 3}}, "exit code 0, expected 3"),
        (
            {
                "command": 'echo x > "$DEPLOY_PATH/f"',
                "expect": {"file": {"path": "$DEPLOY_PATH/f", "min_bytes": 10}},
            },
            "of at least 10 bytes, found 2 bytes",
        ),
        (
            {"command": "true", "expect": {"file": {"path": "$DEPLOY_PATH/none", "min_bytes": 1}}},
            "found none",
        ),
    ],
)
def test_expectations_fail_the_step_and_roll_back(
    tmp_path: Path, step: dict[str, Any], message: str
) -> None:
    step = {"title": "Check", "runs_on": "remote", "on_failure": "rollback", **step}
    target = Target(tmp_path, runbook(tmp_path, check=step))
    target.serve("v1")
    result = target.run("deploy.sh", "v2")
    assert result.returncode == 1, result.stdout + result.stderr
    assert message in result.stderr
    assert target.serving() == "v1"


@pytest.mark.parametrize(
    "target",
    [
        {
            "check": {
                "title": "Optional",
                "runs_on": "remote",
                "command": "exit 1",
                "on_failure": "continue",
            }
        }
    ],
    indirect=True,
)
def test_on_failure_continue_goes_on(target: Target) -> None:
    target.serve("v1")
    result = target.run("deploy.sh", "v2")
    assert result.returncode == 0
    assert "on_failure is continue" in result.stderr
    assert target.log_lines()[-1]["outcome"] == "failed"


@pytest.mark.parametrize(
    ("step", "code", "message"),
    [
        ("there", 1, "removed the unserved release v2"),
        ("check", 3, "the rollback steps did not run"),
    ],
)
@pytest.mark.slow
def test_a_terminated_run_cleans_up_or_escalates(
    tmp_path: Path, step: str, code: int, message: str
) -> None:
    slow = {
        "title": "Slow",
        "runs_on": "remote",
        "command": 'mkdir -p "$RELEASE_DIR"; touch "$DEPLOY_PATH/started"; sleep 2',
    }
    target = Target(tmp_path, runbook(tmp_path, **{step: slow}))
    target.serve("v1")
    with subprocess.Popen(
        [str(tmp_path / "deploy.sh"), "v2"],
        cwd=target.repo,
        env=target.env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as proc:
        deadline = time.monotonic() + 30
        while not (target.srv / "started").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.terminate()
        output = proc.communicate(timeout=60)[0]
    assert proc.returncode == code, output
    assert message in output
    assert not (target.srv / ".deploy.lock").exists()


def test_version_after_double_dash(target: Target) -> None:
    target.serve("v1")
    assert target.run("deploy.sh", "--", "v2").returncode == 0
    assert target.serving() == "v2"
    assert "only one VERSION" in target.run("deploy.sh", "--", "v3", "v4").stderr


def test_a_declined_gate_before_any_change_is_a_refusal(tmp_path: Path) -> None:
    data = runbook(tmp_path)
    data["steps"]["gate"] = {"title": "Sure?", "confirm": "Deploy $VERSION now?"}
    data["procedures"]["deploy"]["stages"][0]["steps"].insert(0, "gate")
    target = Target(tmp_path, data)
    code, output = run_on_terminal(target, "deploy.sh", "no\n", "v2")
    assert code == 2, output
    assert "Deploy v2 now?" in output
    assert ssh_calls(target.log) == []


def _interrupt(target: Target, sig: int) -> tuple[int, str, float]:
    """Start a deploy, send ``sig`` to its process group once a step is running, wait."""
    proc = subprocess.Popen(
        [str(target.tmp / "deploy.sh"), "v2"],
        cwd=target.repo,
        env=target.env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while not (target.srv / "started").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (target.srv / "started").exists(), "the step never started"
    sent = time.monotonic()
    os.killpg(proc.pid, sig)
    output, _ = proc.communicate(timeout=60)
    return proc.returncode, output, time.monotonic() - sent


SLOW = 'mkdir -p "$RELEASE_DIR"; touch "$DEPLOY_PATH/started"; sleep 30'


@pytest.mark.parametrize(
    "target", [{"there": {"title": "Unpack", "runs_on": "remote", "command": SLOW}}], indirect=True
)
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_stopped_before_the_point_of_no_return_undoes_this_run_exit_1(
    target: Target, sig: int
) -> None:
    target.serve("v1")
    code, output, took = _interrupt(target, sig)
    assert code == 1, output
    assert took < 20, "the running step was not stopped"
    assert "stopped (exit" in output and "during there" in output
    assert "removed the unserved release v2" in output
    assert sorted(p.name for p in (target.srv / "releases").iterdir()) == ["v1"]
    assert target.serving() == "v1" and not (target.srv / ".deploy.lock").exists()


@pytest.mark.parametrize(
    "target",
    [{"check": {"title": "Check", "runs_on": "remote", "command": SLOW, "on_failure": "rollback"}}],
    indirect=True,
)
def test_stopped_after_the_point_of_no_return_is_exit_3_and_escalates(target: Target) -> None:
    target.serve("v1")
    code, output, _ = _interrupt(target, signal.SIGINT)
    assert code == 3, output
    assert "after the point of no return and the rollback steps did not run" in output
    assert "level 1: On-call engineer (First responder)" in output
    assert "(exit 3)" in output and "the target is not as before" in output
    assert "switched:  yes, at " in output
    assert "serving:   v2 (the current link, asked at exit)" in output
    assert "lock:      released" in output
    assert "next:      " in output and "deploy.sh v2  (it takes over the lock" in output
    assert target.serving() == "v2", "the run must not pretend it rolled back"
    assert not (target.srv / ".deploy.lock").exists()


def test_a_run_ends_its_log_with_one_line_of_its_own(target: Target) -> None:
    """The line `runbook history` reads a run from: outcome, duration, who, what it replaced,
    and when the deployed commit was made (the start of DORA's lead time)."""
    target.serve("v1")
    committed = "2026-01-05T10:00:00+00:00"
    environ = {**target.env, "GIT_COMMITTER_DATE": committed, "GIT_AUTHOR_DATE": committed}
    for argv in (
        [
            "git",
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@x",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "v2",
        ],
        ["git", "-c", "user.name=t", "-c", "user.email=t@x", "tag", "-a", "v2", "-m", "v2"],
    ):
        subprocess.run(argv, cwd=target.repo, env=environ, check=True)
    result = target.run("deploy.sh", "v2")
    assert result.returncode == 0, result.stderr
    [run] = target.run_lines()
    steps = target.log_lines()
    assert run["outcome"] == "success" and run["exit_code"] == 0 and run["failed_step"] == ""
    assert (run["version"], run["previous"], run["environment"]) == ("v2", "v1", "staging")
    assert run["committed"] == committed
    assert run["run"] and {line["run"] for line in steps} == {run["run"]}
    assert run["user"] == steps[0]["user"] != ""
    assert sum(line["duration_s"] for line in steps) <= run["duration_s"] < 60
    on_target = (target.srv / "deploy.log.jsonl").read_text().splitlines()
    assert json.loads(on_target[-1]) == run


def test_the_log_names_the_user_even_without_user_set(target: Target) -> None:
    """Cron jobs and CI runners often have no $USER: the account name is asked for instead."""
    target.serve("v1")
    target.env.pop("USER", None)
    assert target.run("deploy.sh", "v2").returncode == 0
    account = subprocess.run(["id", "-un"], capture_output=True, text=True, check=True)
    assert {line["user"] for line in target.all_log_lines()} == {account.stdout.strip()}


@pytest.mark.parametrize(
    "target",
    [
        {
            "check": {
                "title": "Check",
                "runs_on": "remote",
                "command": "exit 9",
                "on_failure": "rollback",
            }
        }
    ],
    indirect=True,
)
def test_a_rolled_back_run_says_failed_and_where(target: Target) -> None:
    target.serve("v1")
    assert target.run("deploy.sh", "v2").returncode == 1
    [run] = target.run_lines()
    assert (run["outcome"], run["exit_code"], run["failed_step"]) == ("failed", 1, "check")
    assert run["committed"] == ""  # no such commit in this repository


def test_a_refused_run_says_refused(target: Target) -> None:
    target.serve("v1")
    (target.srv / ".deploy.lock").mkdir()
    (target.srv / ".deploy.lock" / "owner").write_text("host=elsewhere\npid=1\ntoken=x\n")
    assert target.run("deploy.sh", "v2").returncode == 2
    [run] = target.run_lines()
    assert (run["outcome"], run["exit_code"]) == ("refused", 2)


def test_the_default_log_is_at_the_top_of_the_repository_and_git_ignored(target: Target) -> None:
    """Without RUNBOOK_LOG_DIR the log stays out of `git status`, so the next deploy's
    clean-tree check still passes."""
    target.serve("v1")
    del target.env["RUNBOOK_LOG_DIR"]
    (target.repo / "sub").mkdir()
    result = subprocess.run(
        [str(target.tmp / "deploy.sh"), "v2"],
        cwd=target.repo / "sub",
        env=target.env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    log = target.repo / ".runbook" / "logs" / "deploy.jsonl"
    assert [json.loads(line).get("step") for line in log.read_text().splitlines()] == [
        "hello",
        "there",
        "switch",
        "check",
        None,  # the run's closing line
    ]
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=target.repo,
        capture_output=True,
        text=True,
        check=True,
    )
    assert status.stdout == "", status.stdout


LOCKED = 'test -d "$DEPLOY_PATH/.deploy.lock" && echo "under the lock"'


@pytest.mark.parametrize(
    "target",
    [
        {"hello": {"title": "Remote", "command": f"remote {shlex.quote(LOCKED)}"}},
        {"hello": {"title": "Upload", "command": f'upload /dev/null "$DEPLOY_PATH/x"; {LOCKED}'}},
        {"hello": {"title": "Endpoints", "command": f"{LOCKED} && check_endpoints || true"}},
        {
            "hello": {
                "title": "Ssh",
                "command": f"ssh deploy@staging.example.internal true; {LOCKED}",
            }
        },
        {"hello": {"title": "Scp", "command": f'scp /dev/null h:"$DEPLOY_PATH/y"; {LOCKED}'}},
    ],
    indirect=True,
    ids=["remote", "upload", "check_endpoints", "ssh", "scp"],
)
def test_a_local_step_that_reaches_the_target_runs_under_the_lock(target: Target) -> None:
    target.serve("v1")
    result = target.run("deploy.sh", "v2")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "under the lock" in result.stdout
    assert result.stdout.index("Connecting to") < result.stdout.index("-- [1/")
