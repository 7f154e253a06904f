"""The runbook model: typed, validated, read-only objects every renderer reads.

Data flows one way: YAML -> `runbook.loader` -> these objects -> site, scripts, scenarios.
"""

from runbook.model.base import Id, Ignore, RunsOn
from runbook.model.environment import Endpoint, Environment
from runbook.model.fleet import EarlierBatches, Rolling
from runbook.model.operations import (
    Channel,
    ChannelHours,
    ChannelKind,
    Command,
    Contact,
    Emergency,
    EscalationLevel,
    Severity,
)
from runbook.model.procedures import Procedure, ProcedureKind, Stage
from runbook.model.reference import (
    MEASURE_UNITS,
    AlertRouting,
    BackupPolicy,
    Checklist,
    ChecklistCategory,
    ChecklistItem,
    CommandGroup,
    DeploymentLog,
    Direction,
    Measure,
    Metric,
    Monitoring,
    PerformanceTarget,
)
from runbook.model.runbook import Runbook, Service
from runbook.model.runtime import FLEET_VARIABLES, HELPER_FUNCTIONS, RUNTIME_VARIABLES
from runbook.model.steps import Expect, FileExpectation, OnFailure, Step
from runbook.model.target import DataHooks, Release, Releases, Target, TargetImage

__all__ = [
    "FLEET_VARIABLES",
    "HELPER_FUNCTIONS",
    "MEASURE_UNITS",
    "RUNTIME_VARIABLES",
    "AlertRouting",
    "BackupPolicy",
    "Channel",
    "ChannelHours",
    "ChannelKind",
    "Checklist",
    "ChecklistCategory",
    "ChecklistItem",
    "Command",
    "CommandGroup",
    "Contact",
    "DataHooks",
    "DeploymentLog",
    "Direction",
    "EarlierBatches",
    "Emergency",
    "Endpoint",
    "Environment",
    "EscalationLevel",
    "Expect",
    "FileExpectation",
    "Id",
    "Ignore",
    "Measure",
    "Metric",
    "Monitoring",
    "OnFailure",
    "PerformanceTarget",
    "Procedure",
    "ProcedureKind",
    "Release",
    "Releases",
    "Rolling",
    "Runbook",
    "RunsOn",
    "Service",
    "Severity",
    "Stage",
    "Step",
    "Target",
    "TargetImage",
]
