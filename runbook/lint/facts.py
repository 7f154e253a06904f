"""What the rules need to know about steps and environments, decided in one place.

A rule asks "is this step a migration?" rather than matching commands itself, so every rule
agrees on the answer and the documentation can state the definitions once. What a pattern
scans after a keyword is bounded (500 characters), so a long command full of keywords is
searched in linear time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from runbook.model import Environment, Procedure, Runbook, Step
from runbook.yamlsrc import DocPath

#: Commands that dump a database or snapshot data.
BACKUP_COMMAND = re.compile(
    r"\b(pg_dump|pg_dumpall|pg_basebackup|mysqldump|mariadb-dump|mongodump|xtrabackup"
    r"|restic\s+backup|borg\s+create)\b"
)
#: Commands that change a database schema.
MIGRATION_COMMAND = re.compile(
    r"(?<![\w-])(migrate|alembic\s+upgrade|flyway\s+migrate|liquibase\s+update|sqitch\s+deploy)"
    r"(?![\w-])"
)
#: Commands that overwrite a database from a backup (listing a backup's contents is not one).
RESTORE_COMMAND = re.compile(
    r"\bpg_restore\b(?![^\n]{0,500}(?:--list\b|\s-l\b))|\bmongorestore\b|\bmysql\b[^\n|;&<]{0,500}<"
)
#: Commands that restart or reload a running service.
RESTART_COMMAND = re.compile(
    r"\b(systemctl|service|rc-service|supervisorctl|pm2|docker(?:[\s-]+compose)?|kubectl\s+rollout)"
    r"\b[^\n;|&]{0,500}\b(restart|reload)\b"
    r"|\bkill\s+-(?:s\s+)?(?:SIG)?(?:HUP|USR2)\b"
    r"|\bnginx\s+-s\s+reload\b|\bapachectl\s+(?:graceful|restart)\b"
)
#: Commands that check health: the health URL, the endpoint checks, a health path.
HEALTH_COMMAND = re.compile(
    r"\$\{?HEALTH_URL\b|\bcheck_endpoints\b|/(health|healthz|readyz|livez)\b"
)


def _id_has(step_id: str, *words: str) -> bool:
    parts = step_id.split("-")
    return any(word in parts for word in words)


def is_backup(step_id: str, step: Step) -> bool:
    """A step that makes a backup: a dump tool, a `$BACKUP_FILE` it must produce, or its id."""
    return bool(
        step.writes_backup
        or (step.command and BACKUP_COMMAND.search(step.command))
        or step_id.startswith("backup")
    )


def is_migration(step_id: str, step: Step) -> bool:
    """A step that changes the schema: a migration tool in its command, or `migrate` in its id."""
    return bool(
        _id_has(step_id, "migrate", "migration", "migrations")
        or (step.command and MIGRATION_COMMAND.search(step.command))
    )


def is_restore(step_id: str, step: Step) -> bool:
    """A step that restores a database from a backup, by its command."""
    return bool(step.command and RESTORE_COMMAND.search(step.command))


def is_restart(step_id: str, step: Step) -> bool:
    """A step that restarts or reloads a service, by its command or its id."""
    return bool(
        _id_has(step_id, "restart", "reload")
        or (step.command and RESTART_COMMAND.search(step.command))
    )


def is_health_check(step_id: str, step: Step) -> bool:
    """A step that proves the service is healthy, by its command or its id."""
    return bool(
        _id_has(step_id, "health", "smoke")
        or (step.command and HEALTH_COMMAND.search(step.command))
    )


def is_production(env_id: str, env: Environment) -> bool:
    """Production, or as good as: its id starts with `prod`, it requires a tag or confirmations."""
    return env_id.startswith("prod") or env.require_tag or env.confirmations > 0


def on_production(rb: Runbook, proc: Procedure) -> bool:
    env = rb.environments.get(proc.environment)
    return env is not None and is_production(proc.environment, env)


def main_refs(rb: Runbook, pid: str) -> Iterator[tuple[DocPath, str, Step]]:
    """The steps a procedure runs, in order, each with the path of its reference."""
    for si, stage in enumerate(rb.procedures[pid].stages):
        for i, step_id in enumerate(stage.steps):
            yield ("procedures", pid, "stages", si, "steps", i), step_id, rb.steps[step_id]


def rollback_refs(rb: Runbook, pid: str) -> Iterator[tuple[DocPath, str, Step]]:
    """The automatic rollback steps of a procedure, in order, with their paths."""
    for i, step_id in enumerate(rb.procedures[pid].rollback_steps):
        yield ("procedures", pid, "rollback_steps", i), step_id, rb.steps[step_id]
