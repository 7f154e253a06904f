"""specs/steps_alone.feature: each documented step, run on its own, meets its expectation."""

from __future__ import annotations

from typing import Any

import pytest
from pytest_bdd import given, parsers, scenarios, then, when

from steps.conftest import World
from steps.plans import plan_for
from steps.runner import StepContext, StepRun, run_step
from steps.target_control import DEPLOY

pytestmark = pytest.mark.container
scenarios("steps_alone.feature")


@given(parsers.parse("the staging target is prepared for {procedure}"), target_fixture="context")
def prepared(
    world: World, runbook_loaded: Any, ssh: Any, target: Any, procedure: str
) -> StepContext:
    plan = plan_for(runbook_loaded, procedure)
    world.control.reset()
    for index, version in enumerate(plan.baseline):
        world.control.install(version, world.repo.archive(version))
        if index == 0 and plan.backup_name:
            world.control.deploy_user(
                f"pg_dump --format=custom --file={DEPLOY}/backups/{plan.backup_name} app"
            )
    world.repo.checkout(plan.branch)
    variables = plan.variables(runbook_loaded, procedure)
    return StepContext(
        runbook_loaded, procedure, variables, world.repo.path, ssh, target.ssh_config
    )


@when(
    parsers.parse("each step of {procedure} is run on its own, as its page shows it"),
    target_fixture="step_runs",
)
def run_each(world: World, context: StepContext, procedure: str) -> list[StepRun]:
    world.properties.append(("procedure", procedure))
    runs: list[StepRun] = []
    for step_id in context.loaded.runbook.procedures[procedure].step_ids:
        if runs and runs[-1].outcome == "failed":
            runs.append(StepRun(step_id, "skipped", problems=["not run: an earlier step failed"]))
            continue
        runs.append(run_step(context, step_id))
    world.properties.append(
        (
            "steps",
            {r.step_id: {"outcome": r.outcome, "duration_s": round(r.duration_s, 3)} for r in runs},
        )
    )
    return runs


@then(parsers.parse("every step of {procedure} meets its documented expectation"))
def all_met(step_runs: list[StepRun], procedure: str) -> None:
    failed = [r for r in step_runs if r.outcome == "failed"]
    detail = "\n".join(f"{r.step_id}: {'; '.join(r.problems)}\n{r.output[-1500:]}" for r in failed)
    assert not failed, f"{procedure}: {detail}"
    assert any(r.outcome == "passed" for r in step_runs)
