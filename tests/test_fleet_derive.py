"""The fleet scenarios derived from the runbook: one feature per playbook, tagged @fleet."""

from __future__ import annotations

from pathlib import Path

import yaml
from test_scripts_support import loaded_from

from runbook.loader import load
from runbook.scenarios.derive import features

ROOT = Path(__file__).resolve().parent.parent


def _titles(text: str) -> list[str]:
    return [line.split("Scenario: ", 1)[1] for line in text.splitlines() if "Scenario: " in line]


def test_each_playbook_of_the_fleet_gets_its_scenarios() -> None:
    derived = features(load(ROOT / "runbook.yaml"))
    deploy = derived["fleet-deploy-fleet.feature"]
    assert deploy.splitlines()[1] == "@fleet"
    assert _titles(deploy) == [
        "deploy-fleet rolls the newest release over the fleet with no failed request",
        "deploy-fleet rolls the first batch back when its release fails the health check",
        "deploy-fleet stops as max_fail_percentage says when a host is lost mid-roll",
        "deploy-fleet is refused while another run holds the deploy lock on one host",
    ]
    assert "And the first batch serves the newest release\n" in deploy  # earlier_batches: keep
    assert _titles(derived["fleet-rollback-fleet.feature"]) == [
        "rollback-fleet takes the whole fleet back to the baseline release with no failed request"
    ]


def test_the_derived_text_follows_the_rolling_policy() -> None:
    data = yaml.safe_load((ROOT / "runbook.yaml").read_text(encoding="utf-8"))
    rolling = data["environments"]["production-fleet"]["rolling"]
    rolling["earlier_batches"] = "rollback"
    deploy = features(loaded_from(data))["fleet-deploy-fleet.feature"]
    assert "And the first batch serves the baseline release again\n" in deploy
    rolling["batch"] = "100%"  # one batch: no host to lose after the first one
    assert "lost mid-roll" not in features(loaded_from(data))["fleet-deploy-fleet.feature"]


def test_without_a_fleet_target_there_is_no_fleet_scenario() -> None:
    data = yaml.safe_load((ROOT / "runbook.yaml").read_text(encoding="utf-8"))
    del data["target"]["fleet"]
    assert not [name for name in features(loaded_from(data)) if name.startswith("fleet-")]
