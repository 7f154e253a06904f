"""Scenario steps that judge: exit codes, what serves, the log, the lock, the probe, the data."""

from __future__ import annotations

import httpx
from pytest_bdd import parsers, then

from runbook.scenarios.control import names_version
from runbook.scenarios.given import PROCEDURE
from runbook.scenarios.runner import StepRun, expand
from runbook.scenarios.world import World


@then(parsers.parse("the script exits with code {code:d}"))
def exits_with(world: World, code: int) -> None:
    """The last run's exit code (see the scripts' documented exit codes)."""
    run = world.last
    assert run.exit_code == code, f"exit {run.exit_code}, expected {code}:\n{run.output[-3000:]}"


def _serves(world: World, version: str) -> None:
    reply = httpx.get(world.target.health_url, timeout=5)
    assert reply.status_code == 200, f"{world.target.health_path}: {reply.status_code}"
    assert names_version(reply.text, version), f"{version} not in {reply.text[:300]!r}"
    assert world.control.serving(world.env_id or None) == version


@then("the newest release serves")
def newest_serves(world: World) -> None:
    """The health path answers 200 naming the newest release, and `current` points at it."""
    _serves(world, world.releases.newest)


@then(parsers.re("the baseline release (?:serves again|still serves)"))
def baseline_serves(world: World) -> None:
    """The health path answers 200 naming the baseline release, and `current` points at it."""
    _serves(world, world.releases.baseline)


@then(parsers.re(f"the steps ran in the documented order of {PROCEDURE}"))
def documented_order(world: World, procedure: str) -> None:
    """Every step of the procedure logged, in the order of its page."""
    documented = world.loaded.runbook.procedures[procedure].step_ids
    logged = [s for s in world.last.logged_steps() if s in documented]
    assert logged, f"no step lines in the log:\n{world.last.output[-2000:]}"
    assert logged == [s for s in documented if s in logged], f"order {logged}"
    missing = [s for s in documented if s not in logged]
    assert not missing, f"steps not logged: {missing}"


@then("the deploy lock is released")
def lock_released(world: World) -> None:
    """No lock left in the environment's deploy path."""
    assert not world.control.exists(world.control.lock_path(world.env_id or None))


@then("the probe saw no failed request")
@then("the probe saw no failed request besides the unhealthy release's own answers")
def probe_clean(world: World) -> None:
    """Every request of every probe of the scenario answered 200, except answers naming the
    deliberately unhealthy release; the probe watched until the run ended."""
    for run in world.runs:
        if run.probe is not None:
            assert run.probe.requests > 0, "the probe made no request"
            assert not run.probe.bound, f"the probe stopped before the run: {run.probe.summary()}"
            assert run.probe.failures == 0, (
                f"{run.probe.summary()}: {run.probe.first_failures}\n"
                f"while {run.command} printed:\n{run.output[-2500:]}"
            )


@then(parsers.re(f"the log shows the rollback steps of {PROCEDURE} ran"))
def rollback_ran(world: World, procedure: str) -> None:
    """The automatic rollback's steps logged, in order, each rolled back."""
    expected = world.loaded.runbook.procedures[procedure].rollback_steps
    lines = [line for line in world.last.log if line.get("phase") == "rollback"]
    assert [line.get("step") for line in lines] == expected, f"rollback lines: {lines}"
    assert all(line.get("outcome") == "rolled-back" for line in lines), lines


@then("nothing changed on the target")
def nothing_changed(world: World) -> None:
    """`current`, the releases, backups, revisions.log, the lock and the data as before."""
    assert world.control.snapshot(world.env_id or None) == world.snapshot


@then("nothing changed on the target but its backups")
def nothing_but_backups(world: World) -> None:
    """As before except the backups directory: a run may stop after its backup."""
    before, now = dict(world.snapshot), world.control.snapshot(world.env_id or None)
    strip = set(world.control.listing("backups", world.env_id or None)) | set(world.backups_before)
    for state in (before, now):
        state["deploy"] = "\n".join(
            line for line in state["deploy"].splitlines() if line not in strip
        )
    assert now == before


@then("a backup was made by the run")
def backup_made(world: World) -> None:
    """A new file in the backups directory, at least the policy's `min_bytes` large."""
    new = sorted(
        set(world.control.listing("backups", world.env_id or None)) - set(world.backups_before)
    )
    assert new, "no new backup in the backups directory"
    minimum = world.loaded.runbook.backups.min_bytes
    for name in new:
        size = int(world.control.read(f'stat -c %s "$DEPLOY_PATH/backups/{name}"', world.env_id))
        assert size >= minimum, f"backup {name} is {size} bytes, policy minimum {minimum}"


@then(parsers.re(f"every endpoint of {PROCEDURE} answers as documented"))
def endpoints_answer(world: World, procedure: str) -> None:
    """Each endpoint of the procedure (or its environment) through the published port."""
    rb = world.loaded.runbook
    proc = rb.procedures[procedure]
    endpoints = (
        proc.endpoints
        if proc.endpoints is not None
        else rb.environments[proc.environment].endpoints
    )
    versions = {str(line["version"]) for line in world.last.log if line.get("version")}
    variables = {"VERSION": versions.pop() if len(versions) == 1 else ""}
    for endpoint in endpoints:
        reply = httpx.get(world.target.http_url + endpoint.path, timeout=5)
        assert reply.status_code == endpoint.status, f"{endpoint.path}: {reply.status_code}"
        if endpoint.contains:
            wanted = expand(endpoint.contains, variables)
            assert wanted in reply.text, f"{endpoint.path} lacks {wanted!r}"


@then(parsers.parse('the mark "{mark}" is in the service\'s data'))
def mark_present(world: World, mark: str) -> None:
    """Read with the runbook's `target.data.read` hook."""
    assert mark in world.control.read_data(world.env_id or None).splitlines()


@then(parsers.parse('the mark "{mark}" is not in the service\'s data'))
def mark_absent(world: World, mark: str) -> None:
    """Gone: the data was restored from a backup made before it was written."""
    assert mark not in world.control.read_data(world.env_id or None).splitlines()


@then("the output says the deploy lock is held")
def says_lock_held(world: World) -> None:
    """The refusal names the held deploy lock."""
    lines = [line.lower() for line in world.last.output.splitlines()]
    assert [line for line in lines if "deploy lock" in line and "is held" in line], lines[-20:]


@then("the output warns that the stale lock was taken over")
def says_stale(world: World) -> None:
    """The documented reason for a killed run: its owner ran here and its process is gone."""
    lines = [line.lower() for line in world.last.output.splitlines()]
    warned = [
        line
        for line in lines
        if "taking over the deploy lock" in line and "on this host no longer exists" in line
    ]
    assert warned, world.last.output[-2000:]


@then("the run that held the lock finishes with code 0")
def first_finishes(world: World) -> None:
    """The run started in the background ends well, its probe clean."""
    assert world.background is not None
    run = world.keep(world.background.finish(world.background_probe))
    world.background = None
    assert run.exit_code == 0, run.output[-3000:]


@then(parsers.re(r"the step (?P<step>[a-z0-9-]+) was skipped"))
def step_skipped(world: World, step: str) -> None:
    """The script logged the step as skipped (a declined confirmation of a command)."""
    assert step in world.last.logged_steps("skipped"), world.last.output[-2000:]


@then(parsers.re(f"every step of {PROCEDURE} meets its documented expectation"))
def all_met(step_runs: list[StepRun], procedure: str) -> None:
    """Exit code, output, file and HTTP status as the runbook documents for each step."""
    failed = [r for r in step_runs if r.outcome == "failed"]
    detail = "\n".join(f"{r.step_id}: {'; '.join(r.problems)}\n{r.output[-1500:]}" for r in failed)
    assert not failed, f"{procedure}: {detail}"
    assert any(r.outcome == "passed" for r in step_runs)


@then("every diagnosis command exits with code 0 and prints a result")
def diagnosis_ok(diagnoses: list[tuple[str, int, str]]) -> None:
    """Each command exits 0 and prints something the on-call engineer can read."""
    assert diagnoses
    for command, code, output in diagnoses:
        assert code == 0, f"{command}: exit {code}: {output}"
        assert output.strip(), f"{command}: no output"
