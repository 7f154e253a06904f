"""Shared fixtures: the staging target (one container per session) and the verify record.

The target fixture starts dockerd when needed, builds or reuses the cached image and runs a
fresh container with a per-run key; every scenario reuses it and resets what it changes.
Each scenario records what it proved in ``user_properties`` (procedure, per-step results,
script run time, probe counts); ``runbook verify`` reads them from the JSON file named by
``RUNBOOK_VERIFY_RESULTS``, and the terminal summary prints the measurements.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent
RESULTS_ENV = "RUNBOOK_VERIFY_RESULTS"
RUNBOOK_ENV = "RUNBOOK_VERIFY_FILE"
RECORDER = pytest.StashKey["Recorder"]()


@pytest.fixture(scope="session")
def runbook_loaded() -> Any:
    """The runbook under verification (``RUNBOOK_VERIFY_FILE``, default the example)."""
    from runbook.loader import load

    return load(Path(os.environ.get(RUNBOOK_ENV, ROOT / "runbook.yaml")))


@pytest.fixture(scope="session")
def docker_client() -> Any:
    from runbook.target import daemon

    return daemon.client()


@pytest.fixture(scope="session")
def target(tmp_path_factory: pytest.TempPathFactory, docker_client: Any) -> Iterator[Any]:
    """One running staging target for the whole session, removed at the end."""
    from runbook.target import container, image

    state_dir = tmp_path_factory.mktemp("target")
    built = image.ensure_image(docker_client)
    started = container.start(docker_client, built.tag, state_dir)
    try:
        yield started
    finally:
        container.remove(docker_client, state_dir)


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


def pytest_sessionfinish(session: pytest.Session) -> None:
    path = os.environ.get(RESULTS_ENV)
    if path:
        records = session.config.stash[RECORDER].records
        Path(path).write_text(json.dumps(records, indent=2, default=str), encoding="utf-8")


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """Measurements of the scenarios: script run times and probe counts."""
    lines = []
    for record in config.stash[RECORDER].records:
        for run in record.get("script_runs", []):
            probe = run.get("probe")
            lines.append(
                f"{run['command']:<60} exit {run['exit_code']} {run['seconds']:6.1f} s"
                + (
                    f"  probe: {probe['requests']} requests, {probe['failures']} failed"
                    f" ({probe['expected_unhealthy']} deliberate 503)"
                    if probe
                    else ""
                )
            )
    if lines:
        terminalreporter.section("staging target measurements")
        for line in lines:
            terminalreporter.write_line(line)
