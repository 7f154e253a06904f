"""From log lines to runs, and the history file that keeps them.

A run is one execution of a generated script: its step lines and, since the scripts write
one, its closing line (phase ``run``) with the outcome and exit code. The same line can be read
twice (the deploying machine's log and the target's), so lines are de-duplicated first; lines
of older scripts carry no run id and are grouped by file, procedure and version instead, and
such a run without a closing line is ``unfinished``: the logs cannot say how it ended.

The history file (``history.json`` beside the runbook) is plain JSON, like
``verification.json``: `runbook history` merges new runs into it, the site and
`runbook check --history` read it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from runbook.errors import Problem, RunbookError
from runbook.history.logs import LogLine, parse_time

Outcome = Literal["success", "failed", "rolled-back", "refused", "escalated", "unfinished"]
HISTORY_FILE = "history.json"
#: Lines of older scripts (no run id) further apart than this start a new run.
GAP = timedelta(minutes=30)


class StepRecord(BaseModel):
    """One step of a run as its log line told it."""

    model_config = ConfigDict(extra="forbid")
    step: str
    outcome: str
    phase: str
    duration_s: float
    time: datetime


class Run(BaseModel):
    """One run of a generated script."""

    model_config = ConfigDict(extra="forbid")
    run: str
    procedure: str
    environment: str
    version: str = ""
    previous: str = ""
    user: str = ""
    started: datetime
    finished: datetime
    duration_s: float
    outcome: Outcome
    exit_code: int | None = None
    failed_step: str = ""
    committed: datetime | None = None
    steps: list[StepRecord] = []

    def step_time(self, step_id: str) -> datetime | None:
        """When a step of the procedure ended, if it ran."""
        for record in self.steps:
            if record.step == step_id and record.phase == "procedure":
                return record.time
        return None


class History(BaseModel):
    """Every run collected so far, oldest first, and where they were read."""

    model_config = ConfigDict(extra="forbid")
    sources: list[str] = []
    runs: list[Run] = []

    def merged(self, runs: Iterable[Run], sources: Iterable[str]) -> tuple[History, int]:
        """This history with ``runs`` added (a run read again keeps its fuller copy)."""
        by_id = {run.run: run for run in self.runs}
        added = 0
        for run in runs:
            old = by_id.get(run.run)
            if old is None:
                added += 1
            if old is None or (run.exit_code is not None, len(run.steps)) >= (
                old.exit_code is not None,
                len(old.steps),
            ):
                by_id[run.run] = run
        ordered = sorted(by_id.values(), key=lambda r: (r.started, r.run))
        known = list(dict.fromkeys([*self.sources, *sources]))
        return History(sources=known, runs=ordered), added


def _outcome(closing: LogLine | None, steps: list[LogLine]) -> Outcome:
    rolled_back = any(line.get("phase") == "rollback" for line in steps)
    if closing is None:
        return "rolled-back" if rolled_back else "unfinished"
    said = closing.get("outcome")
    if said == "failed":
        return "rolled-back" if rolled_back else "failed"
    rollback = [line for line in steps if line.get("phase") == "rollback"]
    if (
        said == "escalated"
        and rollback
        and all(line.get("outcome") == "rolled-back" for line in rollback)
    ):
        # the release was restored; the run exits 3 because a step's `changes` (migrations)
        # stay, which its report names: as a deploy, it was rolled back
        return "rolled-back"
    if said in ("success", "refused", "escalated"):
        return said  # type: ignore[no-any-return]
    return "unfinished"


def _run(run_id: str, lines: list[LogLine]) -> Run:
    closing = next((line for line in reversed(lines) if line.get("phase") == "run"), None)
    steps = sorted((line for line in lines if line.get("phase") != "run"), key=lambda x: x.time)
    first = closing or lines[0]
    if closing is not None:
        finished = closing.time
        duration = float(closing.get("duration_s") or 0.0)
    else:
        finished = max(line.time for line in lines)
        start = min(line.time - timedelta(seconds=line.get("duration_s") or 0) for line in lines)
        duration = (finished - start).total_seconds()
    version = first.get("version") or next(
        (s.get("version") for s in steps if s.get("version")), ""
    )
    committed = parse_time(closing.get("committed") or "") if closing is not None else None
    return Run(
        run=run_id,
        procedure=first.get("procedure"),
        environment=first.get("environment"),
        version=version or "",
        previous=(closing.get("previous") if closing is not None else "") or "",
        user=first.get("user") or next((s.get("user") for s in steps if s.get("user")), "") or "",
        started=finished - timedelta(seconds=duration),
        finished=finished,
        duration_s=round(duration, 3),
        outcome=_outcome(closing, steps),
        exit_code=closing.get("exit_code") if closing is not None else None,
        failed_step=(closing.get("failed_step") if closing is not None else "") or "",
        committed=committed,
        steps=[
            StepRecord(
                step=line.get("step") or "",
                outcome=line.get("outcome"),
                phase=line.get("phase"),
                duration_s=float(line.get("duration_s") or 0.0),
                time=line.time,
            )
            for line in steps
        ],
    )


def _older_groups(lines: list[LogLine]) -> dict[str, list[LogLine]]:
    """Lines without a run id: consecutive lines of one file, procedure and version."""
    groups: dict[str, list[LogLine]] = {}
    current: list[LogLine] = []
    for line in lines:
        if current:
            last = current[-1]
            same = (last.source, last.get("procedure"), last.get("version")) == (
                line.source,
                line.get("procedure"),
                line.get("version"),
            )
            repeated = line.get("step") in {
                x.get("step") for x in current if x.get("phase") == "procedure"
            }
            if (
                not same
                or line.time - last.time > GAP
                or (repeated and line.get("phase") == "procedure")
            ):
                current = []
        if not current:
            groups[f"{line.source}:{line.line}"] = current
        current.append(line)
    return groups


def runs_from(lines: Iterable[LogLine]) -> list[Run]:
    """The runs the lines tell of, oldest first; each line counted once."""
    unique = list({line.identity: line for line in lines}.values())
    by_run: dict[str, list[LogLine]] = {}
    older: list[LogLine] = []
    for line in unique:
        if line.get("run"):
            by_run.setdefault(line.get("run"), []).append(line)
        else:
            older.append(line)
    by_run.update(_older_groups(older))
    runs = [_run(run_id, lines) for run_id, lines in by_run.items()]
    return sorted(runs, key=lambda r: (r.started, r.run))


def read_history(path: Path) -> History | None:
    """The history file, or None when there is none; a damaged one is unusable input."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise RunbookError(Problem(f"cannot read {path}: {exc.strerror or exc}")) from None
    try:
        return History.model_validate(json.loads(text))
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in error["loc"])
        first = f"{where}: {error['msg']}" if where else error["msg"]
    except ValueError as exc:
        first = str(exc)
    raise RunbookError(
        Problem(f"{path}: not a deployment history ({first})", hint="run `runbook history`")
    )


def write_history(history: History, path: Path) -> None:
    """Write atomically, so a reader never sees half a file."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(history.model_dump_json(indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
