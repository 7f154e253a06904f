"""Procedures: ordered stages of step references, with the point of no return.

The two levels mirror how people read and how machines run a runbook: a reader follows
a handful of stages, a script runs the finer steps inside them.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, StrictBool, StrictFloat, StrictInt, model_validator

from runbook.model.base import Id, Strict
from runbook.model.environment import Endpoint
from runbook.model.text import Label, Prose, Text


class ProcedureKind(StrEnum):
    """A deploy moves forward to a version; a rollback moves back to an earlier one."""

    deploy = "deploy"
    rollback = "rollback"


class Stage(Strict):
    """A stage as the reader sees it, made of steps from the step library."""

    title: Label = Field(description="Stage title, e.g. `Pre-deployment validation`.")
    why: Prose = Field("", description="What the stage achieves.")
    steps: list[Id] = Field(min_length=1, description="Ids of steps from `steps`, in order.")


class Procedure(Strict):
    """A deploy or rollback procedure: the page the reader follows and the script that runs it."""

    title: Label = Field(description="Title, e.g. `Production deployment`.")
    description: Prose = Field("", description="When to use this procedure.")
    kind: ProcedureKind = Field(description="`deploy` or `rollback`.")
    environment: Id = Field(description="Id of the environment this procedure acts on.")
    script: str | None = Field(
        None,
        pattern=r"^[a-z0-9][a-z0-9-]*\.sh$",
        description="File name of the generated script in `scripts/`; none means no script.",
    )
    playbook: str | None = Field(
        None,
        pattern=r"^[a-z0-9][a-z0-9-]*\.yml$",
        description="For a fleet environment: file name of the generated Ansible playbook in "
        "`playbooks/` (a fleet has playbooks, a single host has scripts).",
    )
    stages: list[Stage] = Field(min_length=1, description="Stages in order.")
    point_of_no_return: Id | None = Field(
        None,
        description="Step after which any failure triggers the automatic rollback steps.",
    )
    rollback_steps: list[Id] = Field(
        default_factory=list,
        description="Steps run, in order, when a step after the point of no return fails.",
    )
    version_required: StrictBool = Field(
        False, description="Whether the version argument is mandatory (else it has a default)."
    )
    recent_backups: StrictInt = Field(
        5, ge=1, le=50, description="For rollbacks: how many recent backups are offered."
    )
    endpoints: list[Endpoint] | None = Field(
        None, description="Endpoints tested by `check_endpoints`; none means the environment's."
    )
    post_tasks: list[Text] = Field(
        default_factory=list, description="Reminders printed when the procedure succeeds."
    )
    checklist_before: Id | None = Field(None, description="Checklist to complete before starting.")
    checklist_after: Id | None = Field(None, description="Checklist to complete after finishing.")
    target_minutes: StrictFloat | None = Field(
        None,
        gt=0,
        le=10_000,
        allow_inf_nan=False,
        description="How long the procedure should take at most, in minutes.",
    )

    @model_validator(mode="after")
    def _steps_unique(self) -> Procedure:
        seen: set[str] = set()
        for step_id in self.step_ids:
            if step_id in seen:
                raise ValueError(f"step '{step_id}' appears twice; a procedure runs each step once")
            seen.add(step_id)
        return self

    @property
    def step_ids(self) -> list[str]:
        """All step ids of the procedure, in the order they run."""
        return [step_id for stage in self.stages for step_id in stage.steps]
