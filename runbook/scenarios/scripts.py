"""Run a generated script against the target as a release engineer would, and read its log.

The scripts run with bash from the checkout, with ``RUNBOOK_SSH_CONFIG`` pointing at the
target's ssh_config, no terminal (so only ``--yes`` confirms), ``NO_COLOR`` and a private
``RUNBOOK_LOG_DIR`` whose JSON lines tell which steps ran, in which order, how they ended.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pty
import select
import shlex
import signal
import subprocess
import tempfile
import termios
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from runbook.scenarios.probe import Probe, ProbeReport

TIMEOUT_S = 600


@dataclass
class ScriptRun:
    """One run of a generated script: what it printed, how it ended, what the probe saw."""

    command: str
    procedure: str
    exit_code: int
    output: str
    seconds: float
    log: list[dict[str, Any]] = field(default_factory=list)
    probe: ProbeReport | None = None

    def record(self) -> dict[str, Any]:
        """The measurements kept for the verify record and the terminal summary."""
        probe = None
        if self.probe is not None:
            probe = {k: v for k, v in asdict(self.probe).items() if k != "versions"}
            probe["versions"] = dict(self.probe.versions)
        return {
            "command": self.command,
            "procedure": self.procedure,
            "exit_code": self.exit_code,
            "seconds": round(self.seconds, 2),
            "probe": probe,
        }

    def logged_steps(self, outcome: str | None = None) -> list[str]:
        """Step ids in the order the script logged them (optionally of one outcome)."""
        return [
            line["step"]
            for line in self.log
            if "step" in line and (outcome is None or line.get("outcome") == outcome)
        ]


@dataclass
class Runner:
    """Where the scripts are and how they reach the target."""

    scripts_dir: Path
    checkout: Path
    ssh_config: str
    log_dir: Path
    procedures: dict[str, str]  # script file name -> procedure id

    def start(self, command: str) -> Started:
        """Start the script in the background, in its own process group and log directory."""
        argv, log_dir, env = self._prepare(command)
        process = subprocess.Popen(
            argv,
            cwd=self.checkout,
            env=env,
            text=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        procedure = self.procedures[shlex.split(command)[0]]
        return Started(command, procedure, process, log_dir, time.monotonic())

    def _prepare(self, command: str) -> tuple[list[str], Path, dict[str, str]]:
        """The argv, a fresh log directory and the environment of one run of a script."""
        words = shlex.split(command)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_dir = Path(tempfile.mkdtemp(prefix="run-", dir=self.log_dir))
        env = {
            **os.environ,
            "RUNBOOK_SSH_CONFIG": self.ssh_config,
            "RUNBOOK_LOG_DIR": str(log_dir),
            "NO_COLOR": "1",
        }
        return ["bash", str(self.scripts_dir / words[0]), *words[1:]], log_dir, env

    def run(
        self,
        command: str,
        probe_url: str | None = None,
        unhealthy: frozenset[str] = frozenset(),
        known: frozenset[str] = frozenset(),
    ) -> ScriptRun:
        """Run to completion; with ``probe_url``, probe the health path the whole time."""
        probe = Probe(probe_url, unhealthy, known) if probe_url else None
        if probe:
            probe.start()
        return self.start(command).finish(probe)

    def run_on_terminal(
        self, command: str, answer: Callable[[str], str], probe_url: str | None = None
    ) -> ScriptRun:
        """Run with a pseudo-terminal, answering each question with ``answer(question)``.

        The scripts read confirmations from /dev/tty; here the terminal is a pty whose
        output is scanned for a question and ``answer`` gives the text typed back.
        """
        argv, log_dir, env = self._prepare(command)
        leader, follower = pty.openpty()

        def become_terminal_session() -> None:
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        started = time.monotonic()
        probe = Probe(probe_url) if probe_url else None
        if probe:
            probe.start()
        process = subprocess.Popen(
            argv,
            cwd=self.checkout,
            env=env,
            stdin=follower,
            stdout=follower,
            stderr=follower,
            preexec_fn=become_terminal_session,
        )
        os.close(follower)
        output = _converse(leader, process, answer, started + TIMEOUT_S)
        os.close(leader)
        procedure = self.procedures[shlex.split(command)[0]]
        run = Started(command, procedure, process, log_dir, started)  # type: ignore[arg-type]
        return ScriptRun(
            command,
            procedure,
            process.wait(),
            output,
            time.monotonic() - started,
            run.read_log(),
            probe.stop() if probe else None,
        )


QUESTION_ENDS = ("[type yes to continue]", "Restore which backup?")


def _converse(
    leader: int, process: subprocess.Popen[Any], answer: Callable[[str], str], deadline: float
) -> str:
    """Read the pty until the script ends, typing an answer after each question."""
    text, answered = "", 0
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            text += chunk.decode(errors="replace")
            asked = [i for end in QUESTION_ENDS for i in _all(text, end)]
            for position in sorted(asked)[answered:]:
                question = text[:position].rsplit("\n", 1)[-1] + text[position:].split("\n")[0]
                os.write(leader, (answer(question.strip()) + "\n").encode())
                answered += 1
        elif process.poll() is not None:
            break
    else:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    return text.replace("\r\n", "\n")


def _all(text: str, needle: str) -> list[int]:
    found, start = [], 0
    while (index := text.find(needle, start)) >= 0:
        found.append(index)
        start = index + 1
    return found


@dataclass
class Started:
    """A script started in the background."""

    command: str
    procedure: str
    process: subprocess.Popen[str]
    log_dir: Path
    started: float

    def finish(self, probe: Probe | None = None) -> ScriptRun:
        """Wait for the end (bounded), stop the probe, read the log."""
        try:
            output, _ = self.process.communicate(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.kill()
            output, _ = self.process.communicate()
        seconds = time.monotonic() - self.started
        report = probe.stop() if probe else None
        return ScriptRun(
            self.command,
            self.procedure,
            self.process.returncode,
            output,
            seconds,
            self.read_log(),
            report,
        )

    def kill(self) -> None:
        """SIGKILL the whole process group, as a crashed terminal or OOM killer would."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)

    def read_log(self) -> list[dict[str, Any]]:
        path = self.log_dir / f"{self.procedure}.jsonl"
        if not path.is_file():
            return []
        return [
            json.loads(line)
            for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
