"""A local "target" for running generated scripts: a temporary deploy path reached through a
fake ssh that runs the remote side on this machine, and a small runbook whose steps really
switch releases.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import subprocess
import termios
from pathlib import Path
from typing import Any

from test_scripts_support import install_fakes, loaded_from, small_runbook

from scripts_gen import render_scripts

SWITCH = 'ln -sfn "$RELEASE_DIR" "$CURRENT_LINK.next" && mv -T "$CURRENT_LINK.next" "$CURRENT_LINK"'
UNDO = 'ln -sfn "$RELEASES_DIR/$PREVIOUS_VERSION" "$CURRENT_LINK.next" && mv -T "$CURRENT_LINK.next" "$CURRENT_LINK"'


class Target:
    """A deploy path, a service repository and the rendered scripts, run with fake ssh."""

    def __init__(self, tmp: Path, data: dict[str, Any]) -> None:
        self.tmp = tmp
        self.srv = tmp / "srv"
        self.repo = tmp / "repo"
        self.log = tmp / "calls.log"
        self.env = install_fakes(tmp / "bin", self.log)
        self.env["RUNBOOK_LOG_DIR"] = str(tmp / "logs")
        self.repo.mkdir()
        subprocess.run(["git", "init", "-q", "-b", "main"], cwd=self.repo, check=True)
        self.scripts = render_scripts(loaded_from(data))
        for name, text in self.scripts.items():
            (tmp / name).write_text(text)
            (tmp / name).chmod(0o755)

    def serve(self, *versions: str) -> None:
        """Releases present on the target, the last one serving, all recorded."""
        for version in versions:
            (self.srv / "releases" / version).mkdir(parents=True, exist_ok=True)
            with (self.srv / "revisions.log").open("a") as log:
                log.write(f"20260101-000000 {version} staging\n")
        (self.srv / "current").symlink_to(self.srv / "releases" / versions[-1])

    def run(self, script: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.tmp / script), *args],
            cwd=self.repo,
            env=self.env,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=120,
        )

    def serving(self) -> str:
        return os.readlink(self.srv / "current").rsplit("/", 1)[-1]

    def all_log_lines(self, procedure: str = "deploy") -> list[dict[str, Any]]:
        path = self.tmp / "logs" / f"{procedure}.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()]

    def log_lines(self, procedure: str = "deploy") -> list[dict[str, Any]]:
        """The steps' lines, without each run's closing line."""
        return [line for line in self.all_log_lines(procedure) if line["phase"] != "run"]

    def run_lines(self, procedure: str = "deploy") -> list[dict[str, Any]]:
        """The closing line of each run: its outcome, duration and commit time."""
        return [line for line in self.all_log_lines(procedure) if line["phase"] == "run"]

    def target_log(self) -> list[dict[str, Any]]:
        return [
            line
            for line in map(json.loads, (self.srv / "deploy.log.jsonl").read_text().splitlines())
            if line["phase"] != "run"
        ]


def runbook(tmp: Path, **steps: dict[str, Any]) -> dict[str, Any]:
    data = small_runbook(deploy_path=str(tmp / "srv"))
    data["steps"].update(
        {
            "there": {"title": "Unpack", "runs_on": "remote", "command": 'mkdir -p "$RELEASE_DIR"'},
            "switch": {
                "title": "Switch",
                "runs_on": "remote",
                "command": SWITCH,
                "on_failure": "rollback",
            },
            "undo": {"title": "Undo", "runs_on": "remote", "command": UNDO},
            "check": {
                "title": "Check",
                "runs_on": "remote",
                "command": "echo checked",
                "on_failure": "rollback",
            },
        }
    )
    data["steps"].update(steps)
    data["procedures"]["deploy"]["stages"] = [
        {"title": "Before", "steps": ["hello", "there"]},
        {"title": "After", "steps": ["switch", "check"]},
    ]
    data["procedures"]["deploy"]["post_tasks"] = ["Tell the team."]
    return data


def run_on_terminal(target: Target, script: str, answers: str, *args: str) -> tuple[int, str]:
    """Run with a pseudo-terminal as controlling terminal and stdin, typing the answers."""
    leader, follower = pty.openpty()

    def become_terminal_session() -> None:
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    with subprocess.Popen(
        [str(target.tmp / script), *args],
        cwd=target.repo,
        env=target.env,
        stdin=follower,
        stdout=follower,
        stderr=follower,
        preexec_fn=become_terminal_session,
    ) as proc:
        os.close(follower)
        os.write(leader, answers.encode())
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        code = proc.wait(timeout=60)
    os.close(leader)
    return code, b"".join(chunks).decode()
