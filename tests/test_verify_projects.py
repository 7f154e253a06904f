"""Every project proves its own runbook on its own target, from a wheel in a fresh venv.

The wheel is built from this checkout and installed (not editable) into a new virtual
environment; each project is copied to a directory of its own, far from this repository,
and `runbook verify` runs there: the bundled example (Python, gunicorn, PostgreSQL), the
shop (Node.js, SQLite, runit) and a project fresh from `runbook init` (after build and
check). They run in the background from the start of the session (tests/container_runs.py),
each on its own container; the figures (scenarios, probe counts, time) are printed for the
record.
"""

from __future__ import annotations

import json
import re

import pytest
from container_runs import PYTEST_ARGS, Background, cli

pytestmark = pytest.mark.container


@pytest.mark.parametrize("name", ["example", "shop", "init"])
def test_the_project_proves_every_procedure(containers: Background, name: str) -> None:
    run = containers[name]
    output = run.output
    print(f"\n== {name}: runbook verify took {run.seconds:.0f} s")
    print(output[output.find("staging target measurements") - 40 :][-6000:])
    assert run.returncode == 0, output[-6000:]
    record = run.record()
    assert record["outcome"] == "passed"
    procedures = record["procedures"]
    assert isinstance(procedures, dict) and procedures
    from runbook.loader import load

    playbooks = {
        pid
        for pid, p in load(run.directory / "runbook.yaml").runbook.procedures.items()
        if p.playbook
    }
    for pid, result in procedures.items():
        if name in PYTEST_ARGS and pid in playbooks:
            assert result["scenarios"] == {}, (pid, result)  # deselected: the fleet suite's
            continue
        assert result["outcome"] == "passed", (pid, result)
        assert len(result["scenarios"]) >= 2, (pid, result["scenarios"])
        assert set(result["scenarios"].values()) == {"passed"}, (pid, result["scenarios"])
    steps = {s["outcome"] for r in procedures.values() for s in r["steps"].values()}
    assert steps and steps <= {"passed", "skipped"}, steps
    probes = re.findall(r"probe: (\d+) requests, (\d+) failed", output)
    assert len(probes) >= 8 and all(int(n) > 0 and f == "0" for n, f in probes), probes


def test_the_example_alert_fires_and_its_runs_become_its_history(containers: Background) -> None:
    """The example's own scenario saw the generated alert fire and resolve on its target, and
    `runbook history` makes the suite's script runs a history with every kind of outcome."""
    run = containers["example"]
    scenarios = run.record()["procedures"]["deploy-production"]["scenarios"]  # type: ignore[index]
    name = (
        "An unhealthy production release fires the application-down alert "
        "until the automatic rollback"
    )
    assert scenarios[name] == "passed", scenarios
    done = cli(
        containers.installed(), "history", "--from", ".runbook/verify-logs", cwd=run.directory
    )
    assert done.returncode == 0, done.stdout + done.stderr
    history = json.loads((run.directory / "history.json").read_text(encoding="utf-8"))
    outcomes = {r["outcome"] for r in history["runs"]}
    assert {"success", "rolled-back", "refused"} <= outcomes, outcomes
    assert all(r["user"] and r["run"] for r in history["runs"])
