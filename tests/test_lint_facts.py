"""What the rules call a migration, a backup, a restart, a health check and production."""

from __future__ import annotations

from typing import Any

import pytest

from runbook.lint.facts import is_backup, is_health_check, is_migration, is_production, is_restart
from runbook.model import Environment, Step


def step(command: str | None = None, **extra: Any) -> Step:
    return Step.model_validate({"title": "A step", "command": command, **extra})


@pytest.mark.parametrize(
    ("step_id", "command", "expected"),
    [
        ("schema", 'bash "$RELEASE_DIR/migrate.sh"', True),
        ("schema", "python manage.py migrate --noinput", True),
        ("schema", "bundle exec rake db:migrate", True),
        ("schema", "alembic upgrade head", True),
        ("schema", "flyway migrate", True),
        ("migrate-db", "true", True),
        ("run-migrations", "true", True),
        ("list", "ls db/migrations/", False),
        ("applied", "psql -c 'select * from schema_migrations'", False),
        ("immigrate", "true", False),
    ],
)
def test_migration(step_id: str, command: str, expected: bool) -> None:
    assert is_migration(step_id, step(command)) is expected


@pytest.mark.parametrize(
    ("step_id", "command", "extra", "expected"),
    [
        ("dump", 'pg_dump -Fc -f "$BACKUP_FILE" app', {}, True),
        ("dump", "mysqldump app > x.sql", {}, True),
        ("snapshot", "make-snapshot", {"expect": {"file": {"path": "$BACKUP_FILE"}}}, True),
        ("backup-files", "tar czf /tmp/x.tgz /srv", {}, True),
        ("verify-backup", 'pg_restore --list "$BACKUP_FILE"', {}, False),
        ("list-backups", 'ls "$BACKUP_DIR"', {}, False),
    ],
)
def test_backup(step_id: str, command: str, extra: dict[str, Any], expected: bool) -> None:
    assert is_backup(step_id, step(command, **extra)) is expected


@pytest.mark.parametrize(
    ("step_id", "command", "expected"),
    [
        ("bounce", "sudo systemctl restart app", True),
        ("bounce", "systemctl reload nginx", True),
        ("bounce", "supervisorctl restart app", True),
        ("bounce", 'kill -HUP "$(cat app.pid)"', True),
        ("bounce", "kill -s USR2 1234", True),
        ("bounce", "nginx -s reload", True),
        ("bounce", "docker compose restart web", True),
        ("reload-app", "true", True),
        ("status", "systemctl status app", False),
        ("stop", "kill -TERM 1234", False),
    ],
)
def test_restart(step_id: str, command: str, expected: bool) -> None:
    assert is_restart(step_id, step(command)) is expected


@pytest.mark.parametrize(
    ("step_id", "command", "expected"),
    [
        ("probe", 'curl -fsS "$HEALTH_URL"', True),
        ("probe", 'curl -fsS "${HEALTH_URL}"', True),
        ("probe", "check_endpoints", True),
        ("probe", "curl -fsS http://127.0.0.1/healthz", True),
        ("smoke-test", "./smoke.sh", True),
        ("health-check", "true", True),
        ("probe", "curl -fsS http://127.0.0.1/healthy-cats", False),
        ("probe", "curl -fsS http://127.0.0.1/", False),
    ],
)
def test_health_check(step_id: str, command: str, expected: bool) -> None:
    assert is_health_check(step_id, step(command)) is expected


BASE_ENV = {"title": "X", "host": "x.example", "ssh_user": "deploy", "deploy_path": "/srv/app"}


@pytest.mark.parametrize(
    ("env_id", "extra", "expected"),
    [
        ("production", {}, True),
        ("prod-eu", {}, True),
        ("live", {"require_tag": True}, True),
        ("live", {"confirmations": 1}, True),
        ("staging", {}, False),
        ("preprod", {}, False),
    ],
)
def test_production(env_id: str, extra: dict[str, Any], expected: bool) -> None:
    assert is_production(env_id, Environment.model_validate({**BASE_ENV, **extra})) is expected


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ('pg_restore --clean --if-exists -d app "$BACKUP_FILE"', True),
        ("mongorestore --drop dump/", True),
        ("mysql app < /srv/app/backups/x.sql", True),
        ('pg_restore --list "$BACKUP_FILE" >/dev/null', False),
        ("pg_restore -l x.dump", False),
        ('mysql -e "select 1"', False),
    ],
)
def test_restore(command: str, expected: bool) -> None:
    from runbook.lint.facts import is_restore

    assert is_restore("step", step(command)) is expected
