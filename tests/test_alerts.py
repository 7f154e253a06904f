"""Alert rules, their promtool unit tests and the Alertmanager routing, from the runbook.

Unit tests build runbooks from the lint tests' small dict; the tool tests run the real
promtool and amtool (Debian's prometheus and prometheus-alertmanager, which `./dev test`
installs) on rendered files, including files made wrong on purpose, to prove each check
catches what it is there for.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from test_lint_rules import base, validated
from test_scripts_support import loaded_from

from runbook.alerts import render_monitoring
from runbook.alerts.routing import configuration, routing_expectations
from runbook.alerts.rules import alerts, rule_groups
from runbook.alerts.tools import check_monitoring
from runbook.alerts.unittests import cases, short_of
from runbook.cli import main

REPO = Path(__file__).resolve().parent.parent
needs_promtool = pytest.mark.skipif(
    shutil.which("promtool") is None, reason="promtool not installed (apt-get install prometheus)"
)
needs_amtool = pytest.mark.skipif(
    shutil.which("amtool") is None,
    reason="amtool not installed (apt-get install prometheus-alertmanager)",
)


def alerting() -> dict[str, Any]:
    """The lint tests' clean runbook with two metrics that carry queries."""
    data = base()
    data["severities"] += [
        {"level": "P1", "title": "High", "response_time": "< 15 min", "action": "Roll back maybe"},
    ]
    data["contacts"]["lead"] = {
        "name": "Lead",
        "role": "Decides",
        "channels": [{"kind": "slack", "value": "#ops"}, {"kind": "email", "value": "l@x.org"}],
    }
    data["escalation"].append(
        {"level": 2, "contact": "lead", "after_minutes": 15, "when": "Not fixed {{ soon }}"}
    )
    data["emergencies"]["down"]["escalate_to"] = 2
    data["monitoring"] = {
        "site_url": "https://runbooks.example.com/demo",
        "metrics": {
            "errors": {
                "title": "Errors {{ 5xx }}",
                "category": "app",
                "unit": "%",
                "direction": "above",
                "warning": 1,
                "critical": 5,
                "query": 'sum(rate(http_errors_total{code=~"5.."}[5m]))',
                "for": "2m",
                "emergency": "down",
            },
            "up": {
                "title": "Availability",
                "category": "app",
                "unit": "%",
                "direction": "below",
                "warning": 99.9,
                "critical": 99,
                "query": "100 * avg_over_time(up[1m])",
                "for": "30s",
            },
            "cpu": {
                "title": "CPU",
                "category": "host",
                "unit": "%",
                "direction": "above",
                "warning": 70,
                "critical": 90,
            },
        },
    }
    return data


def made(data: dict[str, Any]) -> dict[str, str]:
    validated(data)
    return render_monitoring(loaded_from(data))


def test_two_rules_per_metric_with_a_query_and_none_without() -> None:
    rules = alerts(validated(alerting()))
    assert [a.name for a in rules] == ["ErrorsWarning", "ErrorsCritical", "UpWarning", "UpCritical"]
    assert [a.expr for a in rules] == [
        "demo:errors >= 1",
        "demo:errors >= 5",
        "demo:up <= 99.9",
        "demo:up <= 99",
    ]
    [group] = rule_groups(validated(alerting()))["groups"]
    assert group["rules"][0] == {
        "record": "demo:errors",
        "expr": 'sum(rate(http_errors_total{code=~"5.."}[5m]))',
    }


def test_severity_follows_the_emergency_and_the_warning_is_one_level_lower() -> None:
    by_name = {a.name: a for a in alerts(validated(alerting()))}
    assert by_name["ErrorsCritical"].labels == {
        "service": "demo",
        "metric": "errors",
        "threshold": "critical",
        "severity": "P0",
        "emergency": "down",
        "escalate_to": "2",
    }
    assert by_name["ErrorsWarning"].labels["severity"] == "P1"
    # without an emergency: P2 for critical, P3 for the warning, no escalation label
    assert by_name["UpCritical"].labels["severity"] == "P2"
    assert by_name["UpWarning"].labels["severity"] == "P3"
    assert "escalate_to" not in by_name["UpCritical"].labels


def test_runbook_url_points_at_the_emergency_on_the_configured_site() -> None:
    by_name = {a.name: a for a in alerts(validated(alerting()))}
    assert (
        by_name["ErrorsCritical"].annotations["runbook_url"]
        == "https://runbooks.example.com/demo/incidents/emergencies/#emergency-down"
    )
    assert (
        by_name["UpCritical"].annotations["runbook_url"]
        == "https://runbooks.example.com/demo/operations/monitoring/"
    )


def test_runbook_text_cannot_become_a_template_action() -> None:
    alert = alerts(validated(alerting()))[1]
    assert alert.annotations["summary"].startswith('Errors {{ "{{" }} 5xx }}')
    assert "{{ $value" in alert.annotations["description"]
    assert "Roll back" in alert.annotations["description"]  # the matrix's action for P0


def test_just_short_of_a_threshold_is_on_the_harmless_side() -> None:
    rules = {a.name: a for a in alerts(validated(alerting()))}
    assert short_of(rules["ErrorsCritical"]) == 4.999
    assert short_of(rules["UpWarning"]) == 99.91
    assert short_of(rules["UpCritical"]) == 99.01


def test_four_cases_per_metric_each_checking_both_alerts() -> None:
    found = cases(validated(alerting()))
    assert len(found) == 8
    at_warning = found[0]
    assert at_warning["name"] == "errors: at the warning threshold held for 2m"
    assert at_warning["input_series"] == [{"series": "demo:errors", "values": "1x6"}]
    checks = [
        (c["alertname"], c["eval_time"], bool(c["exp_alerts"]))
        for c in at_warning["alert_rule_test"]
    ]
    # interval 30s (gcd of 2m and 30s): pending at 1m30s, firing at 2m; critical silent
    assert checks == [
        ("ErrorsWarning", "90s", False),
        ("ErrorsWarning", "2m", True),
        ("ErrorsCritical", "2m", False),
    ]
    short = found[1]
    assert all(not c["exp_alerts"] for c in short["alert_rule_test"])
    assert short["input_series"][0]["values"].startswith("0.999x")


def test_no_query_no_rules_no_escalation_no_routing() -> None:
    data = base()
    data["escalation"] = []
    assert made(data) == {}


def test_each_level_is_a_route_that_waits_its_after_minutes() -> None:
    config = configuration(validated(alerting()))
    first, second = config["route"]["routes"]
    assert first["receiver"] == "level-1-on-call" and first["group_wait"] == "30s"
    assert first["matchers"] == ['service="demo"'] and first["repeat_interval"] == "15m"
    assert second == {
        "receiver": "level-2-lead",
        "matchers": ['service="demo"', 'threshold="critical"', 'escalate_to=~"2"'],
        "group_wait": "15m",
        "repeat_interval": "4h",
        "continue": True,
    }
    assert routing_expectations(validated(alerting())) == [
        ({"service": "demo", "threshold": "warning", "escalate_to": "2"}, ["level-1-on-call"]),
        (
            {"service": "demo", "threshold": "critical", "escalate_to": "2"},
            ["level-1-on-call", "level-2-lead"],
        ),
        ({"service": "demo", "threshold": "warning"}, ["level-1-on-call"]),
        ({"service": "demo", "threshold": "critical"}, ["level-1-on-call"]),
    ]


def test_credentials_are_files_and_email_needs_a_relay() -> None:
    data = alerting()
    text = made(data)["monitoring/alertmanager.yml"]
    config = yaml.safe_load(text)
    assert config["global"]["slack_api_url_file"] == "/etc/alertmanager/secrets/slack-api-url"
    on_call, lead = config["receivers"]
    assert on_call["pagerduty_configs"][0]["routing_key_file"] == (
        "/etc/alertmanager/secrets/pagerduty-on-call"
    )
    assert "email_configs" not in lead
    assert (
        "# - email l@x.org: no receiver until monitoring.alertmanager.smtp_smarthost is set" in text
    )
    data["monitoring"]["alertmanager"] = {
        "secrets_dir": "/run/secrets/am",
        "smtp_smarthost": "mail.example.com:587",
        "smtp_from": "alerts@example.com",
        "smtp_username": "alerts",
    }
    config = yaml.safe_load(made(data)["monitoring/alertmanager.yml"])
    assert config["global"]["smtp_auth_password_file"] == "/run/secrets/am/smtp-password"
    assert config["receivers"][1]["email_configs"] == [{"to": "l@x.org", "send_resolved": True}]


def test_every_file_says_it_is_generated_and_from_what() -> None:
    for rel, text in made(alerting()).items():
        head = text.splitlines()[:2]
        assert head[0].startswith("# Generated by `runbook build` from "), rel
        assert "sha256 " + "0" * 64 in head[0] and "runbook build" in head[1], rel
        yaml.safe_load(text)  # the header is a comment: the file still parses


def test_the_escalation_text_stays_in_comments() -> None:
    data = alerting()
    data["escalation"][1]["when"] = "line one route: {receiver: evil} # x: 1"
    text = made(data)["monitoring/alertmanager.yml"]
    assert yaml.safe_load(text)["route"]["receiver"] == "level-1-on-call"
    assert "# level 2: Lead after 15 min (level-2-lead): line one route: {receiver: evil}" in text


# ---------------------------------------------------------------- the real tools


def _check(outputs: dict[str, str], data: dict[str, Any], root: Path) -> Any:
    return check_monitoring(validated(data), outputs, root)


@needs_promtool
@needs_amtool
def test_the_tools_pass_on_what_the_runbook_renders(tmp_path: Path) -> None:
    report = _check(made(alerting()), alerting(), tmp_path)
    assert report.issues == [] and report.notes == []
    assert report.ran == [
        "promtool check rules",
        "promtool test rules",
        "amtool check-config",
        "amtool config routes test (4 label sets)",
    ]


@needs_promtool
def test_promtool_test_rules_catches_a_rule_off_its_threshold(tmp_path: Path) -> None:
    """Rules from a runbook whose critical threshold moved, tests from the original one."""
    moved = alerting()
    moved["monitoring"]["metrics"]["errors"]["critical"] = 6
    outputs = made(alerting())
    outputs["monitoring/alert-rules.yml"] = made(moved)["monitoring/alert-rules.yml"]
    [issue] = _check(outputs, alerting(), tmp_path).issues
    assert issue.rule == "promtool" and issue.message.startswith("promtool test rules failed")
    assert issue.file.endswith("monitoring/alert-rules.test.yml")
    assert "ErrorsCritical" in issue.detail


@needs_promtool
def test_promtool_test_rules_catches_a_rule_that_does_not_wait_its_for(tmp_path: Path) -> None:
    hasty = alerting()
    hasty["monitoring"]["metrics"]["errors"]["for"] = "1m"
    outputs = made(alerting())
    outputs["monitoring/alert-rules.yml"] = made(hasty)["monitoring/alert-rules.yml"]
    [issue] = _check(outputs, alerting(), tmp_path).issues
    assert "promtool test rules failed" in issue.message and "ErrorsWarning" in issue.detail


@needs_promtool
def test_promtool_check_rules_catches_a_query_that_is_not_promql(tmp_path: Path) -> None:
    data = alerting()
    data["monitoring"]["metrics"]["errors"]["query"] = "sum(rate(errors[5m])"
    [issue] = _check(made(data), data, tmp_path).issues
    assert issue.message.startswith("promtool check rules failed")
    assert issue.file.endswith("monitoring/alert-rules.yml")


@needs_amtool
def test_amtool_catches_routing_that_leaves_out_a_level(tmp_path: Path) -> None:
    """A configuration whose level 2 route matches nothing: the routing test names it."""
    outputs = made(alerting())
    config = yaml.safe_load(outputs["monitoring/alertmanager.yml"])
    config["route"]["routes"][1]["matchers"].append('emergency="nothing"')
    outputs["monitoring/alertmanager.yml"] = yaml.safe_dump(config)
    issues = _check(outputs, alerting(), tmp_path).issues
    assert [i.rule for i in issues] == ["amtool"]
    assert "escalate_to=2" in issues[0].message and "level-2-lead" in issues[0].message


def _project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copy(REPO / "runbook.yaml", tmp_path / "runbook.yaml")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["build", "--no-site", "runbook.yaml"])
    assert result.exit_code == 0, result.output
    return tmp_path


def test_build_writes_the_monitoring_files_and_check_finds_them_edited(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(tmp_path, monkeypatch)
    rules = root / "monitoring" / "alert-rules.yml"
    assert {p.name for p in (root / "monitoring").iterdir()} == {
        "alert-rules.yml",
        "alert-rules.test.yml",
        "alertmanager.yml",
    }
    rules.write_text(rules.read_text().replace(">= 5\n", ">= 50\n"))
    result = CliRunner().invoke(main, ["check", "runbook.yaml"])
    assert result.exit_code == 1
    assert "monitoring/alert-rules.yml:" in result.output and "drift" in result.output


def test_check_without_the_tools_says_so_and_skips_only_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _project(tmp_path, monkeypatch)
    empty = tmp_path / "no-tools"  # bash, and nothing of Prometheus
    empty.mkdir()
    (empty / "bash").symlink_to(shutil.which("bash") or "/bin/bash")
    monkeypatch.setenv("PATH", str(empty))
    result = CliRunner().invoke(main, ["check", "runbook.yaml"])
    assert result.exit_code == 0, result.output
    assert (
        "warning: promtool is not installed: skipped `promtool check rules` and `test rules` "
        "on monitoring/alert-rules.yml (Debian: apt-get install prometheus)"
    ) in result.stderr
    assert "warning: amtool is not installed" in result.stderr
    assert "shellcheck is clean on 4 scripts" in result.stdout
    assert "promtool" not in result.stdout
    json_result = CliRunner().invoke(main, ["check", "--format", "json", "runbook.yaml"])
    assert len(yaml.safe_load(json_result.stdout)["notes"]) == 2


@needs_promtool
@needs_amtool
def test_check_runs_the_tools_on_the_example(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _project(tmp_path, monkeypatch)
    result = CliRunner().invoke(main, ["check", "runbook.yaml"])
    assert result.exit_code == 0, result.output
    assert "promtool check rules, promtool test rules, amtool check-config" in result.stdout


def test_the_example_alerts_every_metric_and_routes_every_level() -> None:
    from runbook.loader import load

    loaded = load(REPO / "runbook.yaml")
    rules = alerts(loaded.runbook)
    assert len(rules) == 2 * len(loaded.runbook.monitoring.metrics) == 20  # type: ignore[union-attr]
    down = next(a for a in rules if a.name == "AvailabilityCritical")
    assert down.labels["severity"] == "P0" and down.labels["emergency"] == "application-down"
    assert down.annotations["runbook_url"].endswith(
        "/incidents/emergencies/#emergency-application-down"
    )
    assert len(cases(loaded.runbook)) == 40
    assert copy.deepcopy(configuration(loaded.runbook))["receivers"][0]["name"] == "level-1-on-call"


def test_the_alerts_page_says_what_fires_and_where_it_leads() -> None:
    from runbook.loader import load
    from runbook.site.pages import pages

    page = pages(load(REPO / "runbook.yaml"))["operations/alerts.md"]
    assert (
        "| `AvailabilityCritical` | P0 | Availability <= 99% | 1m | "
        "[Application down](../incidents/emergencies.md#emergency-application-down) |"
    ) in page
    assert page.count("| `") == 20 + 4  # twenty alerts, four escalation levels
    assert "| 2 (Team lead) | `level-2-team-lead` |" in page


def test_a_runbook_without_queries_says_it_has_no_rules() -> None:
    from runbook.site.pages import pages

    page = pages(loaded_from(base()))["operations/alerts.md"]
    assert "No metric has a `query`" in page
