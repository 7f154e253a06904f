"""Shared helpers of the script tests: small runbooks, and fake ssh/scp that record each call.

The fakes run the "remote" side on this machine, so a script's remote steps really run (in a
temporary deploy path) and every connection attempt is written to a log the tests read.
"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path
from typing import Any

from runbook.loader import LoadedRunbook
from runbook.model import Runbook
from runbook.yamlsrc import SourceMap

FAKE_SSH = r"""#!/usr/bin/env bash
calls=$(grep -c '^ssh ' "$FAKE_LOG")
printf 'ssh %s\n' "$*" >> "$FAKE_LOG"
# FAKE_SSH_DOWN="3 4": the 3rd and 4th connections fail as ssh does when it cannot connect.
case " ${FAKE_SSH_DOWN:-} " in *" $((calls + 1)) "*) echo "ssh: connect to host: Connection refused" >&2; exit 255 ;; esac
while [ $# -gt 0 ]; do
  case $1 in -o|-F|-p|-i|-l) shift 2 ;; -*) shift ;; *) break ;; esac
done
printf 'ssh-target %s\n' "$1" >> "$FAKE_LOG"
shift
# FAKE_SSHD: a copy of bash named sshd runs the remote side, as sshd's session would.
if [ -n "${FAKE_SSHD:-}" ]; then exec "$FAKE_SSHD" -c "$*; exit \$?"; fi
exec bash -c "$*"
"""
FAKE_SCP = r"""#!/usr/bin/env bash
printf 'scp %s\n' "$*" >> "$FAKE_LOG"
while [ $# -gt 0 ]; do
  case $1 in -o|-F|-P|-i) shift 2 ;; --) shift; break ;; -*) shift ;; *) break ;; esac
done
cp -- "$1" "${2#*:}"
"""


def install_fakes(bin_dir: Path, log: Path) -> dict[str, str]:
    """Put fake ssh and scp first on PATH; returns the environment for subprocesses."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    for name, text in (("ssh", FAKE_SSH), ("scp", FAKE_SCP)):
        path = bin_dir / name
        path.write_text(text)
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNBOOK_")}
    env.update(PATH=f"{bin_dir}:{env['PATH']}", FAKE_LOG=str(log), NO_COLOR="")
    env.pop("NO_COLOR")
    log.touch()
    return env


def ssh_calls(log: Path) -> list[str]:
    """Recorded ssh and scp calls, in order."""
    return [line for line in log.read_text().splitlines() if line.startswith(("ssh ", "scp "))]


def step(command: str | None = None, **extra: Any) -> dict[str, Any]:
    """A step dict with a title."""
    data: dict[str, Any] = {"title": extra.pop("title", "A step"), **extra}
    if command is not None:
        data["command"] = command
    return data


def small_runbook(deploy_path: str = "/srv/app", **overrides: Any) -> dict[str, Any]:
    """A small but complete runbook as data: one environment, deploy and rollback."""
    data: dict[str, Any] = {
        "service": {"name": "svc"},
        "environments": {
            "staging": {
                "title": "Staging",
                "host": "staging.example.internal",
                "ssh_user": "deploy",
                "ssh_port": 2222,
                "deploy_path": deploy_path,
                "base_url": "http://127.0.0.1:8080",
                "endpoints": [{"path": "/health", "contains": "ok $VERSION"}],
            }
        },
        "steps": {
            "hello": step("echo hello from $VERSION", expect={"output_contains": "from $VERSION"}),
            "there": step("echo there", runs_on="remote"),
            "switch": step("echo switch", runs_on="remote", on_failure="rollback"),
            "undo": step("echo undo", runs_on="remote"),
        },
        "procedures": {
            "deploy": {
                "title": "Deploy",
                "kind": "deploy",
                "environment": "staging",
                "script": "deploy.sh",
                "stages": [{"title": "All", "steps": ["hello", "there", "switch"]}],
                "point_of_no_return": "switch",
                "rollback_steps": ["undo"],
            }
        },
        "contacts": {
            "oncall": {
                "name": "On-call engineer",
                "role": "First responder",
                "channels": [{"kind": "pager", "value": "+1 555 0100"}],
            }
        },
        "escalation": [
            {"level": 1, "contact": "oncall", "after_minutes": 0, "when": "Any failure"}
        ],
    }
    data.update(overrides)
    return data


def loaded_from(data: dict[str, Any]) -> LoadedRunbook:
    """A LoadedRunbook built from a dict, as the loader would after validation."""
    return LoadedRunbook(
        runbook=Runbook.model_validate(data),
        path=Path("runbook.yaml").resolve(),
        files=(),
        digest="0" * 64,
        source_map=SourceMap(),
    )


GIT = ["git", "-c", "user.email=ci@example.invalid", "-c", "user.name=ci"]


def make_service_repo(path: Path) -> Path:
    """A clean git repository on main with one commit tagged v1.0.1, like the service's."""
    path.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=path, check=True)
    (path / "app.py").write_text("print('hi')\n")
    subprocess.run(["git", "add", "app.py"], cwd=path, check=True)
    subprocess.run([*GIT, "commit", "-q", "-m", "init"], cwd=path, check=True)
    subprocess.run([*GIT, "tag", "v1.0.1"], cwd=path, check=True)
    return path


def write_scripts(directory: Path, scripts: dict[str, str]) -> Path:
    """Write rendered scripts, executable, into a directory."""
    for name, text in scripts.items():
        (directory / name).write_text(text)
        (directory / name).chmod(0o755)
    return directory


def run_script(
    script: Path, *args: str, cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """Run a script with no terminal on stdin, capturing its output."""
    return subprocess.run(
        [str(script), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
