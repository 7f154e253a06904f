"""`runbook check --verify`: the container suite's record, as issues located in the runbook.

A failed scenario points at its procedure, a step that failed on its own at the step's
definition, so the annotation lands on the YAML that needs a look.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from runbook.lint.outputs import Issue

if TYPE_CHECKING:
    from runbook.loader import LoadedRunbook
    from runbook.verification import Verification


def _issue(loaded: LoadedRunbook, path: tuple[str, ...], message: str) -> Issue:
    loc = loaded.locate(*path, key=True)
    if loc is None:
        return Issue("verify", "verify", message, loaded.display, path=".".join(path))
    return Issue("verify", "verify", message, loc.file, loc.line, loc.column, ".".join(path))


def verification_issues(loaded: LoadedRunbook, record: Verification) -> list[Issue]:
    """One issue per failed scenario and per step that failed on its own."""
    issues = []
    for pid, result in record.procedures.items():
        for name, outcome in result.scenarios.items():
            if outcome == "failed":
                issues.append(_issue(loaded, ("procedures", pid), f"scenario failed: {name}"))
        for step_id, step in result.steps.items():
            if step.outcome == "failed":
                message = f"step failed against the staging target (in {pid})"
                issues.append(_issue(loaded, ("steps", step_id), message))
    if record.outcome == "failed" and not issues:
        message = "the container suite failed before any scenario ran (see its output)"
        issues.append(Issue("verify", "verify", message, loaded.display))
    return issues


@contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """Send what child processes print to stderr, so JSON or annotations on stdout stay clean."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
