"""Run one documented step on its own, exactly as its page shows it, and judge the result.

A remote step runs on the target over SSH (fabric) as ``remote_prelude + command``; a local
step runs with bash in the release engineer's checkout as ``local_prelude + command``. Both
preludes come from the script generator, so a step runs here as it runs in the scripts.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Any

from runbook.loader import LoadedRunbook
from runbook.model.steps import Expect, Step
from scripts_gen import local_prelude, remote_prelude, step_variables


@dataclass
class StepRun:
    """The result of one step run on its own."""

    step_id: str
    outcome: str  # passed, failed or skipped
    exit_code: int | None = None
    output: str = ""
    duration_s: float = 0.0
    problems: list[str] = field(default_factory=list)


@dataclass
class StepContext:
    """Everything a step needs: the runbook, the run's variables, where local steps run."""

    loaded: LoadedRunbook
    procedure: str
    variables: dict[str, str]
    checkout: Path
    ssh: Any  # fabric.Connection to the target
    ssh_config: str


def expand(text: str, variables: dict[str, str]) -> str:
    """``$VERSION`` and ``${VERSION}`` in an expectation, as the shell would expand them."""
    return Template(text).safe_substitute(variables)


def expectation_problems(
    expect: Expect, variables: dict[str, str], exit_code: int, output: str, file_size: int | None
) -> list[str]:
    """Every way the run missed the step's documented expectation (empty: met)."""
    problems = []
    if exit_code != expect.exit_code:
        problems.append(f"exit code {exit_code}, expected {expect.exit_code}")
    if expect.output_contains is not None:
        wanted = expand(expect.output_contains, variables)
        if wanted not in output:
            problems.append(f"output lacks {wanted!r}")
    if expect.http_status is not None:
        status = Expect.reported_status(output)
        if status != expect.http_status:
            reported = "no HTTP status" if status is None else f"HTTP status {status:03d}"
            problems.append(f"output reports {reported}, expected {expect.http_status}")
    if expect.file is not None:
        path = expand(expect.file.path, variables)
        if file_size is None:
            problems.append(f"file {path} missing")
        elif file_size < expect.file.min_bytes:
            problems.append(
                f"file {path} is {file_size} bytes, expected >= {expect.file.min_bytes}"
            )
    return problems


def run_step(ctx: StepContext, step_id: str) -> StepRun:
    """Run the step (with its documented retries) and check its expectation."""
    step = ctx.loaded.runbook.steps[step_id]
    if step.command is None:
        return StepRun(step_id, "skipped", output="confirmation only: the script asks it")
    variables = step_variables(ctx.loaded, ctx.procedure, step_id, ctx.variables)
    start = time.monotonic()
    for attempt in range(step.retries + 1):
        if attempt:
            time.sleep(step.retry_delay)
        code, output = _execute(ctx, step, variables)
        problems = expectation_problems(
            step.expect, variables, code, output, _file_size(ctx, step, variables)
        )
        if not problems:
            break
    outcome = "failed" if problems else "passed"
    return StepRun(step_id, outcome, code, output, time.monotonic() - start, problems)


def _execute(ctx: StepContext, step: Step, variables: dict[str, str]) -> tuple[int, str]:
    command = step.command or ""
    if step.runs_on == "remote":
        script = remote_prelude(ctx.loaded, ctx.procedure, variables) + command
        try:
            result = ctx.ssh.run(
                "bash -c " + shlex.quote(script),
                warn=True,
                hide=True,
                timeout=step.timeout,
                in_stream=False,
            )
        except Exception as exc:  # fabric's CommandTimedOut and SSH errors
            return 124, f"{type(exc).__name__}: {exc}"
        return int(result.exited), result.stdout + result.stderr
    script = local_prelude(ctx.loaded, ctx.procedure, variables) + command
    env = {**os.environ, "RUNBOOK_SSH_CONFIG": ctx.ssh_config}
    try:
        done = subprocess.run(
            ["bash", "-c", script],
            cwd=ctx.checkout,
            env=env,
            capture_output=True,
            text=True,
            timeout=step.timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        return 124, f"timed out after {exc.timeout} s"
    return done.returncode, done.stdout + done.stderr


def _file_size(ctx: StepContext, step: Step, variables: dict[str, str]) -> int | None:
    if step.expect.file is None:
        return None
    path = expand(step.expect.file.path, variables)
    if step.runs_on == "remote":
        result = ctx.ssh.run(
            f"stat -c %s {shlex.quote(path)}", warn=True, hide=True, in_stream=False
        )
        return int(result.stdout.strip()) if result.ok else None
    local = ctx.checkout / path
    return local.stat().st_size if local.is_file() else None
