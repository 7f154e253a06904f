"""What every generated script promises: options, exit codes, environment, lock, log.

The generator, the site (which documents it) and the scenarios (which prove it) all read
these tables, so the promise is written once.
"""

from __future__ import annotations

EXIT_CODES: dict[int, str] = {
    0: "Done: every step passed.",
    1: "Failed; nothing was left half-done: either nothing had changed on the target, "
    "or the automatic rollback restored the previous release.",
    2: "Refused before any change: bad arguments, a check that failed before the first "
    "change, a confirmation not given, or the deploy lock held by another deploy.",
    3: "Failed and the target was not restored: the automatic rollback failed, or the run "
    "was stopped after the point of no return before it could roll back, or this run's "
    "unserved release could not be removed. The target needs a human now; the output names "
    "the escalation contact.",
}

OPTIONS: dict[str, str] = {
    "-h, --help": "Show usage, options, exit codes and environment variables.",
    "-n, --dry-run": "Print the resolved steps in order, with their commands; change nothing.",
    "-y, --yes": "Answer yes to every confirmation (for CI). Without it and without a terminal, "
    "a confirmation is a refusal.",
    "--break-lock": "Take over a deploy lock that another run left behind, after reporting it.",
    "--backup FILE": "Rollback only: restore this backup (a name from the list) without asking.",
    "--no-db-restore": "Rollback only: roll back the code and leave the database as it is.",
}

ENVIRONMENT: dict[str, str] = {
    "NO_COLOR": "Any value turns colour off (colour is also off when output is not a terminal).",
    "RUNBOOK_SSH_CONFIG": "An ssh_config file passed to ssh and scp with -F (host aliases, keys, "
    "ports). When it is set, the port comes from that file (default 22), not from the runbook.",
    "RUNBOOK_LOG_DIR": "Where the local JSON-lines log goes (default: .runbook/logs at the top "
    "of the service's repository, git-ignored).",
}

LOCK = (
    "A deploy holds a lock on the target, the directory `$DEPLOY_PATH/.deploy.lock`, made "
    "atomically with mkdir and holding the owner's host, process id, version and start time. "
    "A second deploy is refused (exit 2) while the lock is held. A lock is stale, and taken "
    "over with a warning, when its owner ran on this same host and its process no longer "
    "exists (a killed deploy), or when it is older than the environment's "
    "`stale_lock_minutes`. `--break-lock` takes over any lock after printing its owner. "
    "The lock is released on every exit, success or failure."
)

LOG = (
    "Each step writes one JSON line: time, procedure, environment, version, step id, outcome "
    "(ok, failed, skipped, rolled-back), exit code, duration in seconds, and phase "
    "(`procedure`, or `rollback` for the automatic rollback steps, whose success is "
    "`rolled-back`), plus the run's id and the user who ran it. When a run that started ends, "
    "one more line with phase `run` closes it: its outcome (success, failed, refused, "
    "escalated for exits 0-3), exit code, duration, the version it replaced (`previous`), the "
    "step that failed, and the commit time of the deployed version (`committed`). The lines "
    "go to `$RUNBOOK_LOG_DIR/<procedure>.jsonl` on the deploying machine and to "
    "`$DEPLOY_PATH/deploy.log.jsonl` on the target (carried by the next connection, at the "
    "latest when the run ends); `runbook history` collects them."
)

#: Where every script runs; it refuses to run anywhere else (its --help and the site say so).
RUN_FROM = "Run it from the service's git repository."
#: What a rollback without VERSION rolls back to (its --help and the incident card say so).
ROLLBACK_DEFAULT = (
    "VERSION defaults to the previous release (the last one in revisions.log that is not serving)."
)

READING = (
    "A script starts with its procedure: `_rb_steps` lists the stages and steps in the order "
    "they run, then comes one block per step, `_rb_run` with the step's settings by name and "
    "its command exactly as the runbook writes it, in a quoted here-document between "
    "`<<'COMMAND'` and the line `COMMAND` (in which nothing expands on the deploying "
    "machine). The automatic rollback's blocks follow, then the values from the runbook, "
    "then the library that runs the blocks. Nothing runs before the last line."
)

STEP_SETTINGS: dict[str, str] = {
    "number": "Its place: 1, 2, ... in the procedure; R1, R2, ... in the automatic rollback.",
    "id": "The step's id in the runbook.",
    "title": "The step's title.",
    "phase": "`rollback` in the automatic rollback's blocks (else not written).",
    "runs_on": "`local` (the deploying machine) or `remote` (the target, over ssh).",
    "reaches_target": "1 when the step reaches the target: the run connects first and takes "
    "the deploy lock.",
    "timeout": "Seconds one try may take.",
    "retries": "Tries after the first.",
    "retry_delay": "Seconds between tries.",
    "on_failure": "`abort`, `rollback` or `continue`.",
    "confirm": "The question the operator must answer `yes` to (only if the step asks).",
    "expect_exit_code": "The exit code the command must return.",
    "expect_output": "Text the output must contain (only if the step expects some).",
    "expect_http_status": "The HTTP status the output must report (only if expected).",
    "expect_file": "A file the step must leave (only if expected) ...",
    "expect_min_bytes": "... of at least this many bytes.",
}
