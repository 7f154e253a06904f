"""Ignores: per file and per step, each with a reason; unknown rule ids are findings (RB011).

Findings are located in the YAML file the way `runbook check` prints them.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_lint_rules import base, rules_fired, stages, validated

from runbook.lint import lint, lint_loaded, rule_by_id
from runbook.loader import load

REPO = Path(__file__).resolve().parent.parent


def _two_reloads() -> dict[str, Any]:
    """RB003 fires twice: on `reload-app` and on `bounce`, which no health check follows."""
    data = copy.deepcopy(base())
    data["steps"]["bounce"] = {"title": "Bounce", "command": "systemctl restart app"}
    stages(data, "deploy-staging")[2]["steps"] = ["prune", "bounce"]
    return data


def test_two_reloads_fire_twice() -> None:
    assert rules_fired(_two_reloads()) == ["RB003", "RB003"]


def test_file_ignore_switches_a_rule_off_everywhere() -> None:
    data = _two_reloads()
    data["lint"] = {"ignore": [{"rule": "RB003", "reason": "checked by the scenarios"}]}
    assert rules_fired(data) == []


def test_step_ignore_switches_a_rule_off_for_that_step_only() -> None:
    data = _two_reloads()
    data["steps"]["bounce"]["ignore"] = [{"rule": "RB003", "reason": "a canary checks it"}]
    assert rules_fired(data) == ["RB003"]


def test_step_ignore_of_another_rule_changes_nothing() -> None:
    data = _two_reloads()
    data["steps"]["bounce"]["ignore"] = [{"rule": "RB001", "reason": "not a migration"}]
    assert rules_fired(data) == ["RB003", "RB003"]


@pytest.mark.parametrize(
    ("where", "rule", "message"),
    [
        ("file", "RB-003", "unknown lint rule 'RB-003' (did you mean 'RB003'?)"),
        ("step", "RB0003", "unknown lint rule 'RB0003' (did you mean 'RB003'?)"),
        ("file", "no-literal-secrets", "unknown lint rule 'no-literal-secrets'"),
    ],
)
def test_unknown_rule_ids_are_findings(where: str, rule: str, message: str) -> None:
    data = copy.deepcopy(base())
    ignore = [{"rule": rule, "reason": "typo"}]
    if where == "file":
        data["lint"] = {"ignore": ignore}
    else:
        data["steps"]["build"]["ignore"] = ignore
    [finding] = lint(validated(data))
    assert (finding.rule, finding.message) == ("RB011", message)


@pytest.mark.parametrize("where", ["file", "step"])
def test_a_blank_reason_is_a_finding(where: str) -> None:
    data = copy.deepcopy(base())
    ignore = [{"rule": "RB003", "reason": "   "}]
    if where == "file":
        data["lint"] = {"ignore": ignore}
    else:
        data["steps"]["build"]["ignore"] = ignore
    [finding] = lint(validated(data))
    assert (finding.rule, finding.message) == ("RB011", "the ignore of RB003 gives no reason")
    assert finding.path.endswith("ignore[0].reason")


def test_unknown_ignore_cannot_be_ignored() -> None:
    data = copy.deepcopy(base())
    data["lint"] = {
        "ignore": [{"rule": "RB011", "reason": "quiet"}, {"rule": "RB99", "reason": "x"}]
    }
    assert rules_fired(data) == ["RB011"]
    assert not rule_by_id("RB011").ignorable


def test_findings_are_located_in_the_yaml(tmp_path: Path) -> None:
    data = _two_reloads()
    data["lint"] = {"ignore": [{"rule": "RB3", "reason": "typo"}]}
    source = tmp_path / "runbook.yaml"
    source.write_text(yaml.safe_dump(data, sort_keys=False))
    lines = source.read_text().splitlines()
    findings = lint_loaded(load(source))
    assert sorted(f.rule for f in findings) == ["RB003", "RB003", "RB011"]
    for finding in findings:
        assert finding.location is not None
        assert finding.location.file.endswith("runbook.yaml")
        text = lines[finding.location.line - 1]
        expected = {"RB011": "RB3", "RB003": finding.step}[finding.rule]
        assert expected is not None and expected in text
        assert str(finding).startswith(f"{finding.location}: {finding.rule} ")


def test_the_example_runbook_lints_clean() -> None:
    assert lint_loaded(load(REPO / "runbook.yaml")) == []
