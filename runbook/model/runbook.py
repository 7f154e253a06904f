"""The root of the model: a whole runbook, validated once and read by every renderer."""

from __future__ import annotations

from functools import cached_property

from pydantic import Field

from runbook.model.base import Id, Ignore, Strict
from runbook.model.environment import Environment
from runbook.model.operations import Contact, Emergency, EscalationLevel, Severity
from runbook.model.procedures import Procedure
from runbook.model.reference import (
    BackupPolicy,
    Checklist,
    CommandGroup,
    DeploymentLog,
    Monitoring,
    PerformanceTarget,
)
from runbook.model.runtime import DEFAULT_ARTIFACT
from runbook.model.steps import Step
from runbook.model.target import Target
from runbook.model.text import Label, Prose, RelativePath, ShortText

#: An artifact path: plain path characters and references to the two variables known when
#: the scripts derive it (``PREVIOUS_VERSION`` is not: it is read from the target later). The
#: scripts write it inside double quotes, where nothing else may expand; no leading `-`.
_ARTIFACT_VARIABLE = r"\$\{(?:VERSION|ENVIRONMENT)\}"
ARTIFACT_PATTERN = rf"^(?:[A-Za-z0-9._/@+=:,~]|{_ARTIFACT_VARIABLE})(?:[A-Za-z0-9._/@+=:,~-]|{_ARTIFACT_VARIABLE})*$"


class Service(Strict):
    """The service the runbook deploys."""

    name: Label = Field(description="Service name, used in titles.")
    description: Prose = Field("", description="What the service does.")
    repository: ShortText = Field("", description="Where its code lives.")
    stack: list[Label] = Field(default_factory=list, description="Runtime pieces, e.g. `nginx`.")
    team: ShortText = Field("", description="Owning team.")
    artifact: str = Field(
        DEFAULT_ARTIFACT,
        max_length=255,
        pattern=ARTIFACT_PATTERN,
        description="Where the build step leaves the release artifact (`$ARTIFACT`), from the top "
        "of the service's repository: a path of letters, digits and `._/@+=:,~-`, with "
        "`${VERSION}` or `${ENVIRONMENT}` for the parts that vary, e.g. "
        "`dist/shop-${VERSION}.zip`. The scripts and the scenarios compute it the same way.",
    )


class Lint(Strict):
    """Lint settings for the whole file."""

    ignore: list[Ignore] = Field(default_factory=list, description="Rules switched off everywhere.")


class Runbook(Strict):
    """A deployment runbook: the single source of truth for the site, scripts and scenarios."""

    include: list[RelativePath] = Field(
        default_factory=list,
        description="Other YAML files (relative paths) whose sections are merged into this one.",
    )
    service: Service = Field(description="The service the runbook deploys.")
    environments: dict[Id, Environment] = Field(
        min_length=1, description="Where the service is deployed (staging, production), by id."
    )
    checklists: dict[Id, Checklist] = Field(
        default_factory=dict, description="Checklists rendered as task lists, by id."
    )
    steps: dict[Id, Step] = Field(min_length=1, description="The step library, by id.")
    procedures: dict[Id, Procedure] = Field(
        min_length=1, description="Deploy and rollback procedures: stages of library steps, by id."
    )
    severities: list[Severity] = Field(
        default_factory=list, description="The rollback decision matrix, P0 to P3."
    )
    emergencies: dict[Id, Emergency] = Field(
        default_factory=dict, description="Emergency procedures, by id."
    )
    escalation: list[EscalationLevel] = Field(
        default_factory=list, description="The on-call escalation path, level 1 first."
    )
    contacts: dict[Id, Contact] = Field(
        default_factory=dict, description="People and rotas to call, by id."
    )
    monitoring: Monitoring | None = Field(None, description="Monitored metrics and thresholds.")
    backups: BackupPolicy = Field(
        default_factory=BackupPolicy, description="How backups are made, kept and verified."
    )
    performance: list[PerformanceTarget] = Field(
        default_factory=list, description="Figures the deployment process must meet."
    )
    deployment_log: DeploymentLog | None = Field(
        None, description="The template of the record filled in after every deployment."
    )
    commands: dict[Id, CommandGroup] = Field(
        default_factory=dict, description="Useful commands, grouped by tool."
    )
    lint: Lint = Field(default_factory=Lint, description="Lint settings for the whole file.")
    target: Target | None = Field(
        None,
        description="The staging target on which `runbook verify` proves the runbook: the "
        "team's own image, processes, hooks and the releases the scenarios deploy.",
    )

    def procedure_steps(self, procedure_id: str) -> list[tuple[str, Step]]:
        """The steps of a procedure, in order, resolved from the library."""
        procedure = self.procedures[procedure_id]
        return [(step_id, self.steps[step_id]) for step_id in procedure.step_ids]

    def procedures_using(self, step_id: str) -> list[str]:
        """Ids of the procedures that run a step, for the back links on the site."""
        return list(self.step_users.get(step_id, {}))

    @cached_property
    def step_users(self) -> dict[str, dict[str, bool]]:
        """Step id -> {procedure id: whether it is one of the procedure's own steps (else a
        rollback step)}, in procedure order. Computed once: the step library page asks for
        every step, and asking each procedure each time made 12,000 steps take minutes."""
        users: dict[str, dict[str, bool]] = {}
        for pid, proc in self.procedures.items():
            for step_id in proc.rollback_steps:
                users.setdefault(step_id, {})[pid] = False
            for step_id in proc.step_ids:
                users.setdefault(step_id, {})[pid] = True
        order = {pid: i for i, pid in enumerate(self.procedures)}
        return {
            sid: dict(sorted(found.items(), key=lambda item: order[item[0]]))
            for sid, found in users.items()
        }

    def chooses_backup(self, procedure_id: str) -> bool:
        """A rollback with a step that reads a chosen `$BACKUP_FILE` (a restore).

        Its script asks which backup to restore (or takes `--backup` / `--no-db-restore`),
        and the scenarios prove a restore from a chosen backup.
        """
        from runbook.model.procedures import ProcedureKind

        if self.procedures[procedure_id].kind is not ProcedureKind.rollback:
            return False
        return any(
            not step.writes_backup and "BACKUP_FILE" in (step.command or "")
            for _, step in self.procedure_steps(procedure_id)
        )

    def checklists_in(self, category: str) -> dict[str, Checklist]:
        """The checklists of one category, in file order."""
        return {cid: c for cid, c in self.checklists.items() if c.category.value == category}
