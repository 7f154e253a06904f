"""The record of the last `runbook verify`: per procedure and step, passed or failed.

`runbook verify` writes it; the site reads it to show on each procedure page when it was
last verified and how it went. It is plain JSON so CI systems can read it too.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

Outcome = Literal["passed", "failed", "skipped"]
DEFAULT_PATH = Path("verification.json")


class StepResult(BaseModel):
    """How one step fared when run on its own against the target."""

    model_config = ConfigDict(extra="forbid")
    outcome: Outcome
    duration_s: float


class ProcedureResult(BaseModel):
    """How one procedure (its script end to end, and its steps alone) fared."""

    model_config = ConfigDict(extra="forbid")
    outcome: Outcome
    date: datetime
    duration_s: float
    steps: dict[str, StepResult] = {}
    scenarios: dict[str, Outcome] = {}


class Verification(BaseModel):
    """The whole record of one verify run."""

    model_config = ConfigDict(extra="forbid")
    runbook_digest: str
    started: datetime
    finished: datetime
    outcome: Outcome
    procedures: dict[str, ProcedureResult] = {}


def read(path: Path = DEFAULT_PATH) -> Verification | None:
    """The last verification, or None when there is none or it cannot be read."""
    try:
        return Verification.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, ValidationError):
        return None


def write(result: Verification, path: Path = DEFAULT_PATH) -> None:
    """Write atomically, so a reader never sees half a file."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(result.model_dump_json(indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
