"""Steps: defined once in the step library and referenced by id from procedures.

A step is the unit the site documents, the scripts run and the scenarios verify; keeping
one definition is what stops the three from drifting apart.
"""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import Field, StrictBool, StrictInt, model_validator

from runbook.model.base import Id, Ignore, RunsOn, Strict
from runbook.model.runtime import COMMAND_CONTRACT
from runbook.model.text import BASH_INT_MAX, Code, Label, OptionalCode, Prose


class OnFailure(StrEnum):
    """What a failed step does to the procedure."""

    abort = "abort"
    rollback = "rollback"
    continue_ = "continue"


class FileExpectation(Strict):
    """A file the step must leave behind, at least this large (a backup that is not empty)."""

    path: Code = Field(
        description="Path of the file; may use runtime variables such as `$BACKUP_FILE`."
    )
    min_bytes: StrictInt = Field(
        1, ge=0, le=BASH_INT_MAX, description="Smallest acceptable size in bytes."
    )


#: Whitespace as the scripts' ``tr`` splits words (ASCII only), and a status word.
_WHITESPACE = re.compile(r"[ \t\n\r\f\v]+")
_STATUS_WORD = re.compile(r"[0-9]{3}")


class Expect(Strict):
    """What success looks like for a step; the script and the scenarios check the same things.

    Every field is checked by the generated scripts (``_rb_attempt``), by the scenario runner
    (``expectation_problems``) and shown on the procedure pages; a test walks these fields so
    that none is documented without being checked.
    """

    exit_code: StrictInt = Field(0, ge=0, le=255, description="Exit code the command must return.")
    output_contains: Code | None = Field(
        None, description="Text the command's standard output must contain (may use `$VERSION`)."
    )
    file: FileExpectation | None = Field(None, description="A file the step must produce.")
    http_status: StrictInt | None = Field(
        None,
        ge=100,
        le=599,
        description="The HTTP status the command must report: the last word of its standard "
        "output that is exactly three digits, as `curl -o /dev/null -w '%{http_code}'` prints "
        "it or a status line (`HTTP/1.1 503 Service Unavailable`) holds it; an output with no "
        "such word fails. The exit code is checked first, so check an error status with curl "
        "without `-f`.",
    )

    @staticmethod
    def reported_status(output: str) -> int | None:
        """The HTTP status an output reports (see ``http_status``), or None.

        The scripts compute the same with ``tr | grep -x '[0-9]{3}' | tail -n 1``; a test
        runs both on the same outputs.
        """
        words = [w for w in _WHITESPACE.split(output) if _STATUS_WORD.fullmatch(w)]
        return int(words[-1]) if words else None


class Step(Strict):
    """One action of a procedure: a command with its purpose, expectation and failure policy."""

    title: Label = Field(description="Short imperative title shown in the site and the script.")
    why: Prose = Field("", description="Why the step exists, for the reader at 3 a.m.")
    runs_on: RunsOn = Field(
        RunsOn.local, description="`local` (deploying machine) or `remote` (target)."
    )
    once_on: Id | None = Field(
        None,
        description="In a fleet: run once per deploy, on the first host of this group, "
        "instead of on every host of each batch (migrations, backups). A single host ignores it.",
    )
    command: OptionalCode | None = Field(None, description=COMMAND_CONTRACT)
    confirm: Code | None = Field(
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
    changes: Label | None = Field(
        None,
        description="What the step changes on the target besides the release, e.g. `the "
        "database schema` for migrations. Once such a step has started, a failed run does not "
        "leave the target as before: the script exits 3 and its report names the change and "
        "the backup to restore from.",
    )
    expected_output: Prose | None = Field(
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
