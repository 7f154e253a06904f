"""Fixtures and the step definitions shared by every feature in specs/.

Each scenario starts from a known target state (reset through the harness, see
``target_control``), a fresh copy of the service checkout, and a private log directory. The
scenario's own actions go through SSH (fabric), HTTP (httpx) and the generated scripts only.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from pytest_bdd import given, parsers, then, when

from steps.repo import ServiceRepo
from steps.runner import expand
from steps.scripts import Runner, ScriptRun, Started
from steps.target_control import DEPLOY, TargetControl

VERSION = r"(?P<version>v[0-9]+\.[0-9]+\.[0-9]+)"


@dataclass
class World:
    """What one scenario has done so far."""

    control: TargetControl
    repo: ServiceRepo
    runner: Runner
    properties: list[tuple[str, object]]
    runs: list[ScriptRun] = field(default_factory=list)
    script_runs: list[dict[str, Any]] = field(default_factory=list)
    background: Started | None = None
    snapshot: dict[str, str] = field(default_factory=dict)
    backups_before: list[str] = field(default_factory=list)
    unhealthy: set[str] = field(default_factory=set)

    @property
    def last(self) -> ScriptRun:
        assert self.runs, "no script ran in this scenario"
        return self.runs[-1]

    def keep(self, run: ScriptRun) -> ScriptRun:
        self.runs.append(run)
        self.script_runs.append(run.record())
        if ("procedure", run.procedure) not in self.properties:
            self.properties.append(("procedure", run.procedure))
        print(run.record())
        return run


@pytest.fixture(scope="session")
def ssh(target: Any) -> Iterator[Any]:
    """A fabric connection to the target as the deploy user, on 127.0.0.1."""
    from fabric import Connection

    conn = Connection(
        host="127.0.0.1",
        port=target.ssh_port,
        user="deploy",
        connect_timeout=10,
        connect_kwargs={
            "key_filename": target.key_file,
            "look_for_keys": False,
            "allow_agent": False,
        },
    )
    try:
        yield conn
    finally:
        conn.close()


@pytest.fixture(scope="session")
def control(docker_client: Any, target: Any) -> TargetControl:
    return TargetControl(docker_client, target)


@pytest.fixture(scope="session")
def scripts_dir(runbook_loaded: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated scripts, rendered from the runbook under verification."""
    from scripts_gen import render_scripts

    rendered = render_scripts(runbook_loaded)
    if not rendered:
        return Path(__file__).resolve().parent.parent / "scripts"
    out = tmp_path_factory.mktemp("scripts")
    for name, text in rendered.items():
        (out / name).write_text(text, encoding="utf-8")
        (out / name).chmod(0o755)
    return out


@pytest.fixture(scope="session")
def service_template(tmp_path_factory: pytest.TempPathFactory) -> ServiceRepo:
    return ServiceRepo.create(tmp_path_factory.mktemp("service") / "repo")


@pytest.fixture
def world(
    request: pytest.FixtureRequest,
    control: TargetControl,
    service_template: ServiceRepo,
    scripts_dir: Path,
    target: Any,
    runbook_loaded: Any,
    tmp_path: Path,
) -> Iterator[World]:
    repo = service_template.copy(tmp_path / "checkout")
    procedures = {p.script: pid for pid, p in runbook_loaded.runbook.procedures.items() if p.script}
    runner = Runner(scripts_dir, repo.path, target.ssh_config, tmp_path / "logs", procedures)
    state = World(control, repo, runner, request.node.user_properties)
    state.properties.append(("script_runs", state.script_runs))
    yield state
    if state.background is not None and state.background.process.poll() is None:
        state.background.kill()
        state.background.process.communicate()


def _snapshot(control: TargetControl) -> dict[str, str]:
    return {
        "target": control.deploy_user(
            f"cd {DEPLOY}; readlink current; ls -1 releases backups; cat revisions.log;"
            " test ! -e .deploy.lock && echo no-lock"
        ),
        "database": control.sql("select name from schema_migrations order by name"),
    }


# Given ---------------------------------------------------------------------------------------


@given(parsers.re(f"the target serves {VERSION}"))
def target_serves(world: World, version: str) -> None:
    world.control.reset()
    world.control.install(version, world.repo.archive(version))
    world.snapshot = _snapshot(world.control)
    world.backups_before = world.control.backups()


@given(parsers.re(f"{VERSION} was deployed after it"))
def deployed_after(world: World, version: str) -> None:
    world.control.install(version, world.repo.archive(version))
    world.snapshot = _snapshot(world.control)
    world.backups_before = world.control.backups()


@given(parsers.parse("a checkout of the service on branch {branch}"))
@given(parsers.parse("the checkout is on branch {branch}"))
def on_branch(world: World, branch: str) -> None:
    world.repo.checkout(branch)


@given("the checkout has an uncommitted change")
def dirty_tree(world: World) -> None:
    with (world.repo.path / "app.py").open("a", encoding="utf-8") as handle:
        handle.write("# work in progress\n")


@given("the checkout has a commit that makes the health check fail")
def broken_release(world: World) -> None:
    (world.repo.path / "FAIL_HEALTHCHECK").write_text("deliberately unhealthy\n", encoding="utf-8")
    world.repo.commit_all("A release whose health check fails")
    world.unhealthy.add(world.repo.git("describe", "--tags", "--always"))


# When ----------------------------------------------------------------------------------------


@when(parsers.parse('the release engineer runs "{command}" while the probe watches'))
def run_with_probe(world: World, target: Any, command: str) -> None:
    world.keep(world.runner.run(command, target.http_url + "/health", frozenset(world.unhealthy)))


@when(parsers.parse('the release engineer runs "{command}"'))
def run_script(world: World, command: str) -> None:
    world.keep(world.runner.run(command))


# Then ----------------------------------------------------------------------------------------


@then(parsers.parse("the script exits with code {code:d}"))
def exits_with(world: World, code: int) -> None:
    run = world.last
    assert run.exit_code == code, f"exit {run.exit_code}, expected {code}:\n{run.output[-3000:]}"


def _serving(target: Any) -> dict[str, Any]:
    return dict(httpx.get(target.http_url + "/health", timeout=5).json())


@then(parsers.re(f"{VERSION} serves( again)?"))
def version_serves(world: World, target: Any, version: str) -> None:
    assert _serving(target) == {"status": "ok", "version": version, "database": "ok"}
    assert world.control.serving() == version


@then("the deployed version serves")
def deployed_serves(world: World, target: Any) -> None:
    versions = {line.get("version") for line in world.last.log if line.get("version")}
    assert len(versions) == 1, f"the log names versions {versions}"
    version = versions.pop()
    assert _serving(target)["version"] == version
    assert httpx.get(target.http_url + "/version", timeout=5).text.strip() == version


@then("a database backup was made before the deploy")
def backup_made(world: World, runbook_loaded: Any) -> None:
    new = sorted(set(world.control.backups()) - set(world.backups_before))
    assert new, "no new backup in the backups directory"
    minimum = runbook_loaded.runbook.backups.min_bytes
    for name in new:
        size = int(world.control.deploy_user(f"stat -c %s {DEPLOY}/backups/{name}"))
        assert size >= minimum, f"backup {name} is {size} bytes"
        world.control.deploy_user(f"pg_restore --list {DEPLOY}/backups/{name} >/dev/null")


@then(parsers.parse("the migration {name} is applied"))
def migration_applied(world: World, name: str) -> None:
    applied = world.control.sql("select name from schema_migrations order by name").split()
    assert name in applied, applied


@then(parsers.parse("the steps ran in the documented order of {procedure}"))
def documented_order(world: World, runbook_loaded: Any, procedure: str) -> None:
    documented = runbook_loaded.runbook.procedures[procedure].step_ids
    logged = [s for s in world.last.logged_steps() if s in documented]
    assert logged, f"no step lines in the log:\n{world.last.output[-2000:]}"
    assert logged == [s for s in documented if s in logged], f"order {logged}"
    missing = [s for s in documented if s not in logged]
    assert not missing, f"steps not logged: {missing}"


@then("the probe saw no failed request")
@then("the probe saw no failed request besides the broken release's own 503 answers")
def probe_clean(world: World) -> None:
    for run in world.runs:
        if run.probe is not None:
            assert run.probe.requests > 0, "the probe made no request"
            assert not run.probe.bound, (
                f"the probe stopped before the run ended: {run.probe.summary()}"
            )
            assert run.probe.failures == 0, f"{run.probe.summary()}: {run.probe.first_failures}"


@then("the deploy lock is released")
def lock_released(world: World) -> None:
    assert not world.control.exists(f"{DEPLOY}/.deploy.lock")


@then(parsers.parse("the log shows the rollback steps of {procedure} ran"))
def rollback_ran(world: World, runbook_loaded: Any, procedure: str) -> None:
    expected = runbook_loaded.runbook.procedures[procedure].rollback_steps
    lines = [line for line in world.last.log if line.get("phase") == "rollback"]
    assert [line.get("step") for line in lines] == expected, f"rollback lines: {lines}"
    assert all(line.get("outcome") == "rolled-back" for line in lines), lines


@then("nothing changed on the target")
def nothing_changed(world: World) -> None:
    assert _snapshot(world.control) == world.snapshot


@then("the output says the deploy lock is held")
def says_lock_held(world: World) -> None:
    lines = [line.lower() for line in world.last.output.splitlines()]
    held = [line for line in lines if "deploy lock" in line and "is held" in line]
    assert held, world.last.output[-2000:]


@then("the output warns that the stale lock was taken over")
def says_stale(world: World) -> None:
    lines = [line.lower() for line in world.last.output.splitlines()]
    # The documented reason for a killed deploy: its owner ran here and its process is gone.
    warned = [
        line
        for line in lines
        if "taking over the deploy lock" in line and "on this host no longer exists" in line
    ]
    assert warned, world.last.output[-2000:]


@then("every production endpoint answers as documented")
def endpoints_answer(world: World, runbook_loaded: Any, target: Any) -> None:
    versions = {str(line["version"]) for line in world.last.log if line.get("version")}
    variables = {"VERSION": versions.pop() if len(versions) == 1 else ""}
    for endpoint in runbook_loaded.runbook.environments["production"].endpoints:
        reply = httpx.get(target.http_url + endpoint.path, timeout=5)
        assert reply.status_code == endpoint.status, endpoint.path
        if endpoint.contains:
            assert expand(endpoint.contains, variables) in reply.text, endpoint.path


def wait_for(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
