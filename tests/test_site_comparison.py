"""The script comparison table is computed from the model, not typed."""

from __future__ import annotations

from pathlib import Path

import pytest

from runbook.loader import load
from runbook.model import Step
from runbook.site.comparison import ROWS, column, comparison, uses_helper, uses_variable

EXAMPLE = Path(__file__).resolve().parents[1] / "runbook.yaml"


@pytest.fixture(scope="module")
def table() -> dict[str, dict[str, str]]:
    runbook = load(EXAMPLE).runbook
    return {c.procedure_id: dict(zip(ROWS, c.cells(), strict=True)) for c in comparison(runbook)}


@pytest.mark.parametrize(
    ("procedure", "row", "value"),
    [
        ("deploy-staging", "Version tag required", "No"),
        ("deploy-staging", "Confirmations", "0"),
        ("deploy-staging", "Backup creation", "Yes"),
        ("deploy-staging", "Security scan", "No"),
        ("deploy-staging", "Auto rollback", "Yes"),
        ("deploy-staging", "Endpoint testing", "1"),
        ("deploy-production", "Version tag required", "Yes"),
        ("deploy-production", "Confirmations", "2"),
        ("deploy-production", "Security scan", "Yes"),
        ("deploy-production", "Health check", "Yes"),
        ("deploy-production", "Auto rollback", "Yes"),
        ("deploy-production", "Database restore", "No"),
        ("deploy-production", "Endpoint testing", "7"),
        ("rollback-production", "Version tag required", "Optional"),
        ("rollback-production", "Confirmations", "3"),
        ("rollback-production", "Auto rollback", "N/A"),
        ("rollback-production", "Database restore", "Optional"),
        ("rollback-production", "Endpoint testing", "3"),
        ("rollback-staging", "Database restore", "No"),
        ("rollback-staging", "Endpoint testing", "No"),
    ],
)
def test_example_comparison(
    table: dict[str, dict[str, str]], procedure: str, row: str, value: str
) -> None:
    assert table[procedure][row] == value


def test_confirmations_follow_the_steps() -> None:
    """Adding a confirm question to a step adds one to every procedure that runs it."""
    loaded = load(EXAMPLE)
    runbook = loaded.runbook
    steps = dict(runbook.steps)
    steps["check-branch"] = steps["check-branch"].model_copy(update={"confirm": "Sure?"})
    changed = runbook.model_copy(update={"steps": steps})
    assert column(changed, "deploy-staging").confirmations == 1
    assert column(changed, "deploy-production").confirmations == 3


def test_endpoint_count_needs_a_step_that_tests_them() -> None:
    runbook = load(EXAMPLE).runbook
    procs = dict(runbook.procedures)
    prod = procs["deploy-production"]
    stages = [
        s.model_copy(update={"steps": [x for x in s.steps if x != "test-endpoints"]})
        for s in prod.stages
    ]
    procs["deploy-production"] = prod.model_copy(update={"stages": stages})
    assert (
        column(runbook.model_copy(update={"procedures": procs}), "deploy-production").endpoints == 0
    )


@pytest.mark.parametrize(
    ("command", "name", "expected"),
    [
        ('curl "$HEALTH_URL"', "HEALTH_URL", True),
        ("curl ${HEALTH_URL}", "HEALTH_URL", True),
        ('curl "$HEALTH_URL_2"', "HEALTH_URL", False),
        ("echo HEALTH_URL", "HEALTH_URL", False),
    ],
)
def test_uses_variable(command: str, name: str, expected: bool) -> None:
    assert uses_variable(Step(title="t", command=command), name) is expected


@pytest.mark.parametrize(
    ("command", "expected"),
    [("check_endpoints", True), ("true && check_endpoints", True), ("my_check_endpoints", False)],
)
def test_uses_helper(command: str, expected: bool) -> None:
    assert uses_helper(Step(title="t", command=command), "check_endpoints") is expected
