"""What the target and the checkout look like before a procedure's steps run on their own.

A deploy starts from the baseline release serving and ships the newest; a rollback starts
from the newest serving, with the baseline still on the host and a backup made while the
baseline served, and goes back to the baseline. The plan follows from the procedure's kind,
its environment and the runbook's releases, so a new procedure needs no code here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from runbook.loader import LoadedRunbook
from runbook.model import ProcedureKind
from scripts_gen import runtime_variables

CHOSEN_BACKUP = "runbook-chosen-backup"


@dataclass(frozen=True)
class Plan:
    """Baseline releases on the target, the branch to stand on, the run's versions."""

    branch: str
    baseline: tuple[str, ...]
    version: str
    previous: str
    backup_name: str | None  # a backup made after the first baseline release

    def variables(self, loaded: LoadedRunbook, procedure: str) -> dict[str, str]:
        """The run's runtime variables, computed by the script generator's own function."""
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        values = runtime_variables(loaded, procedure, self.version, self.previous, stamp)
        if self.backup_name is None:
            return values
        chosen = f"{values['BACKUP_DIR']}/{self.backup_name}"
        return runtime_variables(loaded, procedure, self.version, self.previous, stamp, chosen)


def backup_name(loaded: LoadedRunbook) -> str:
    """A backup file name as the runbook names its backups (its suffix), for a chosen restore."""
    return CHOSEN_BACKUP + loaded.runbook.backups.suffix


def plan_for(loaded: LoadedRunbook, procedure: str) -> Plan:
    rb = loaded.runbook
    assert rb.target is not None
    old, new = rb.target.releases.baseline, rb.target.releases.newest
    proc = rb.procedures[procedure]
    branch = rb.environments[proc.environment].branch or "main"
    if proc.kind is ProcedureKind.deploy:
        return Plan(branch, (old,), new, old, None)
    return Plan(branch, (old, new), old, new, backup_name(loaded))


def next_version(tag: str) -> str:
    """A version after ``tag`` that no release has: its last number plus 1000."""
    numbers = list(re.finditer(r"[0-9]+", tag))
    if not numbers:
        return tag + "-next"
    last = numbers[-1]
    return tag[: last.start()] + str(int(last.group()) + 1000) + tag[last.end() :]
