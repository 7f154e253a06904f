"""Reference material: checklists, metrics, backups, targets, log template, useful commands."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field, StrictFloat, StrictInt, model_validator

from runbook.model.base import Id, RunsOn, Strict
from runbook.model.operations import Command
from runbook.model.runtime import BACKUP_NAMES, DEFAULT_BACKUP_SUFFIX
from runbook.model.text import BASH_INT_MAX, Code, Label, Prose, ShortText, Text

#: A backup suffix: plain file-name characters, so it is safe in a `find -name` pattern.
SUFFIX_PATTERN = r"^[A-Za-z0-9._-]{1,32}$"


class ChecklistCategory(StrEnum):
    """Where a checklist belongs in the runbook."""

    pre_deployment = "pre-deployment"
    post_deployment = "post-deployment"
    security = "security"
    maintenance = "maintenance"
    completion = "completion"


class ChecklistItem(Strict):
    """One box to tick; a `check` command lets a machine tick it."""

    text: Text = Field(description="What must be true.")
    check: Code | None = Field(None, description="Command whose success proves the item.")
    runs_on: RunsOn = Field(RunsOn.local, description="Where the check command runs.")


class Checklist(Strict):
    """A checklist rendered as a task list."""

    title: Label = Field(description="Heading of the checklist.")
    category: ChecklistCategory = Field(description="Where it belongs in the runbook.")
    environment: Id | None = Field(None, description="Environment it applies to, if only one.")
    cadence: ShortText | None = Field(
        None, description="For maintenance: `monthly`, `quarterly`, ..."
    )
    items: list[ChecklistItem] = Field(description="The items, in order.")


class Direction(StrEnum):
    """Which way a metric goes wrong."""

    above = "above"
    below = "below"


class Metric(Strict):
    """A monitored metric with the thresholds that raise a warning and a critical alert."""

    title: Label = Field(description="What is measured, e.g. `Error rate`.")
    category: Label = Field(description="Group, e.g. `application`, `database`, `external APIs`.")
    unit: ShortText = Field("", description="Unit of the value, e.g. `ms`, `%`.")
    direction: Direction = Field(
        description="`above`: alert when the value rises past a threshold."
    )
    warning: StrictFloat = Field(allow_inf_nan=False, description="Threshold of the warning alert.")
    critical: StrictFloat = Field(
        allow_inf_nan=False, description="Threshold of the critical alert."
    )
    source: Prose = Field("", description="Where the value comes from (query, dashboard, command).")
    emergency: Id | None = Field(
        None,
        description="Id of the emergency procedure the alert leads to: the alert's "
        "`runbook_url` points at it, and its severity labels the critical alert (the warning "
        "alert is one level lower).",
    )

    @model_validator(mode="after")
    def _coherent(self) -> Metric:
        if self.direction is Direction.above and self.critical <= self.warning:
            raise ValueError(
                f"critical ({self.critical:g}) must be above warning ({self.warning:g}) "
                "when direction is 'above'"
            )
        if self.direction is Direction.below and self.critical >= self.warning:
            raise ValueError(
                f"critical ({self.critical:g}) must be below warning ({self.warning:g}) "
                "when direction is 'below'"
            )
        return self


class Monitoring(Strict):
    """Monitoring and alerts."""

    watch_minutes: StrictInt = Field(
        60, ge=0, le=BASH_INT_MAX, description="How long to watch dashboards after a deploy."
    )
    metrics: dict[Id, Metric] = Field(min_length=1, description="Metrics by id.")


class BackupPolicy(Strict):
    """How backups are made, verified and kept."""

    retention_days: StrictInt = Field(14, ge=1, le=3650, description="Days a backup is kept.")
    min_bytes: StrictInt = Field(
        1024, ge=1, le=BASH_INT_MAX, description="A backup smaller than this is a failed backup."
    )
    suffix: str = Field(
        DEFAULT_BACKUP_SUFFIX,
        pattern=SUFFIX_PATTERN,
        description="How every backup file's name ends (`$BACKUP_SUFFIX`), e.g. `.dump` or "
        "`.sql.gz`: letters, digits, `.`, `_` and `-`. " + BACKUP_NAMES,
    )
    includes: list[Text] = Field(default_factory=list, description="What a backup contains.")
    verification: list[Text] = Field(default_factory=list, description="How a backup is verified.")


class Comparison(StrEnum):
    """How a measured figure is compared with its target."""

    lt = "<"
    le = "<="
    gt = ">"
    ge = ">="
    eq = "="


class PerformanceTarget(Strict):
    """A figure the deployment process must meet."""

    title: Label = Field(description="What is measured, e.g. `Production deployment time`.")
    comparison: Comparison = Field(description="How the measured figure meets the target.")
    value: StrictFloat = Field(
        allow_inf_nan=False, description="The target figure, e.g. `10` for `< 10 min`."
    )
    unit: ShortText = Field("", description="`min`, `s`, `%` ...")
    procedure: Id | None = Field(None, description="Procedure the target measures, if one.")

    @property
    def display(self) -> str:
        """The target as a reader writes it, e.g. `< 5 min`."""
        unit = f" {self.unit}" if self.unit and self.unit != "%" else self.unit
        return f"{self.comparison.value} {self.value:g}{unit}"


class LogField(Strict):
    """A field of the deployment log."""

    name: Label = Field(description="Label of the field, e.g. `Version`.")
    hint: ShortText = Field("", description="What to write, e.g. `v1.0.1`.")


class LogSection(Strict):
    """A section of the deployment log template."""

    title: Label = Field(description="Heading of the section, e.g. `Deployment`.")
    fields: list[LogField] = Field(min_length=1, description="The fields to fill in, in order.")


class DeploymentLog(Strict):
    """The structured record filled in after every deployment."""

    sections: list[LogSection] = Field(min_length=1, description="The sections, in order.")


class CommandGroup(Strict):
    """Useful commands for one tool (process manager, database, web server)."""

    title: Label = Field(description="The tool, e.g. `Process manager`.")
    runs_on: RunsOn = Field(
        RunsOn.remote, description="Where its commands run, unless one says otherwise."
    )
    commands: list[Command] = Field(min_length=1, description="The commands, in order.")

    @model_validator(mode="before")
    @classmethod
    def _inherit_runs_on(cls, data: Any) -> Any:
        """A command without its own `runs_on` runs where its group says."""
        if not isinstance(data, dict) or data.get("runs_on") not in set(RunsOn):
            return data
        commands = data.get("commands")
        if not isinstance(commands, list):
            return data
        inherit = {"runs_on": data["runs_on"]}
        return {
            **data,
            "commands": [{**inherit, **c} if isinstance(c, dict) else c for c in commands],
        }


__all__ = [
    "BackupPolicy",
    "Checklist",
    "ChecklistCategory",
    "ChecklistItem",
    "CommandGroup",
    "Comparison",
    "DeploymentLog",
    "Direction",
    "LogField",
    "LogSection",
    "Metric",
    "Monitoring",
    "PerformanceTarget",
]
