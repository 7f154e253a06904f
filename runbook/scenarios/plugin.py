"""The pytest plugin behind `runbook verify` (entry point `runbook` in `pytest11`).

It brings the fixtures every scenario stands on (the runbook under verification, the team's
staging target, SSH to it, the harness, the checkout, the generated scripts) and the step
vocabulary of ``given``, ``when`` and ``then``, so a team's own ``specs/*.feature`` use the
same phrases as the scenarios derived from its runbook. Each scenario records what it proved
(procedure, per-step results, script runs, probe counts) for the verification record.

Loaded in every pytest session of an environment where runbook is installed, it stays inert
until a test asks for its fixtures.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = [
    "runbook.scenarios.given",
    "runbook.scenarios.when",
    "runbook.scenarios.then",
    "runbook.scenarios.faults",
    "runbook.scenarios.fleet",
    "runbook.scenarios.fleet_steps",
]

RESULTS_ENV = "RUNBOOK_VERIFY_RESULTS"
RUNBOOK_ENV = "RUNBOOK_VERIFY_FILE"
STATE_ENV = "RUNBOOK_VERIFY_STATE"
#: Where the scripts' JSON-lines logs of every scenario are kept, when set.
LOGS_ENV = "RUNBOOK_VERIFY_LOGS"
RECORDER = pytest.StashKey["Recorder"]()


@pytest.fixture(scope="session")
def runbook_loaded() -> Any:
    """The runbook under verification: ``RUNBOOK_VERIFY_FILE``, else ./runbook.yaml."""
    from runbook.loader import load

    return load(Path(os.environ.get(RUNBOOK_ENV, "runbook.yaml")))


@pytest.fixture(scope="session")
def docker_client() -> Any:
    from runbook.target import daemon

    return daemon.client()


@pytest.fixture(scope="session")
def target(
    tmp_path_factory: pytest.TempPathFactory, docker_client: Any, runbook_loaded: Any
) -> Iterator[Any]:
    """One running staging target for the whole session, removed at the end."""
    from runbook.target import container, image

    state_dir = tmp_path_factory.mktemp("target")
    built = image.ensure_image(docker_client, image.definition(runbook_loaded))
    shape = container.Shape.of(runbook_loaded.runbook)
    started = container.start(docker_client, built.tag, state_dir, shape)
    try:
        yield started
    finally:
        container.remove(docker_client, state_dir)


@pytest.fixture(scope="session")
def ssh(target: Any) -> Iterator[Any]:
    """A fabric connection to the target as the first environment's SSH user, on 127.0.0.1."""
    from fabric import Connection

    conn = Connection(
        host="127.0.0.1",
        port=target.ssh_port,
        user=target.ssh_user,
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
def control(docker_client: Any, target: Any, runbook_loaded: Any) -> Any:
    from runbook.scenarios.control import TargetControl

    return TargetControl(docker_client, target, runbook_loaded.runbook)


@pytest.fixture(scope="session")
def scripts_dir(runbook_loaded: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated scripts, rendered from the runbook under verification."""
    from scripts_gen import render_scripts

    out = tmp_path_factory.mktemp("scripts")
    for name, text in render_scripts(runbook_loaded).items():
        (out / name).write_text(text, encoding="utf-8")
        (out / name).chmod(0o755)
    return out


@pytest.fixture(scope="session")
def service_checkout(runbook_loaded: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The template checkout: the runbook's releases as tagged commits."""
    from runbook.scenarios.checkout import Checkout

    rb = runbook_loaded.runbook
    assert rb.target is not None, "the runbook declares no target"
    source = runbook_loaded.path.resolve().parent / rb.target.releases.source
    branches = {env.branch for env in rb.environments.values() if env.branch}
    root = tmp_path_factory.mktemp("checkout") / "repo"
    return Checkout.create(root, source, rb.target.releases, branches)


@pytest.fixture(scope="session")
def artifacts(
    runbook_loaded: Any, service_checkout: Any, tmp_path_factory: pytest.TempPathFactory
) -> Any:
    from runbook.scenarios.releases import Artifacts

    return Artifacts(runbook_loaded, service_checkout, tmp_path_factory.mktemp("artifacts"))


@pytest.fixture
def world(
    request: pytest.FixtureRequest,
    runbook_loaded: Any,
    target: Any,
    control: Any,
    service_checkout: Any,
    artifacts: Any,
    scripts_dir: Path,
    tmp_path: Path,
) -> Iterator[Any]:
    """A scenario's own copy of the checkout, a private log directory, and its record."""
    from runbook.scenarios.scripts import Runner
    from runbook.scenarios.world import World

    repo = service_checkout.copy(tmp_path / "checkout")
    procedures = {p.script: pid for pid, p in runbook_loaded.runbook.procedures.items() if p.script}
    logs = tmp_path / "logs"
    if os.environ.get(LOGS_ENV):  # kept for `runbook history --from`
        logs = Path(os.environ[LOGS_ENV]) / re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name)
    runner = Runner(scripts_dir, repo.path, target.ssh_config, logs, procedures)
    state = World(
        runbook_loaded, target, control, repo, runner, artifacts, request.node.user_properties
    )
    state.properties.append(("script_runs", state.script_runs))
    yield state
    if state.background is not None and state.background.process.poll() is None:
        state.background.kill()
        state.background.process.communicate()
    from runbook.scenarios.faults import stop_faults

    stop_faults(state)


class Recorder:
    """Keeps one record per scenario: outcome, duration and what the scenario recorded."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call" or (report.when == "setup" and not report.passed):
            record = {
                "nodeid": report.nodeid,
                "outcome": report.outcome,
                "duration_s": round(report.duration, 3),
            }
            record.update(dict(report.user_properties))
            self.records.append(record)


def pytest_bdd_before_scenario(request: pytest.FixtureRequest, feature: Any, scenario: Any) -> None:
    """Name the scenario in the record as the feature file words it."""
    request.node.user_properties.append(("feature", feature.name))
    request.node.user_properties.append(("scenario", scenario.name))


def pytest_configure(config: pytest.Config) -> None:
    config.stash[RECORDER] = Recorder()
    config.pluginmanager.register(config.stash[RECORDER], "runbook-verify-recorder")
    config.addinivalue_line("markers", "container: needs Docker and the team's staging target")
    config.addinivalue_line("markers", "fleet: needs Docker, Ansible and the fleet target")


def pytest_sessionfinish(session: pytest.Session) -> None:
    path = os.environ.get(RESULTS_ENV)
    if path and RECORDER in session.config.stash:
        records = session.config.stash[RECORDER].records
        Path(path).write_text(json.dumps(records, indent=2, default=str), encoding="utf-8")


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """Measurements of the scenarios: script run times and probe counts."""
    if RECORDER not in config.stash:
        return
    lines = []
    for record in config.stash[RECORDER].records:
        for run in record.get("script_runs", []):
            probe = run.get("probe")
            lines.append(
                f"{run['command']:<60} exit {run['exit_code']} {run['seconds']:6.1f} s"
                + (
                    f"  probe: {probe['requests']} requests, {probe['failures']} failed"
                    f" ({probe['expected_unhealthy']} deliberate unhealthy answers)"
                    if probe
                    else ""
                )
            )
    if lines:
        terminalreporter.section("staging target measurements")
        for line in lines:
            terminalreporter.write_line(line)
