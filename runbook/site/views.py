"""What a procedure page shows about each step, derived once from the model.

Templates stay declarative: the decisions (what a failure does after the point of no return,
which endpoints ``check_endpoints`` requests, where a step runs, how verification went) are
made here, in plain Python that tests can call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from markupsafe import Markup

from runbook.model import (
    RUNTIME_VARIABLES,
    Endpoint,
    OnFailure,
    Procedure,
    Runbook,
    RunsOn,
    Stage,
    Step,
)
from runbook.site.comparison import uses_helper
from runbook.site.render import code
from runbook.verification import Verification

_NAMES = "|".join(sorted(RUNTIME_VARIABLES, key=len, reverse=True))
#: ``$NAME`` or ``${NAME}`` of a runtime variable, as the scripts expand them.
_REFERENCE = re.compile(r"\$(?:\{(" + _NAMES + r")\}|(" + _NAMES + r")(?![A-Za-z0-9_]))")


@dataclass(frozen=True)
class StepView:
    """One step as a procedure page shows it."""

    number: int
    step_id: str
    step: Step
    after_point: bool
    is_point: bool
    failure: str
    expectations: list[Markup]
    script_line: int | None = None
    verified: str | None = None
    expected_output: str | None = None


@dataclass(frozen=True)
class StageView:
    """A stage with its steps resolved."""

    stage: Stage
    steps: list[StepView] = field(default_factory=list)


@dataclass(frozen=True)
class ProcedureView:
    """Everything a procedure page needs."""

    procedure_id: str
    procedure: Procedure
    stages: list[StageView]
    rollback: list[tuple[str, Step]]
    endpoints: list[Endpoint]
    tests_endpoints: bool
    verification: str

    @property
    def verified_steps(self) -> list[StepView]:
        """The steps the last verification recorded a result for."""
        return [s for stage in self.stages for s in stage.steps if s.verified]


def where(step: Step | RunsOn, runbook: Runbook, env_id: str) -> str:
    """Where a command runs, in the reader's words."""
    runs_on = step.runs_on if isinstance(step, Step) else step
    env = runbook.environments[env_id]
    if env.is_fleet and isinstance(step, Step):
        from runbook.site.fleet import step_where

        return step_where(step, env)
    if runs_on is RunsOn.local:
        return "the deploying machine (local)"
    return f"the target: `{env.ssh_user}@{env.host}` (remote, over SSH)"


def expectations(step: Step) -> list[Markup]:
    """What success looks like, one short sentence each: every field of ``Expect``; YAML text
    only inside code spans."""
    expect = step.expect
    out = [Markup(f"exits with code {int(expect.exit_code)}")] if step.command else []
    if expect.output_contains:
        out.append("output contains " + code(expect.output_contains))
    if expect.file is not None:
        size = int(expect.file.min_bytes)
        plural = "" if size == 1 else "s"
        out.append("leaves " + code(expect.file.path) + f" of at least {size} byte{plural}")
    if expect.http_status is not None:
        out.append(Markup(f"reports HTTP status {int(expect.http_status)}"))
    if step.confirm:
        out.append(Markup("the operator answers `yes`"))
    return out


def failure(step: Step, after_point: bool, procedure: Procedure) -> str:
    """What a failure of this step does to the procedure."""
    if step.on_failure is OnFailure.continue_:
        return "Warns and goes on: the procedure does not depend on this step."
    if (after_point or step.on_failure is OnFailure.rollback) and procedure.rollback_steps:
        if procedure.playbook:
            return "Rolls the failing host back (below); the run stops as the fleet's policy says."
        return "Triggers the automatic rollback below, then the script exits 1."
    if after_point or step.on_failure is OnFailure.rollback:
        return "Stops the procedure (this procedure has no automatic rollback): act by hand."
    if step.confirm and not step.command:
        return "Any answer but `yes` stops the procedure before anything changes (exit 2)."
    return "Stops the procedure; nothing after it runs."


def expected_output(step: Step, config: dict[str, str]) -> str | None:
    """The step's example output as this procedure's environment shows it: configuration
    values (``$BRANCH``, ``$DEPLOY_PATH``, ...) filled in, values only known at run time
    (``$VERSION``) left as they are written."""
    if step.expected_output is None:
        return None
    return _REFERENCE.sub(
        lambda m: config.get(m.group(1) or m.group(2), m.group(0)), step.expected_output
    )


def procedure_view(
    runbook: Runbook,
    procedure_id: str,
    lines: dict[str, int],
    verification: Verification | None,
    digest: str,
    config: dict[str, str] | None = None,
) -> ProcedureView:
    """Resolve a procedure's stages and steps into what its page shows.

    ``config`` holds the configuration values of the procedure's environment, as the scripts
    set them, for the expected output of its steps.
    """
    proc = runbook.procedures[procedure_id]
    record = verification.procedures.get(procedure_id) if verification else None
    stages: list[StageView] = []
    number, after = 0, False
    for stage in proc.stages:
        view = StageView(stage)
        for step_id in stage.steps:
            number += 1
            step = runbook.steps[step_id]
            is_point = step_id == proc.point_of_no_return
            result = record.steps.get(step_id) if record else None
            view.steps.append(
                StepView(
                    number=number,
                    step_id=step_id,
                    step=step,
                    after_point=after,
                    is_point=is_point,
                    failure=failure(step, after, proc),
                    expectations=expectations(step),
                    script_line=lines.get(step_id),
                    verified=f"{result.outcome} ({result.duration_s:.1f} s)" if result else None,
                    expected_output=expected_output(step, config or {}),
                )
            )
            after = after or is_point
        stages.append(view)
    endpoints = proc.endpoints
    if endpoints is None:
        endpoints = runbook.environments[proc.environment].endpoints
    return ProcedureView(
        procedure_id=procedure_id,
        procedure=proc,
        stages=stages,
        rollback=[(sid, runbook.steps[sid]) for sid in proc.rollback_steps],
        endpoints=list(endpoints),
        tests_endpoints=any(
            uses_helper(runbook.steps[s], "check_endpoints") for s in proc.step_ids
        ),
        verification=verification_text(verification, procedure_id, digest),
    )


@dataclass(frozen=True)
class ScriptBlock:
    """A step's block in a generated script, and where its page tells about it."""

    line: int
    step_id: str
    title: str
    anchor: str
    rollback: bool


def script_blocks(runbook: Runbook, procedure_id: str, lines: dict[str, int]) -> list[ScriptBlock]:
    """The step blocks of a procedure's script, in file order, each with its page's anchor:
    the step's section, or the automatic rollback's section for a rollback step."""
    proc = runbook.procedures[procedure_id]
    blocks = [
        ScriptBlock(lines[sid], sid, runbook.steps[sid].title, f"{procedure_id}-{sid}", False)
        for sid in proc.step_ids
        if sid in lines
    ]
    blocks += [
        ScriptBlock(lines[key], sid, runbook.steps[sid].title, f"{procedure_id}_rollback", True)
        for sid in proc.rollback_steps
        if (key := f"rollback:{sid}") in lines  # how script_line_map names a rollback block
    ]
    return sorted(blocks, key=lambda block: block.line)


@dataclass(frozen=True)
class ScriptListing:
    """What a script's listing page shows: all of it, or its own part and where the rest is.

    Every script of a kind ends in the same runtime, word for word (from the line
    ``RUNTIME_START``, some 800 lines). It is listed once, in the first script (by name) that
    carries it; the other listings show their own part and point there, so the site grows by
    a procedure's own lines, not by a copy of the runtime per script.
    """

    text: str
    #: The lines of this script (from, to) that are the shared runtime, when not listed here.
    shared: tuple[int, int] | None = None
    #: The script that lists them, and the lines (from, to) they have there.
    listed_in: str = ""
    listed_at: tuple[int, int] | None = None


def script_listings(scripts: dict[str, str]) -> dict[str, ScriptListing]:
    """Each script's listing, the runtime listed once per distinct text."""
    from scripts_gen.contract import runtime_parts

    first: dict[str, tuple[str, tuple[int, int]]] = {}
    listings = {}
    for name in sorted(scripts):
        text = scripts[name]
        parts = runtime_parts(text)
        if parts is None:
            listings[name] = ScriptListing(text)
            continue
        own, runtime = parts
        lines = (own.count("\n") + 1, text.count("\n"))
        if runtime not in first:
            first[runtime] = (name, lines)
            listings[name] = ScriptListing(text)
        else:
            where, their = first[runtime]
            listings[name] = ScriptListing(own, lines, where, their)
    return listings


def verification_text(verification: Verification | None, procedure_id: str, digest: str) -> str:
    """The "last verified" line of a procedure page."""
    record = verification.procedures.get(procedure_id) if verification else None
    if verification is None or record is None:
        return "not verified yet (run `runbook verify`)"
    when = record.date.strftime("%Y-%m-%d %H:%M UTC")
    text = f"{record.outcome} on {when} in {record.duration_s:.0f} s"
    if verification.runbook_digest != digest:
        text += " (against an earlier version of the runbook)"
    return text
