"""Reference material: checklists, metrics, backups, targets, log template, useful commands."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, StrictFloat, StrictInt, StringConstraints, model_validator

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


#: A Prometheus duration as alerting rules write it: `30s`, `5m`, `1h30m`.
Duration = Annotated[
    str,
    StringConstraints(
        pattern=r"^(?:[0-9]{1,4}h)?(?:[0-9]{1,4}m)?(?:[0-9]{1,5}s)?$", min_length=2, max_length=16
    ),
    Field(description="A duration: hours, minutes and seconds, e.g. `30s`, `5m`, `1h30m`."),
]


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
    query: str | None = Field(
        None,
        min_length=1,
        max_length=4096,
        description="PromQL whose value is compared with the thresholds. With it, `runbook "
        "build` writes a warning and a critical Prometheus alerting rule for this metric.",
    )
    for_: Duration = Field(
        "5m",
        alias="for",
        description="How long the value must stay past a threshold before its alert fires "
        "(the rule's `for`); until then the alert is pending.",
    )
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


class AlertRouting(Strict):
    """What the generated Alertmanager configuration needs beyond the escalation path.

    Credentials never appear here: each receiver names a file in ``secrets_dir`` that the
    deployer provides on the Alertmanager host.
    """

    secrets_dir: str = Field(
        "/etc/alertmanager/secrets",
        pattern=r"^/[A-Za-z0-9._/-]*$",
        max_length=4096,
        description="Directory on the Alertmanager host holding the receivers' credentials, "
        "one file each (`slack-api-url`, `smtp-password`, `pagerduty-<contact>`), provided "
        "by the deployer; the generated configuration names the files, never their content.",
    )
    smtp_smarthost: str = Field(
        "",
        pattern=r"^$|^[A-Za-z0-9.-]+:[0-9]{1,5}$",
        description="`host:port` of the mail relay; without it, email channels get no receiver.",
    )
    smtp_from: str = Field(
        "", max_length=320, description="Sender address of alert emails, e.g. `alerts@example.com`."
    )
    smtp_username: str = Field("", max_length=320, description="User name for the mail relay.")
    group_by: list[Text] = Field(
        default_factory=lambda: ["alertname", "service"],
        description="Labels that group alerts into one notification.",
    )
    group_interval: Duration = Field(
        "5m", description="How long to wait before notifying about new alerts of a group."
    )


class Monitoring(Strict):
    """Monitoring and alerts."""

    watch_minutes: StrictInt = Field(
        60, ge=0, le=BASH_INT_MAX, description="How long to watch dashboards after a deploy."
    )
    site_url: str = Field(
        "http://127.0.0.1:8000/",
        pattern=r"^https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~/-]*)?$",
        description="Base URL of the published runbook site: each alert's `runbook_url` is "
        "this plus its emergency page and anchor. The default is where `runbook serve` serves.",
    )
    metrics: dict[Id, Metric] = Field(min_length=1, description="Metrics by id.")
    alertmanager: AlertRouting = Field(
        default_factory=AlertRouting,
        description="Settings of the Alertmanager configuration made from the escalation path.",
    )


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


class Measure(StrEnum):
    """What the deployment history measures for a target (the last four are DORA's)."""

    duration = "duration"
    success_rate = "success-rate"
    deployment_frequency = "deployment-frequency"
    lead_time = "lead-time"
    change_failure_rate = "change-failure-rate"
    time_to_restore = "time-to-restore"


_TIME_UNITS = {"s": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0}
#: The units each measure may be written in, with their size in the measure's base unit
#: (seconds, percent, deployments per day), so history figures convert to the target's unit.
MEASURE_UNITS: dict[Measure, dict[str, float]] = {
    Measure.duration: _TIME_UNITS,
    Measure.lead_time: _TIME_UNITS,
    Measure.time_to_restore: _TIME_UNITS,
    Measure.success_rate: {"%": 1.0},
    Measure.change_failure_rate: {"%": 1.0},
    Measure.deployment_frequency: {"per day": 1.0, "per week": 1 / 7},
}


class PerformanceTarget(Strict):
    """A figure the deployment process must meet."""

    title: Label = Field(description="What is measured, e.g. `Production deployment time`.")
    comparison: Comparison = Field(description="How the measured figure meets the target.")
    value: StrictFloat = Field(
        allow_inf_nan=False, description="The target figure, e.g. `10` for `< 10 min`."
    )
    unit: ShortText = Field("", description="`min`, `s`, `%` ...")
    procedure: Id | None = Field(None, description="Procedure the target measures, if one.")
    measure: Measure | None = Field(
        None,
        description="What `runbook history` compares with this target: `duration` (of the "
        "procedure's runs; the default when a procedure is named), `success-rate`, or a DORA "
        "measure: `deployment-frequency`, `lead-time`, `change-failure-rate`, "
        "`time-to-restore`. None: the history does not measure it.",
    )

    @model_validator(mode="after")
    def _measurable(self) -> PerformanceTarget:
        measured = self.measured
        if measured is None:
            return self
        if measured is Measure.duration and self.procedure is None:
            raise ValueError("a duration target names the procedure whose runs it measures")
        units = MEASURE_UNITS[measured]
        if self.unit not in units:
            quoted = [f"'{u}'" for u in units]
            known = quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"
            raise ValueError(f"unit '{self.unit}' does not fit {measured.value}: use {known}")
        return self

    @property
    def measured(self) -> Measure | None:
        """What the history measures for this target: its ``measure``, else a duration."""
        if self.measure is not None:
            return self.measure
        return Measure.duration if self.procedure is not None else None

    @property
    def scale(self) -> float:
        """The size of this target's unit in its measure's base unit (1 for no measure)."""
        measured = self.measured
        return MEASURE_UNITS[measured].get(self.unit, 1.0) if measured else 1.0

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
    "MEASURE_UNITS",
    "AlertRouting",
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
    "Measure",
    "Metric",
    "Monitoring",
    "PerformanceTarget",
]
