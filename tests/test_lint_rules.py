"""Each lint rule fires on what it forbids and stays quiet on what it allows.

Runbooks are built from a small dict that lints clean (``base()``); each case changes one
thing and names the rules it expects to fire. The dict is validated like a real file, so a
case never tests a runbook that `runbook validate` would refuse.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from runbook.errors import Problem
from runbook.lint import RULES, lint
from runbook.model import Runbook
from runbook.references import check_references
from runbook.yamlsrc import SourceMap

Data = dict[str, Any]

STAGING = {
    "title": "Staging",
    "host": "staging.example.internal",
    "ssh_user": "deploy",
    "deploy_path": "/srv/app",
}
PRODUCTION = {
    **STAGING,
    "title": "Production",
    "host": "app.example.internal",
    "require_tag": True,
    "confirmations": 1,
}


def _deploy(env: str, first: list[str]) -> Data:
    return {
        "title": f"Deploy to {env}",
        "kind": "deploy",
        "environment": env,
        "stages": [
            {"title": "Prepare", "steps": first},
            {"title": "Deploy", "steps": ["backup-database", "migrate", "switch", "reload-app"]},
            {"title": "Verify", "steps": ["health-check", "prune"]},
        ],
        "point_of_no_return": "switch",
        "rollback_steps": ["restore", "reload-app", "health-check"],
    }


def _rollback(env: str, first: list[str]) -> Data:
    stages = [{"title": "Confirm", "steps": first}] if first else []
    stages.append({"title": "Roll back", "steps": ["switch", "reload-app", "health-check"]})
    return {
        "title": f"Roll back {env}",
        "kind": "rollback",
        "environment": env,
        "stages": stages,
        "point_of_no_return": "switch",
    }


def base() -> Data:
    """A small runbook on which no rule fires."""
    remote = {"runs_on": "remote"}
    return {
        "service": {"name": "demo"},
        "environments": {"staging": dict(STAGING), "production": dict(PRODUCTION)},
        "steps": {
            "build": {"title": "Build", "command": "make build"},
            "confirm": {"title": "Confirm", "confirm": "Deploy $VERSION?", "dangerous": True},
            "backup-database": {
                **remote,
                "title": "Back up",
                "command": 'pg_dump -Fc -f "$BACKUP_FILE" app',
            },
            "migrate": {**remote, "title": "Migrate", "command": 'bash "$RELEASE_DIR/migrate.sh"'},
            "switch": {
                **remote,
                "title": "Switch",
                "command": 'ln -sfn "$RELEASE_DIR" current',
                "dangerous": True,
                "on_failure": "rollback",
            },
            "reload-app": {
                **remote,
                "title": "Reload",
                "on_failure": "rollback",
                "command": 'kill -HUP "$(cat /srv/app/shared/app.pid)"',
            },
            "health-check": {
                **remote,
                "title": "Health",
                "command": 'curl -fsS "$HEALTH_URL"',
                "on_failure": "rollback",
            },
            "prune": {**remote, "title": "Prune", "command": "ls", "on_failure": "continue"},
            "restore": {**remote, "title": "Restore", "command": "ln -sfn previous current"},
        },
        "procedures": {
            "deploy-staging": _deploy("staging", ["build"]),
            "deploy-production": _deploy("production", ["build", "confirm"]),
            "rollback-staging": _rollback("staging", []),
            "rollback-production": _rollback("production", ["confirm"]),
        },
        "contacts": {
            "on-call": {
                "name": "On call",
                "role": "First responder",
                "channels": [{"kind": "pager", "value": "rota"}],
            }
        },
        "escalation": [{"level": 1, "contact": "on-call", "after_minutes": 0, "when": "Alert"}],
        "checklists": {
            "before": {
                "title": "Before",
                "category": "pre-deployment",
                "items": [{"text": "Tests pass", "check": "make test"}],
            }
        },
        "commands": {
            "db": {"title": "Database", "commands": [{"title": "Up?", "command": "pg_isready"}]}
        },
        "emergencies": {
            "down": {
                "title": "Down",
                "severity": "P0",
                "symptoms": ["No answer"],
                "diagnosis": [{"title": "State", "command": "supervisorctl status"}],
                "actions": ["Roll back"],
            }
        },
        "severities": [
            {"level": "P0", "title": "Critical", "response_time": "< 5 min", "action": "Roll back"}
        ],
        "monitoring": {
            "metrics": {
                "errors": {
                    "title": "Errors",
                    "category": "app",
                    "unit": "%",
                    "direction": "above",
                    "warning": 1,
                    "critical": 5,
                }
            }
        },
    }


def validated(data: Data) -> Runbook:
    """The model of ``data``, refusing any case that would not pass `runbook validate`."""
    runbook = Runbook.model_validate(data)
    problems: list[Problem] = check_references(runbook, SourceMap())
    assert not problems, [str(p) for p in problems]
    return runbook


def rules_fired(data: Data) -> list[str]:
    return [f.rule for f in lint(validated(data))]


def stages(data: Data, pid: str) -> list[Data]:
    result: list[Data] = data["procedures"][pid]["stages"]
    return result


def step(data: Data, sid: str) -> Data:
    result: Data = data["steps"][sid]
    return result


def _remove(pid: str, sid: str) -> Callable[[Data], None]:
    def change(data: Data) -> None:
        for stage in stages(data, pid):
            if sid in stage["steps"]:
                stage["steps"].remove(sid)

    return change


def _set(sid: str, **values: Any) -> Callable[[Data], None]:
    def change(data: Data) -> None:
        step(data, sid).update(values)

    return change


def _add_step(
    sid: str, body: Data, pid: str, stage: int, at: int | None = None
) -> Callable[[Data], None]:
    def change(data: Data) -> None:
        data["steps"][sid] = body
        steps = stages(data, pid)[stage]["steps"]
        steps.insert(len(steps) if at is None else at, sid)

    return change


def _metric(**values: Any) -> Callable[[Data], None]:
    def change(data: Data) -> None:
        data["monitoring"]["metrics"]["errors"].update(values)

    return change


def _channels(*channels: Data) -> Callable[[Data], None]:
    def change(data: Data) -> None:
        data["contacts"]["on-call"]["channels"] = list(channels)

    return change


def _actions(*actions: str) -> Callable[[Data], None]:
    def change(data: Data) -> None:
        data["emergencies"]["down"]["actions"] = list(actions)

    return change


def _matrix(action: str) -> Callable[[Data], None]:
    def change(data: Data) -> None:
        data["severities"][0]["action"] = action

    return change


def _chain(*changes: Callable[[Data], None]) -> Callable[[Data], None]:
    def change(data: Data) -> None:
        for one in changes:
            one(data)

    return change


def _proc(pid: str, **values: Any) -> Callable[[Data], None]:
    def change(data: Data) -> None:
        data["procedures"][pid].update(values)

    return change


CASES: list[tuple[str, Callable[[Data], None], list[str]]] = [
    # RB001 backup before migration, production only
    (
        "production-migrates-without-backup",
        _remove("deploy-production", "backup-database"),
        ["RB001"],
    ),
    ("staging-migrates-without-backup", _remove("deploy-staging", "backup-database"), []),
    (
        "backup-after-migration",
        lambda d: stages(d, "deploy-production")[1].update(
            steps=["migrate", "backup-database", "switch", "reload-app"]
        ),
        ["RB001"],
    ),
    (
        "migration-found-by-command",
        _chain(
            _remove("deploy-production", "backup-database"),
            _set("migrate", command="alembic upgrade head"),
        ),
        ["RB001"],
    ),
    (
        "backup-found-by-expected-file",
        _set("backup-database", command="custom-dump", expect={"file": {"path": "$BACKUP_FILE"}}),
        [],
    ),
    (
        "migration-id-with-dump-tool-command",
        _chain(
            _remove("deploy-production", "backup-database"),
            _set("migrate", command="bash migrate-data.sh"),
        ),
        ["RB001"],
    ),
    # RB002 a way back after the point of no return
    (
        "health-check-continues-after-point",
        _set("health-check", on_failure="continue"),
        ["RB002"] * 4,
    ),
    ("reload-continues-after-point", _set("reload-app", on_failure="continue"), ["RB002"] * 4),
    ("continue-before-point", _set("build", on_failure="continue"), []),
    ("housekeeping-after-last-health-check", lambda d: None, []),
    (
        "rollback-promised-without-point",
        _proc("rollback-staging", point_of_no_return=None),
        ["RB002", "RB002", "RB002"],
    ),
    (
        "no-rollback-promised-without-point",
        _chain(
            _proc("rollback-staging", point_of_no_return=None),
            _set("switch", on_failure="abort"),
            _set("reload-app", on_failure="abort"),
            _set("health-check", on_failure="abort"),
        ),
        [],
    ),
    # RB003 health check after restart or reload
    ("reload-without-health-check", _remove("deploy-staging", "health-check"), ["RB003"]),
    (
        "rollback-steps-reload-without-health-check",
        _proc("deploy-staging", rollback_steps=["restore", "reload-app"]),
        ["RB003"],
    ),
    (
        "restart-found-by-command",
        _add_step(
            "bounce",
            {"title": "Bounce", "command": "sudo systemctl restart app"},
            "deploy-staging",
            2,
        ),
        ["RB003"],
    ),
    (
        "nginx-reload-found-by-command",
        _add_step("web", {"title": "Web", "command": "nginx -s reload"}, "deploy-staging", 2),
        ["RB003"],
    ),
    (
        "restart-followed-by-endpoint-check",
        _chain(
            _add_step(
                "bounce",
                {"title": "Bounce", "command": "supervisorctl restart app"},
                "deploy-staging",
                2,
                at=1,
            ),
            _add_step(
                "smoke",
                {"title": "Endpoints", "command": "check_endpoints"},
                "deploy-staging",
                2,
                at=2,
            ),
        ),
        [],
    ),
    # RB004 dangerous production steps ask first
    (
        "production-rollback-without-confirmation",
        lambda d: stages(d, "rollback-production").pop(0),
        ["RB004"],
    ),
    (
        "confirmation-after-the-dangerous-step",
        lambda d: (
            stages(d, "deploy-production")[0]["steps"].remove("confirm"),
            stages(d, "deploy-production")[2]["steps"].append("confirm"),
        ),
        ["RB004"],
    ),
    (
        "dangerous-step-asks-itself",
        _chain(
            lambda d: stages(d, "rollback-production").pop(0),
            _set("switch", confirm="Switch production?"),
        ),
        [],
    ),
    ("dangerous-staging-step-without-confirmation", lambda d: None, []),
    ("dangerous-only-in-automatic-rollback", _chain(_set("restore", dangerous=True)), []),
    # RB005 escalation contacts reachable
    (
        "contact-without-channels",
        lambda d: d["contacts"]["on-call"].update(channels=[]),
        ["RB005", "RB040"],
    ),
    (
        "contact-with-blank-channel",
        lambda d: d["contacts"]["on-call"].update(channels=[{"kind": "email", "value": "  "}]),
        ["RB005", "RB040"],
    ),
    (
        "contact-not-escalated-without-channels",
        lambda d: d["contacts"].update(spare={"name": "Spare", "role": "None"}),
        [],
    ),
    # RB040 reachable out of hours
    ("only-chat-and-email", _channels({"kind": "slack", "value": "#ops"}), ["RB040"]),
    (
        "phone-in-business-hours-only",
        _channels({"kind": "phone", "value": "+1 555 0100", "hours": "business"}),
        ["RB040"],
    ),
    ("phone-at-any-hour", _channels({"kind": "phone", "value": "+1 555 0100"}), []),
    (
        "level-only-for-a-severity-that-waits",
        _chain(
            _channels({"kind": "email", "value": "a@example.com"}),
            lambda d: d["severities"].append(
                {
                    "level": "P3",
                    "title": "Low",
                    "response_time": "Next deployment",
                    "action": "Fix forward",
                    "out_of_hours": False,
                }
            ),
            lambda d: d["escalation"][0].update(severities=["P3"]),
        ),
        [],
    ),
    # RB041 the matrix and the emergencies agree
    ("emergency-never-rolls-back", _actions("Call the database admin."), ["RB041"]),
    ("emergency-says-not-to", _actions("Do not roll back: the data is the problem."), ["RB041"]),
    ("emergency-rolls-back-if", _actions("If a deployment caused it, roll back."), []),
    (
        "matrix-fixes-forward-emergency-rolls-back-now",
        _chain(_matrix("Fix forward"), _actions("Roll back now.")),
        ["RB041"],
    ),
    ("matrix-rolls-back-if", _chain(_matrix("Roll back if it escalates"), _actions("Wait.")), []),
    (
        "script-name-is-not-advice",
        _actions("Run scripts/rollback-production.sh --help."),
        ["RB041"],
    ),
    # RB006 thresholds that can fire
    # (nan and infinite thresholds are refused by the model: tests/test_model_text.py)
    ("percent-above-100", _metric(critical=150), ["RB006"]),
    ("percent-below-0", _metric(direction="below", warning=-1, critical=-5), ["RB006", "RB006"]),
    ("milliseconds-above-100", _metric(unit="ms", warning=500, critical=1500), []),
    ("no-monitoring", lambda d: d.pop("monitoring"), []),
    # RB007 checklists not empty
    ("empty-checklist", lambda d: d["checklists"]["before"].update(items=[]), ["RB007"]),
    ("one-item-checklist", lambda d: d["checklists"]["before"].update(items=[{"text": "x"}]), []),
    # RB008 secrets (the patterns have their own table below)
    ("secret-in-step", _set("build", command="PGPASSWORD=hunter22 make build"), ["RB008"]),
    (
        "secret-in-checklist",
        lambda d: d["checklists"]["before"]["items"][0].update(
            check="curl -H 'Authorization: Bearer abcdef0123456789' http://127.0.0.1/"
        ),
        ["RB008"],
    ),
    (
        "secret-in-useful-command",
        lambda d: d["commands"]["db"]["commands"][0].update(
            command="psql postgres://app:hunter22@db/app"
        ),
        ["RB008"],
    ),
    (
        "secret-in-diagnosis",
        lambda d: d["emergencies"]["down"]["diagnosis"][0].update(
            command="aws s3 ls --access-key AKIAABCDEFGHIJKLMNOP"
        ),
        ["RB008"],
    ),
    (
        "secret-from-environment",
        _set("build", command='PGPASSWORD="${DB_PASSWORD:?}" make build'),
        [],
    ),
    # RB009 navigation
    (
        "duplicate-procedure-titles",
        _proc("rollback-production", title="roll back  STAGING"),
        ["RB009"],
    ),
    (
        "duplicate-stage-titles",
        lambda d: stages(d, "deploy-staging")[2].update(title="Deploy"),
        ["RB009"],
    ),
    ("same-stage-title-in-two-procedures", lambda d: None, []),
    # RB012 a safety backup before a database restore
    (
        "restore-without-safety-backup",
        _add_step(
            "restore-db",
            {"title": "Restore", "command": 'pg_restore --clean -d app "$BACKUP_FILE"'},
            "rollback-production",
            1,
        ),
        ["RB012"],
    ),
    (
        "restore-after-safety-backup",
        _chain(
            _add_step(
                "restore-db",
                {"title": "Restore", "command": "mongorestore dump/"},
                "rollback-production",
                1,
            ),
            lambda d: stages(d, "rollback-production")[0]["steps"].append("backup-database"),
        ),
        [],
    ),
    (
        "listing-a-backup-is-no-restore",
        _add_step(
            "verify-backup",
            {"title": "Verify", "command": 'pg_restore --list "$BACKUP_FILE"'},
            "rollback-production",
            1,
        ),
        [],
    ),
    (
        "automatic-restore-after-the-deploy-backup",
        _chain(
            lambda d: d["steps"].update(
                {"restore-db": {"title": "Restore", "command": "mysql app < dump.sql"}}
            ),
            lambda d: d["procedures"]["deploy-staging"]["rollback_steps"].insert(0, "restore-db"),
        ),
        [],
    ),
    (
        "automatic-restore-without-any-backup",
        _chain(
            _remove("deploy-staging", "backup-database"),
            lambda d: d["steps"].update(
                {"restore-db": {"title": "Restore", "command": "mysql app < dump.sql"}}
            ),
            lambda d: d["procedures"]["deploy-staging"]["rollback_steps"].insert(0, "restore-db"),
        ),
        ["RB012"],
    ),
    # RB013 commands read only variables that are set
    (
        "misspelt-runtime-variable",
        _set("migrate", command='bash "$RELEASE_DIRR/migrate.sh"'),
        ["RB013"],
    ),
    ("runtime-variable", _set("migrate", command='bash "$RELEASE_DIR/migrate.sh"'), []),
    ("variable-set-in-the-command", _set("migrate", command='DIR=/tmp; echo "$DIR"'), []),
    ("environment-variable-required", _set("migrate", command='echo "${DB_URL:?}"'), []),
    ("environment-variable-unguarded", _set("migrate", command='echo "$DB_URL"'), ["RB013"]),
    ("variable-in-single-quotes", _set("migrate", command="echo '$DB_URL'"), []),
    (
        "runtime-variable-in-a-diagnosis-command",
        lambda d: d.update(
            emergencies={
                "down": {
                    "title": "Down",
                    "severity": "P0",
                    "symptoms": ["No answer"],
                    "diagnosis": [{"title": "Log", "command": 'tail "$DEPLOY_PATH/app.log"'}],
                    "actions": ["Roll back"],
                }
            }
        ),
        ["RB013"],
    ),
    # RB020 alert routing names credential files, never the credentials
    (
        "slack-webhook-in-a-channel",
        lambda d: d["contacts"]["on-call"]["channels"].append(
            {
                "kind": "slack",
                "value": "https://hooks.slack.com/services/T0001/B0001/abcdefghijklmnopqrstuvwx",
            }
        ),
        ["RB020"],
    ),
    (
        "integration-key-in-a-pager-channel",
        lambda d: d["contacts"]["on-call"]["channels"][0].update(
            value="PagerDuty 0123456789abcdef0123456789abcdef"
        ),
        ["RB020"],
    ),
    (
        "credentials-in-the-smtp-relay",
        lambda d: d["monitoring"].update(
            alertmanager={"smtp_from": "smtp://alerts:hunter22@mail.example.com"}
        ),
        ["RB020"],
    ),
    (
        "channels-people-read",
        lambda d: d["contacts"]["on-call"]["channels"].extend(
            [
                {"kind": "slack", "value": "#incidents"},
                {"kind": "email", "value": "oncall@example.com"},
                {"kind": "phone", "value": "+1 555 0100"},
            ]
        ),
        [],
    ),
    # RB010 every deployed environment can be rolled back
    ("no-production-rollback", lambda d: d["procedures"].pop("rollback-production"), ["RB010"]),
    ("rollback-without-deploy", lambda d: d["procedures"].pop("deploy-staging"), []),
]


def test_base_is_clean() -> None:
    assert rules_fired(base()) == []


@pytest.mark.parametrize(("change", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule(change: Callable[[Data], None], expected: list[str]) -> None:
    data = copy.deepcopy(base())
    change(data)
    assert sorted(rules_fired(data)) == sorted(expected)


def test_every_rule_has_a_firing_case() -> None:
    fired = {rule for _, _, expected in CASES for rule in expected}
    checked_elsewhere = {"RB011"}  # in test_lint_ignores.py
    assert {r.id for r in RULES} - checked_elsewhere == fired


def test_findings_name_the_step_and_the_reference() -> None:
    data = base()
    _remove("deploy-production", "backup-database")(data)
    [finding] = lint(validated(data))
    assert finding.step == "migrate"
    assert finding.path == "procedures.deploy-production.stages[1].steps[0]"
    assert "deploy-production" in finding.message and "migrate" in finding.message
