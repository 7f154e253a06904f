"""Runtime variables: computed once here, for the scenarios and for the generated scripts.

The names are those of ``runbook.model.runtime.RUNTIME_VARIABLES``. Configuration values come
from the model; derived values are templates of other variables (``${DEPLOY_PATH}/releases``)
that Python expands with ``string.Template`` and the scripts write as double-quoted bash
assignments, so both compute the same values the same way. The runbook sets two of those
templates itself: the artifact path (``service.artifact``) and how backup names end
(``backups.suffix``); both are validated to hold only ``${NAME}`` references and characters
that are literal inside bash double quotes.
"""

from __future__ import annotations

from string import Template

from runbook.loader import LoadedRunbook
from runbook.model import RUNTIME_VARIABLES, ProcedureKind

#: UTC start time format of TIMESTAMP (``date -u +%Y%m%d-%H%M%S`` in the scripts).
TIMESTAMP_FORMAT = "%Y%m%d-%H%M%S"


def derived(loaded: LoadedRunbook) -> dict[str, str]:
    """Derived variables, in the order they are assigned, as templates of other variables."""
    return {
        "RELEASES_DIR": "${DEPLOY_PATH}/releases",
        "RELEASE_DIR": "${RELEASES_DIR}/${VERSION}",
        "CURRENT_LINK": "${DEPLOY_PATH}/current",
        "BACKUP_DIR": "${DEPLOY_PATH}/backups",
        "ARTIFACT": loaded.runbook.service.artifact,
    }


def deploy_backup(loaded: LoadedRunbook) -> str:
    """Where a deploy writes its database backup when none is named."""
    return "${BACKUP_DIR}/${ENVIRONMENT}-${TIMESTAMP}" + loaded.runbook.backups.suffix


def safety_backup(loaded: LoadedRunbook) -> str:
    """Where a rollback writes its safety backup, so the chosen backup stays in BACKUP_FILE."""
    return "${BACKUP_DIR}/${ENVIRONMENT}-${TIMESTAMP}-safety" + loaded.runbook.backups.suffix


def config_variables(loaded: LoadedRunbook, procedure_id: str) -> dict[str, str]:
    """Values fixed at generation time, from the procedure's environment and backup policy."""
    rb = loaded.runbook
    env_id = rb.procedures[procedure_id].environment
    env = rb.environments[env_id]
    return {
        "ENVIRONMENT": env_id,
        "BRANCH": env.branch or "",
        "DEPLOY_PATH": env.deploy_path,
        "HEALTH_URL": env.health_url,
        # int(): step commands use these in shell arithmetic, where only digits are safe.
        "KEEP_RELEASES": str(int(env.keep_releases)),
        "BACKUP_RETENTION_DAYS": str(int(rb.backups.retention_days)),
        "BACKUP_MIN_BYTES": str(int(rb.backups.min_bytes)),
        "BACKUP_SUFFIX": rb.backups.suffix,
    }


def runtime_variables(
    loaded: LoadedRunbook,
    procedure_id: str,
    version: str,
    previous_version: str,
    timestamp: str,
    backup_file: str | None = None,
) -> dict[str, str]:
    """Every runtime variable of one run, in the order of ``RUNTIME_VARIABLES``.

    ``backup_file`` None means the default: a deploy writes ``deploy_backup``; a rollback
    restores nothing (empty).
    """
    values = config_variables(loaded, procedure_id)
    values.update(VERSION=version, PREVIOUS_VERSION=previous_version, TIMESTAMP=timestamp)
    for name, template in derived(loaded).items():
        values[name] = Template(template).substitute(values)
    if backup_file is None:
        deploy = loaded.runbook.procedures[procedure_id].kind is ProcedureKind.deploy
        backup_file = Template(deploy_backup(loaded)).substitute(values) if deploy else ""
    values["BACKUP_FILE"] = backup_file
    return {name: values[name] for name in RUNTIME_VARIABLES}


def writes_backup(loaded: LoadedRunbook, procedure_id: str, step_id: str) -> bool:
    """Whether a rollback step makes the safety backup rather than reading the chosen one.

    A step that expects a file at ``$BACKUP_FILE`` writes a backup. In a rollback,
    ``BACKUP_FILE`` is the backup chosen for the restore, so such a step runs with
    ``BACKUP_FILE`` set to the safety backup path instead and cannot overwrite the choice.
    """
    rb = loaded.runbook
    if rb.procedures[procedure_id].kind is not ProcedureKind.rollback:
        return False
    return rb.steps[step_id].writes_backup


def step_variables(
    loaded: LoadedRunbook, procedure_id: str, step_id: str, variables: dict[str, str]
) -> dict[str, str]:
    """The variables one step runs with: the run's, with the safety backup where it applies."""
    if not writes_backup(loaded, procedure_id, step_id):
        return dict(variables)
    return {**variables, "BACKUP_FILE": Template(safety_backup(loaded)).substitute(variables)}
