"""The runtime contract: what a step's command can rely on, written once, where users look.

The generated scripts set these variables and define these helpers, and the scenarios set
the very same before running a step's command, so a command reads identically in the docs,
the script and the test. The texts here are the descriptions of the model's fields (so the
JSON Schema an editor shows holds them) and the site's "Runtime contract" page renders them:
neither copies them by hand.
"""

from __future__ import annotations

#: The default of ``service.artifact``: where the artifact is built, by the version.
DEFAULT_ARTIFACT = "build/app-${VERSION}.tar.gz"
#: The default of ``backups.suffix``: how every backup file's name ends.
DEFAULT_BACKUP_SUFFIX = ".dump"

RUNTIME_VARIABLES: dict[str, str] = {
    "ENVIRONMENT": "Id of the environment being acted on, e.g. `staging`.",
    "BRANCH": "Git branch a deploy must start from (from the environment; empty for any).",
    "VERSION": "Version being deployed or rolled back to (a git tag or a commit id).",
    "PREVIOUS_VERSION": "Version that was serving before the procedure started.",
    "TIMESTAMP": "UTC start time of the run, `YYYYmmdd-HHMMSS`, used in backup names.",
    "DEPLOY_PATH": "Root of the deployment on the target (from the environment).",
    "RELEASES_DIR": "`$DEPLOY_PATH/releases`: one directory per version.",
    "RELEASE_DIR": "`$RELEASES_DIR/$VERSION`: where this version is unpacked.",
    "CURRENT_LINK": "`$DEPLOY_PATH/current`: symlink to the serving release.",
    "BACKUP_DIR": "`$DEPLOY_PATH/backups`: database and release backups.",
    "BACKUP_FILE": "Backup made (deploy: `$BACKUP_DIR/$ENVIRONMENT-$TIMESTAMP$BACKUP_SUFFIX`) or "
    "chosen (rollback) by this run; empty when none.",
    "ARTIFACT": "Local path of the build artifact, from the top of the service's repository: "
    f"`service.artifact`, by default `{DEFAULT_ARTIFACT}`.",
    "HEALTH_URL": "Health endpoint as the target requests it (from the environment).",
    "KEEP_RELEASES": "How many releases to keep (from the environment).",
    "BACKUP_RETENTION_DAYS": "Days a backup is kept (from the backup policy).",
    "BACKUP_MIN_BYTES": "Smallest size of a valid backup (from the backup policy).",
    "BACKUP_SUFFIX": "How every backup file's name ends: `backups.suffix`, by default "
    f"`{DEFAULT_BACKUP_SUFFIX}`.",
}

HELPER_FUNCTIONS: dict[str, str] = {
    "upload LOCAL REMOTE": "Copies a local file to a path on the target (scp over the same SSH). "
    "Local steps only.",
    "remote COMMAND": "Runs one command on the target from a local step, with the same runtime "
    "variables and `check_endpoints`. Local steps only.",
    "check_endpoints": "Requests every endpoint of the procedure (or environment) from the target "
    "and fails on the first wrong status or body. Local and remote steps.",
}

REVISIONS_LOG = (
    "`$DEPLOY_PATH/revisions.log` holds one line per deployed release, appended by the "
    "runbook's own step after a deploy: words separated by spaces, the second of which is the "
    "version (`$TIMESTAMP $VERSION $ENVIRONMENT`, e.g. `20260117-150000 v1.0.1 production`). "
    "A rollback run without VERSION goes back to the last version listed there that is still "
    "in `$RELEASES_DIR` and is not serving. The scripts only read it."
)

BACKUP_NAMES = (
    "A deploy's backup is `$BACKUP_DIR/$ENVIRONMENT-$TIMESTAMP` followed by this suffix (its "
    "path is `$BACKUP_FILE`); in a rollback, a step whose expected file is `$BACKUP_FILE` "
    "writes the safety backup `$BACKUP_DIR/$ENVIRONMENT-$TIMESTAMP-safety` followed by it "
    "instead, so `$BACKUP_FILE` stays the backup chosen for the restore. A rollback offers the "
    "newest files in `$BACKUP_DIR` whose names end with it."
)

#: What lives under an environment's ``deploy_path``, path -> what it is.
TARGET_FILES: dict[str, str] = {
    "releases/VERSION/": "`$RELEASE_DIR`: one directory per release, unpacked by the runbook's "
    "steps. A failed run removes the release it unpacked when it never served.",
    "current": "`$CURRENT_LINK`: symlink to the serving release; the release it names when a run "
    "reaches the target is `$PREVIOUS_VERSION`.",
    "backups/": "`$BACKUP_DIR`: the backups, named as `backups.suffix` says.",
    "revisions.log": REVISIONS_LOG,
    "deploy.log.jsonl": "One JSON line per step of every run, for the deployment history.",
    ".deploy.lock/": "The deploy lock, held for the length of a run.",
}


def _listing(entries: dict[str, str], code: str) -> str:
    return " ".join(f"{code.format(name)}: {text}" for name, text in entries.items())


COMMAND_CONTRACT = (
    "Bash run for the step, after `set -Eeuo pipefail`, with these runtime variables set. "
    + _listing(RUNTIME_VARIABLES, "`${}`")
    + " Helper functions: "
    + _listing(HELPER_FUNCTIONS, "`{}`")
    + " Any other variable the command reads it sets itself, or writes `${NAME:?}` when the "
    "environment must provide it (lint rule RB013)."
)

DEPLOY_PATH_CONTRACT = (
    "Root of the deployment on the target; the scripts use these paths under it. "
    + _listing(TARGET_FILES, "`{}`")
    + " Anything else (such as `shared/`) is the runbook's own."
)

#: Runtime variables only the fleet playbooks set (the bash scripts reach one host).
FLEET_VARIABLES: dict[str, str] = {
    "HOST": "In a playbook: the inventory name of the host the step acts for (the batch's "
    "host; for drain and undrain steps on the balancer, the host being drained).",
}
