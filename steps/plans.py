"""What the target and the checkout look like before a procedure's steps run on their own.

A deploy starts from v1.0.0 serving and ships v1.0.1 (which brings migration 002); a
rollback starts from v1.0.1 serving, with v1.0.0 still on the host and a backup made while
v1.0.0 served, and goes back to v1.0.0. The plan follows from the procedure's kind and its
environment, so a new procedure in the runbook gets a sensible plan without code here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from runbook.loader import LoadedRunbook
from runbook.model import ProcedureKind
from scripts_gen import runtime_variables

OLD, NEW = "v1.0.0", "v1.0.1"
CHOSEN_BACKUP = "chosen-before-v1.0.1.dump"


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


def plan_for(loaded: LoadedRunbook, procedure: str) -> Plan:
    rb = loaded.runbook
    proc = rb.procedures[procedure]
    branch = rb.environments[proc.environment].branch or "main"
    if proc.kind is ProcedureKind.deploy:
        return Plan(branch, (OLD,), NEW, OLD, None)
    return Plan(branch, (OLD, NEW), OLD, NEW, CHOSEN_BACKUP)
