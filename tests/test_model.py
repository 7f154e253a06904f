"""Small facts the model answers once for every renderer."""

from __future__ import annotations

import pytest

from runbook.model import Step


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$BACKUP_FILE", True),
        ("${BACKUP_FILE}", True),
        (" $BACKUP_FILE ", True),
        ("$ARTIFACT", False),
        ("$BACKUP_FILE.log", False),
    ],
)
def test_writes_backup_means_the_expected_file_is_the_backup(path: str, expected: bool) -> None:
    step = Step.model_validate({"title": "t", "command": "x", "expect": {"file": {"path": path}}})
    assert step.writes_backup is expected


def test_a_step_without_a_file_expectation_writes_no_backup() -> None:
    assert Step(title="t", command="pg_dump app").writes_backup is False
