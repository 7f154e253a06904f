"""Scenario steps that act: run a procedure's script, its steps one by one, a diagnosis."""

from __future__ import annotations

import shlex

from pytest_bdd import parsers, when

from runbook.scenarios.given import PROCEDURE
from runbook.scenarios.runner import StepContext, StepRun, run_step
from runbook.scenarios.world import World

ARGS = r'(?: with "(?P<args>[^"]*)")?'
PROBE = r"(?P<probe> while the probe watches)?"


def _run(world: World, procedure: str, args: str | None, probe: str | None) -> None:
    command = world.command(procedure, None if args is None else tuple(shlex.split(args)))
    url = world.target.health_url if probe else None
    unhealthy = frozenset(world.unhealthy)
    world.keep(world.runner.run(command, url, unhealthy, world.known_versions))


@when(parsers.re(f"the release engineer runs {PROCEDURE}{ARGS}{PROBE}"))
def runs_procedure(world: World, procedure: str, args: str | None, probe: str | None) -> None:
    """The procedure's script, from the checkout, with no terminal. Without arguments it
    gets what CI passes: `--yes`, the checkout's tag where a version is required, and
    `--no-db-restore` where a rollback would ask for a backup."""
    _run(world, procedure, args, probe)


@when(parsers.parse('the release engineer runs "{command}"'))
def runs_command(world: World, command: str) -> None:
    """A script of `scripts/` with literal arguments, e.g. `"deploy-production.sh 1.2.0 --yes"`."""
    world.keep(world.runner.run(command))


@when(
    parsers.re(
        f"the release engineer runs {PROCEDURE} on a terminal and declines "
        f'"(?P<step>[a-z0-9-]+)"{ARGS}{PROBE}'
    )
)
def declines(world: World, procedure: str, step: str, args: str | None, probe: str | None) -> None:
    """On a terminal, answering `yes` to every question but the one of ``step``; the backup
    question, if asked, gets the first backup listed."""
    question = world.loaded.runbook.steps[step].confirm or ""
    prefix = question.split("$", 1)[0].strip()[:60]

    def answer(asked: str) -> str:
        if asked.startswith("Restore which backup?") or asked.endswith("Restore which backup?"):
            return "1"
        return "no" if prefix and prefix in asked else "yes"

    extra = [a for a in shlex.split(args or "") if a != "--yes"]
    rb = world.loaded.runbook
    if rb.procedures[procedure].version_required and not any(not a.startswith("-") for a in extra):
        extra.insert(0, world.repo.git("describe", "--tags", "--exact-match", "HEAD"))
    url = world.target.health_url if probe else None
    world.keep(world.runner.run_on_terminal(world.command(procedure, tuple(extra)), answer, url))


@when(
    parsers.re(f"each step of {PROCEDURE} is run on its own, as its page shows it"),
    target_fixture="step_runs",
)
def each_step_alone(world: World, context: StepContext, procedure: str) -> list[StepRun]:
    """Each step in the page's order, with the scripts' variables and helpers; after a
    failure the rest are skipped."""
    world.properties.append(("procedure", procedure))
    runs: list[StepRun] = []
    for step_id in world.loaded.runbook.procedures[procedure].step_ids:
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


@when(
    parsers.re(
        r"the on-call engineer runs each diagnosis command of "
        r"(?P<emergency>[a-z][a-z0-9]*(?:-[a-z0-9]+)*) on the target"
    ),
    target_fixture="diagnoses",
)
def diagnoses(world: World, ssh: object, emergency: str) -> list[tuple[str, int, str]]:
    """Each diagnosis command of the emergency, over SSH as the environment's user."""
    world.properties.append(("emergency", emergency))
    results = []
    for item in world.loaded.runbook.emergencies[emergency].diagnosis:
        result = ssh.run(  # type: ignore[attr-defined]
            item.command, warn=True, hide=True, timeout=30, in_stream=False
        )
        results.append((item.command, int(result.exited), result.stdout + result.stderr))
    return results
