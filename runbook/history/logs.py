"""Reading the scripts' JSON-lines logs, line by line, keeping what is good.

A log is written by a script that may be killed mid-line, copied over SSH, or edited by a
person, so a bad line is normal: it is reported with its file and line and skipped, and the
rest of the file still counts. Nothing here raises on the content of a log.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

#: Keys every line must have, with their JSON type.
REQUIRED: dict[str, type] = {
    "time": str,
    "procedure": str,
    "environment": str,
    "outcome": str,
    "phase": str,
}
#: Keys a line may have, with their JSON type (a number may be an int or a float).
OPTIONAL: dict[str, type | tuple[type, ...]] = {
    "version": str,
    "previous": str,
    "step": str,
    "exit_code": int,
    "duration_s": (int, float),
    "run": str,
    "user": str,
    "failed_step": str,
    "committed": str,
}
MAX_LINE = 64 * 1024


@dataclass(frozen=True)
class BadLine:
    """A line that was skipped, and why."""

    source: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.reason}; skipped"


@dataclass(frozen=True)
class LogLine:
    """A good line: its fields, its time, and where it was read."""

    fields: dict[str, Any]
    time: datetime
    source: str
    line: int

    def get(self, key: str, default: Any = None) -> Any:
        return self.fields.get(key, default)

    @property
    def identity(self) -> tuple[Any, ...]:
        """What makes two copies of a line the same line (local log and target's log)."""
        keys = ("run", "time", "procedure", "environment", "phase", "step", "outcome")
        return tuple(self.fields.get(k) for k in keys)


def parse_time(text: str) -> datetime | None:
    """An ISO 8601 time as the scripts write it (UTC, `Z`), or with an offset; else None."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _problem(fields: Any) -> str | None:
    """Why a decoded line cannot be used, or None."""
    if not isinstance(fields, dict):
        return "not a JSON object"
    for key, kind in REQUIRED.items():
        if key not in fields:
            return f"no '{key}'"
        if not isinstance(fields[key], kind):
            return f"'{key}' is not {kind.__name__}"
    for key, kinds in OPTIONAL.items():
        value = fields.get(key)
        if value is not None and (not isinstance(value, kinds) or isinstance(value, bool)):
            return f"'{key}' has the wrong type"
    if parse_time(fields["time"]) is None:
        return f"'time' is not an ISO 8601 time: {fields['time'][:40]!r}"
    return None


def read_lines(text: str, source: str) -> Iterator[LogLine | BadLine]:
    """Every line of one log: a ``LogLine`` when usable, else a ``BadLine`` saying why."""
    lines = text.split("\n")
    ends_cleanly = text.endswith("\n") or not text
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        last = number == len(lines)
        if len(raw) > MAX_LINE:
            yield BadLine(source, number, f"line longer than {MAX_LINE} characters")
            continue
        try:
            fields = json.loads(raw)
        except ValueError:
            cut = last and not ends_cleanly
            yield BadLine(source, number, "truncated line" if cut else "not valid JSON")
            continue
        problem = _problem(fields)
        if problem is not None:
            yield BadLine(source, number, problem)
            continue
        time = parse_time(fields["time"])
        assert time is not None
        yield LogLine(fields, time, source, number)
