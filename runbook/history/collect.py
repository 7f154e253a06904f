"""Where the logs are: the deploying machine's log directory, given files, and the targets.

The scripts write ``$RUNBOOK_LOG_DIR/<procedure>.jsonl`` (by default ``.runbook/logs`` at the
top of the service's repository) and append the same lines to ``deploy.log.jsonl`` in each
target's deploy path. Reading a target's log goes over SSH as the scripts do (with
``$RUNBOOK_SSH_CONFIG`` when it is set), bounded in time, and a target that cannot be reached
is reported, not fatal: the logs that could be read still count.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from runbook.errors import Problem, RunbookError
from runbook.history.logs import BadLine, LogLine, read_lines
from runbook.model import Runbook

SSH_TIMEOUT_S = 60
REMOTE_LOG = "deploy.log.jsonl"


@dataclass
class Collected:
    """Every line read, every line skipped, what was read and what could not be."""

    lines: list[LogLine] = field(default_factory=list)
    bad: list[BadLine] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # as given: a directory, a file, a target
    files: list[str] = field(default_factory=list)
    unreachable: list[str] = field(default_factory=list)

    def add(self, text: str, source: str) -> None:
        self.files.append(source)
        for item in read_lines(text, source):
            (self.lines if isinstance(item, LogLine) else self.bad).append(item)  # type: ignore[arg-type]


def default_log_dir(root: Path) -> Path:
    """Where the scripts log on this machine: ``$RUNBOOK_LOG_DIR``, else ``.runbook/logs``."""
    configured = os.environ.get("RUNBOOK_LOG_DIR")
    return Path(configured) if configured else root / ".runbook" / "logs"


def log_files(paths: list[Path]) -> list[Path]:
    """The ``.jsonl`` files among ``paths``: files as given, directories searched."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*.jsonl") if p.is_file())
        elif path.is_file():
            found.append(path)
        else:
            raise RunbookError(Problem(f"{path}: no such file or directory", hint="--from"))
    return found


def _shown(path: Path) -> str:
    rel = os.path.relpath(path)
    return rel if not rel.startswith("..") else str(path)


def read_local(collected: Collected, paths: list[Path]) -> None:
    files = log_files(paths)
    collected.sources += [_shown(path) for path in paths]
    for path in files:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            collected.unreachable.append(f"{_shown(path)}: {exc.strerror or exc}")
            continue
        collected.add(text, _shown(path))


def ssh_command(rb: Runbook, env_id: str) -> list[str]:
    """The ssh command that prints an environment's log (nothing when it has none yet)."""
    env = rb.environments[env_id]
    path = f"{env.deploy_path.rstrip('/')}/{REMOTE_LOG}"
    options = ["-o", "BatchMode=yes", "-o", "ConnectTimeout=10"]
    config = os.environ.get("RUNBOOK_SSH_CONFIG")
    where = ["-F", config] if config else ["-p", str(env.ssh_port)]
    script = f"if [ -f {shlex.quote(path)} ]; then cat -- {shlex.quote(path)}; fi"
    return ["ssh", *options, *where, f"{env.ssh_user}@{env.host}", script]


def read_remote(collected: Collected, rb: Runbook) -> None:
    """Each environment's log over SSH; a host read once even if environments share it."""
    seen: set[tuple[str, str]] = set()
    for env_id, env in rb.environments.items():
        if env.host is None:  # a fleet: its hosts' logs are the playbooks' business
            continue
        key = (env.host, env.deploy_path)
        if key in seen:
            continue
        seen.add(key)
        source = f"{env.ssh_user}@{env.host}:{env.deploy_path.rstrip('/')}/{REMOTE_LOG}"
        try:
            proc = subprocess.run(
                ssh_command(rb, env_id),
                capture_output=True,
                text=True,
                errors="replace",
                timeout=SSH_TIMEOUT_S,
                stdin=subprocess.DEVNULL,
                check=False,
            )
        except subprocess.TimeoutExpired:
            collected.unreachable.append(f"{source}: no answer within {SSH_TIMEOUT_S} s")
            continue
        except OSError as exc:
            collected.unreachable.append(f"{source}: cannot run ssh ({exc.strerror or exc})")
            continue
        if proc.returncode != 0:
            said = proc.stderr.strip().splitlines()
            collected.unreachable.append(
                f"{source}: {said[-1] if said else f'ssh exit {proc.returncode}'}"
            )
            continue
        collected.sources.append(source)
        collected.add(proc.stdout, source)
