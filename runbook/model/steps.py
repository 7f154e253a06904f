"""Steps: defined once in the step library and referenced by id from procedures.

A step is the unit the site documents, the scripts run and the scenarios verify; keeping
one definition is what stops the three from drifting apart.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, StrictBool, StrictInt, model_validator

from runbook.model.base import Id, Ignore, RunsOn, Strict, Text


class OnFailure(StrEnum):
    """What a failed step does to the procedure."""

    abort = "abort"
    rollback = "rollback"
    continue_ = "continue"


class FileExpectation(Strict):
    """A file the step must leave behind, at least this large (a backup that is not empty)."""

    path: str = Field(
        description="Path of the file; may use runtime variables such as `$BACKUP_FILE`."
    )
    min_bytes: StrictInt = Field(1, ge=0, description="Smallest acceptable size in bytes.")


class Expect(Strict):
    """What success looks like for a step; the script and the scenarios check the same things."""

    exit_code: StrictInt = Field(0, ge=0, le=255, description="Exit code the command must return.")
    output_contains: str | None = Field(
        None, description="Text the command's standard output must contain (may use `$VERSION`)."
    )
    file: FileExpectation | None = Field(None, description="A file the step must produce.")
    http_status: StrictInt | None = Field(
        None, ge=100, le=599, description="For HTTP checks: the status the command reports."
    )


class Step(Strict):
    """One action of a procedure: a command with its purpose, expectation and failure policy."""

    title: Text = Field(description="Short imperative title shown in the site and the script.")
    why: str = Field("", description="Why the step exists, for the reader at 3 a.m.")
    runs_on: RunsOn = Field(
        RunsOn.local, description="`local` (deploying machine) or `remote` (target)."
    )
    once_on: Id | None = Field(
        None,
        description="In a fleet: run once per deploy, on the first host of this group, "
        "instead of on every host of each batch (migrations, backups). A single host ignores it.",
    )
    command: str | None = Field(
        None,
        max_length=20_000,
        description="Bash run for the step. Runtime variables ($VERSION, $RELEASE_DIR, ...) are set.",
    )
    confirm: str | None = Field(
        None,
        max_length=500,
        description="A question the operator must answer `yes` to before the step runs.",
    )
    timeout: StrictInt = Field(
        300, ge=1, le=86_400, description="Seconds before the step is killed."
    )
    retries: StrictInt = Field(0, ge=0, le=20, description="Extra attempts after a failure.")
    retry_delay: StrictInt = Field(2, ge=0, le=600, description="Seconds between attempts.")
    expect: Expect = Field(default_factory=Expect, description="What success looks like.")
    on_failure: OnFailure = Field(
        OnFailure.abort,
        description="`abort` stops, `rollback` runs the rollback steps, `continue` warns and goes on.",
    )
    dangerous: StrictBool = Field(
        False, description="Changes production state in a way that is hard to undo."
    )
    expected_output: str | None = Field(
        None, description="Example of what the operator should see, for the site."
    )
    ignore: list[Ignore] = Field(default_factory=list, description="Lint rules switched off here.")

    @model_validator(mode="after")
    def _has_action(self) -> Step:
        if self.command is None and self.confirm is None:
            raise ValueError("a step needs a `command`, a `confirm` question, or both")
        if self.once_on is not None and self.runs_on is not RunsOn.remote:
            raise ValueError("`once_on` applies to a remote step (`runs_on: remote`)")
        return self

    @property
    def writes_backup(self) -> bool:
        """The step must leave the file `$BACKUP_FILE` behind: it makes this run's backup.

        The scripts give such a step the safety backup's path in a rollback, the site counts it
        as backup creation and the lint rules as a backup; this is the one definition.
        """
        file = self.expect.file
        return file is not None and file.path.strip() in ("$BACKUP_FILE", "${BACKUP_FILE}")

    @property
    def is_gate(self) -> bool:
        """A confirmation with no command: it only asks."""
        return self.command is None
