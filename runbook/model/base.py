"""Shared building blocks of the runbook model.

Every model forbids unknown keys so that a misspelt key is an error with a suggestion,
never a silently ignored setting.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from runbook.model.text import Label, Text

ID_PATTERN = r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$"

Id = Annotated[
    str,
    StringConstraints(pattern=ID_PATTERN, max_length=64),
    Field(
        description="Identifier: lower-case letters, digits and single dashes, e.g. `health-check`."
    ),
]
SeverityLevel = Annotated[
    str,
    StringConstraints(pattern=r"^P[0-3]$"),
    Field(description="Severity level, `P0` (critical) to `P3` (low)."),
]


__all__ = ["ID_PATTERN", "Id", "Ignore", "Label", "RunsOn", "SeverityLevel", "Strict", "Text"]


class Strict(BaseModel):
    """Base of every runbook model: unknown keys are errors, values are not coerced silently."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class RunsOn(StrEnum):
    """Where a command runs: on the deploying machine or on the target over SSH."""

    local = "local"
    remote = "remote"


class Ignore(Strict):
    """Switches one lint rule off, with the reason kept next to it for the reviewer."""

    rule: Label = Field(description="Id of the lint rule to switch off, e.g. `RB003`.")
    reason: Text = Field(description="Why the rule does not apply here.")
