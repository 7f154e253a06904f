"""The script comparison table, computed from the procedures and environments.

Nothing here is typed by hand: each row is derived from what the model already says, so the
table changes when the runbook does.

- *Version tag required*: a deploy needs one when its environment has ``require_tag`` (or the
  procedure ``version_required``); a rollback's version is optional (it defaults to the
  previous release) unless the procedure sets ``version_required``.
- *Confirmations*: the steps of the procedure that carry a ``confirm`` question.
- *Backup creation*: a step that must leave the backup file (``expect.file`` on
  ``$BACKUP_FILE``, the documented runtime variable).
- *Security scan*: a step whose id or title names a security scan (the model has no kind for
  it; this is the one name-based row).
- *Health check*: a step that requests ``$HEALTH_URL``.
- *Auto rollback*: a deploy with a point of no return and rollback steps; N/A for rollbacks.
- *Database restore*: a step that reads ``$BACKUP_FILE`` without producing it, asked for with a
  confirmation; optional because the operator may choose no backup.
- *Endpoint testing*: how many endpoints ``check_endpoints`` requests, when a step calls it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from runbook.model import Procedure, ProcedureKind, Runbook, Step

NA = "N/A"
ROWS = (
    "Version tag required",
    "Confirmations",
    "Backup creation",
    "Security scan",
    "Health check",
    "Auto rollback",
    "Database restore",
    "Endpoint testing",
)


def uses_variable(step: Step, name: str) -> bool:
    """Whether the step's command reads a runtime variable (``$NAME`` or ``${NAME}``)."""
    return bool(step.command) and re.search(rf"\$\{{?{name}\b", step.command or "") is not None


def uses_helper(step: Step, name: str) -> bool:
    """Whether the step's command calls a helper function from the runtime."""
    return (
        bool(step.command) and re.search(rf"(^|[\s;&|(]){name}\b", step.command or "") is not None
    )


def makes_backup(step: Step) -> bool:
    """A step that must leave the backup file behind."""
    return step.writes_backup


def restores_backup(step: Step) -> bool:
    """A step that reads a chosen backup and asks before it does."""
    return (
        uses_variable(step, "BACKUP_FILE") and not makes_backup(step) and step.confirm is not None
    )


def is_security_scan(step_id: str, step: Step) -> bool:
    """A step named as a security scan (by id or title)."""
    return "security" in step_id or "security scan" in step.title.lower()


@dataclass(frozen=True)
class Column:
    """What one procedure's script does, as figures."""

    procedure_id: str
    title: str
    version_tag: str
    confirmations: int
    backup: bool
    security_scan: bool
    health_check: bool
    auto_rollback: str
    database_restore: str
    endpoints: int

    def cells(self) -> list[str]:
        """The column's values in the order of ``ROWS``."""
        mark = {True: "Yes", False: "No"}
        return [
            self.version_tag,
            str(self.confirmations),
            mark[self.backup],
            mark[self.security_scan],
            mark[self.health_check],
            self.auto_rollback,
            self.database_restore,
            str(self.endpoints) if self.endpoints else "No",
        ]


def endpoint_count(runbook: Runbook, procedure: Procedure) -> int:
    """How many endpoints the procedure tests: its own list, else its environment's."""
    steps = [runbook.steps[s] for s in procedure.step_ids]
    if not any(uses_helper(step, "check_endpoints") for step in steps):
        return 0
    endpoints = procedure.endpoints
    if endpoints is None:
        endpoints = runbook.environments[procedure.environment].endpoints
    return len(endpoints)


def column(runbook: Runbook, procedure_id: str) -> Column:
    """Compute one procedure's column."""
    proc = runbook.procedures[procedure_id]
    env = runbook.environments[proc.environment]
    steps = [(sid, runbook.steps[sid]) for sid in proc.step_ids]
    deploy = proc.kind is ProcedureKind.deploy
    if deploy:
        tag = "Yes" if env.require_tag or proc.version_required else "No"
        auto = "Yes" if proc.point_of_no_return and proc.rollback_steps else "No"
    else:
        tag = "Yes" if proc.version_required else "Optional"
        auto = NA
    restore = any(restores_backup(step) for _, step in steps)
    return Column(
        procedure_id=procedure_id,
        title=proc.title,
        version_tag=tag,
        confirmations=sum(1 for _, step in steps if step.confirm),
        backup=any(makes_backup(step) for _, step in steps),
        security_scan=any(is_security_scan(sid, step) for sid, step in steps),
        health_check=any(uses_variable(step, "HEALTH_URL") for _, step in steps),
        auto_rollback=auto,
        database_restore=("Yes" if deploy else "Optional") if restore else "No",
        endpoints=endpoint_count(runbook, proc),
    )


def comparison(runbook: Runbook) -> list[Column]:
    """One column per procedure, in file order."""
    return [column(runbook, pid) for pid in runbook.procedures]
