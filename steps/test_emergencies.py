"""specs/emergencies.feature: the diagnosis commands run on the target as the deploy user."""

from __future__ import annotations

from typing import Any

import pytest
from pytest_bdd import parsers, scenarios, then, when

from steps.conftest import World

pytestmark = pytest.mark.container
scenarios("emergencies.feature")


@when(
    parsers.parse("the on-call engineer runs each diagnosis command of {emergency} on the target"),
    target_fixture="diagnoses",
)
def run_diagnosis(
    world: World, runbook_loaded: Any, ssh: Any, emergency: str
) -> list[tuple[str, int, str]]:
    world.properties.append(("emergency", emergency))
    results = []
    for item in runbook_loaded.runbook.emergencies[emergency].diagnosis:
        result = ssh.run(item.command, warn=True, hide=True, timeout=30, in_stream=False)
        results.append((item.command, int(result.exited), result.stdout + result.stderr))
    return results


@then("every diagnosis command exits with code 0 and prints a result")
def diagnosis_ok(diagnoses: list[tuple[str, int, str]]) -> None:
    assert diagnoses
    for command, code, output in diagnoses:
        assert code == 0, f"{command}: exit {code}: {output}"
        assert output.strip(), f"{command}: no output"
