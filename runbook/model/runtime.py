"""Runtime variables: values only known when a procedure runs.

The generated scripts set these and the scenarios set the very same names before running
a step's command, so a command reads identically in the docs, the script and the test.
"""

from __future__ import annotations

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
    "BACKUP_FILE": "Backup made (deploy) or chosen (rollback) by this run; empty when none.",
    "ARTIFACT": "Local path of the build artifact, `build/app-$VERSION.tar.gz`.",
    "HEALTH_URL": "Health endpoint as the target requests it (from the environment).",
    "KEEP_RELEASES": "How many releases to keep (from the environment).",
    "BACKUP_RETENTION_DAYS": "Days a backup is kept (from the backup policy).",
    "BACKUP_MIN_BYTES": "Smallest size of a valid backup (from the backup policy).",
}

HELPER_FUNCTIONS: dict[str, str] = {
    "upload LOCAL REMOTE": "Copies a local file to a path on the target (scp over the same SSH).",
    "remote COMMAND": "Runs one command on the target from a local step.",
    "check_endpoints": "Requests every endpoint of the procedure (or environment) from the target "
    "and fails on the first wrong status or body.",
}

#: Runtime variables only the fleet playbooks set (the bash scripts reach one host).
FLEET_VARIABLES: dict[str, str] = {
    "HOST": "In a playbook: the inventory name of the host the step acts for (the batch's "
    "host; for drain and undrain steps on the balancer, the host being drained).",
}
