"""Scenario steps that set the scene: the target's release, the checkout, data and backups.

Every phrase names a procedure or a role ("the baseline release", "the newest release"),
never a project's versions, paths or ids: the runbook's `target.releases` says which tags
those are.
"""

from __future__ import annotations

from typing import Any

from pytest_bdd import given, parsers

from runbook.model import ProcedureKind
from runbook.scenarios.checkout import ANOTHER_BRANCH
from runbook.scenarios.plans import next_version, plan_for
from runbook.scenarios.probe import Probe
from runbook.scenarios.runner import StepContext, run_step
from runbook.scenarios.world import World, wait_for
from scripts_gen import runtime_variables

PROCEDURE = r"(?P<procedure>[a-z][a-z0-9]*(?:-[a-z0-9]+)*)"


@given(parsers.re(f"the target of {PROCEDURE} serves the baseline release"))
def serves_baseline(world: World, procedure: str) -> None:
    """A fresh target: the team's reset, then the baseline release installed and serving."""
    world.env_id = world.loaded.runbook.procedures[procedure].environment
    world.control.reset()
    baseline = world.releases.baseline
    world.control.install(baseline, world.artifacts.get(baseline), world.env_id)
    world.remember_state()


@given("the newest release was deployed after it")
def newest_deployed(world: World) -> None:
    """The newest release installed over the baseline, as a past deploy would leave it."""
    newest = world.releases.newest
    world.control.install(newest, world.artifacts.get(newest), world.env_id or None)
    world.remember_state()


@given(parsers.re(f"the checkout is on the branch of {PROCEDURE}"))
def on_procedure_branch(world: World, procedure: str) -> None:
    """The branch the procedure's environment deploys from (`main` when it names none)."""
    rb = world.loaded.runbook
    world.repo.checkout(rb.environments[rb.procedures[procedure].environment].branch or "main")


@given("the checkout is on another branch")
def on_another_branch(world: World) -> None:
    """A branch that no environment deploys from."""
    world.repo.checkout(ANOTHER_BRANCH)


@given("the checkout has an uncommitted change")
def dirty_tree(world: World) -> None:
    """A tracked file changed and not committed."""
    world.repo.make_dirty()


@given("the checkout has a release that fails its health check")
def unhealthy_release(world: World) -> None:
    """One more commit with the runbook's `target.releases.unhealthy` change, tagged as the
    next version where a tag is required."""
    commit_release(world, world.releases.unhealthy, "A release whose health check fails")


@given("the checkout has a release whose first step with changes fails")
def failing_release(world: World) -> None:
    """One more commit with the runbook's `target.releases.failing` change (a migration
    that fails after an earlier one applied), tagged as the next version where a tag is
    required."""
    assert world.releases.failing is not None, "the runbook sets no target.releases.failing"
    commit_release(world, world.releases.failing, "A release whose migration fails halfway")


def commit_release(world: World, change: Any, message: str) -> None:
    """Commit ``change`` on top of the checkout; its version answers unhealthy if it serves."""
    world.repo.apply(change)
    world.repo.commit_all(message)
    rb = world.loaded.runbook
    needs_tag = any(
        rb.environments[p.environment].require_tag or p.version_required
        for p in rb.procedures.values()
        if p.kind is ProcedureKind.deploy
    )
    if needs_tag:
        version = next_version(world.releases.newest)
        world.repo.git("tag", "-a", version, "-m", message)
    world.unhealthy.add(world.repo.describe())


@given(parsers.parse('a mark "{mark}" is in the service\'s data'))
def mark_written(world: World, mark: str) -> None:
    """Recorded with the runbook's `target.data.write` hook, as the deploy user."""
    world.control.write_data(mark, world.env_id or None)
    world.remember_state()


@given(parsers.parse('a backup named "{name}" is made by the runbook\'s backup step'))
def backup_made(world: World, name: str, ssh: object) -> None:
    """The runbook's own step that writes `$BACKUP_FILE`, run with that file named."""
    rb = world.loaded.runbook
    # A deploy's backup step writes $BACKUP_FILE itself; in a rollback it would get the
    # safety backup's name instead, so deploys come first.
    found = sorted(
        (
            (rb.procedures[pid].kind is not ProcedureKind.deploy, pid, sid)
            for pid in rb.procedures
            if rb.procedures[pid].environment == world.env_id
            for sid, step in rb.procedure_steps(pid)
            if step.writes_backup
        ),
        key=lambda item: item[0],
    )
    assert found, f"no step of environment {world.env_id} writes $BACKUP_FILE"
    _, procedure, step_id = found[0]
    baseline = world.releases.baseline
    stamp = "19700101-000000"
    values = runtime_variables(world.loaded, procedure, baseline, baseline, stamp)
    chosen = f"{values['BACKUP_DIR']}/{name}"
    values = runtime_variables(world.loaded, procedure, baseline, baseline, stamp, chosen)
    ctx = StepContext(
        world.loaded, procedure, values, world.repo.path, ssh, world.target.ssh_config
    )
    result = run_step(ctx, step_id)
    assert result.outcome == "passed", f"backup step {step_id}: {result.problems} {result.output}"
    world.remember_state()


@given(parsers.re(f"the target is prepared for {PROCEDURE}"), target_fixture="context")
def prepared(world: World, procedure: str, ssh: object) -> StepContext:
    """The plan of ``procedure``: its baseline releases, a chosen backup, its branch."""
    plan = plan_for(world.loaded, procedure)
    world.env_id = world.loaded.runbook.procedures[procedure].environment
    world.control.reset()
    for index, version in enumerate(plan.baseline):
        world.control.install(version, world.artifacts.get(version), world.env_id)
        if index == 0 and plan.backup_name:
            backup_made(world, plan.backup_name, ssh)
    world.repo.checkout(plan.branch)
    variables = plan.variables(world.loaded, procedure)
    return StepContext(
        world.loaded, procedure, variables, world.repo.path, ssh, world.target.ssh_config
    )


@given(parsers.re(f"{PROCEDURE} is running and holds the deploy lock"))
def holding_lock(world: World, procedure: str) -> None:
    """Started in the background, watched by its own probe, until its lock is on the target."""
    world.background_probe = Probe(world.target.health_url, known_versions=world.known_versions)
    world.background_probe.start()
    world.background = world.runner.start(world.command(procedure))
    lock = world.control.lock_path(world.env_id or None)
    wait_for(lambda: world.control.exists(lock), 120, "the first run to take the lock")


@given(parsers.re(f"{PROCEDURE} was killed while it held the deploy lock"))
def killed_holding_lock(world: World, procedure: str) -> None:
    """SIGKILL to the whole run once its lock is on the target, as a lost terminal would."""
    started = world.runner.start(world.command(procedure))
    world.background = started
    lock = world.control.lock_path(world.env_id or None)
    wait_for(lambda: world.control.exists(lock), 120, "the run to take the lock")
    started.kill()
    started.process.communicate()
    world.background = None
    assert world.control.exists(lock), "the killed run left no lock"
