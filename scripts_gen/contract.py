"""What every generated script promises: options, exit codes, environment, lock, log.

The generator, the site (which documents it) and the scenarios (which prove it) all read
these tables, so the promise is written once.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The comment line that opens the runtime every script carries after its own part (the
#: procedure, its values and its help). From it to the end a script is the same text as every
#: other script of its kind, which lets `runbook check` shellcheck that text once.
RUNTIME_START = "# " + "-" * 64 + " helpers shared with the scenarios"


def runtime_parts(text: str, start: str = RUNTIME_START) -> tuple[str, str] | None:
    """A script cut before the line ``start``: its own part and the runtime it shares; None
    when it has no such line."""
    at = text.find("\n" + start + "\n")
    return None if at < 0 else (text[: at + 1], text[at + 1 :])


EXIT_CODES: dict[int, str] = {
    0: "Done: every step passed.",
    1: "Failed, and the target is as before: nothing had changed on it, or the automatic "
    "rollback restored the release that served before and no step that changes more than the "
    "release (a step with `changes`) had started.",
    2: "Refused before any change: bad arguments, a check that failed before the first "
    "change, a confirmation not given, or the deploy lock held by another deploy.",
    3: "Failed, and the target is not as before: a step with `changes` started (the report "
    "names it and the backup to restore from), the automatic rollback failed, or the run was "
    "stopped after the point of no return. The target needs a human now; the output names "
    "the escalation contact.",
}

#: What every exit 1, 2 and 3 ends with, in this order, after the report's first lines.
EXIT_REPORT = (
    "what changed (steps with `changes` that started, whether the release was switched), the "
    "backup this run made and verified (only that one), what serves now (the `current` link, "
    "asked from the target at exit), the lock (released, or left for a re-run to take over), "
    "and the one command to run next, with its arguments"
)

OPTIONS: dict[str, str] = {
    "-h, --help": "Show usage, options, exit codes and environment variables.",
    "-n, --dry-run": "Print the resolved steps in order, with their commands; change nothing.",
    "-y, --yes": "Answer yes to every confirmation (for CI). Without it and without a terminal, "
    "a confirmation is a refusal.",
    "--break-lock": "Take over a deploy lock that another run left behind, after reporting it.",
    "--backup FILE": "Rollback only: restore this backup (a name from the list) without asking.",
    "--no-db-restore": "Rollback only: roll back the code and leave the database as it is.",
    "--status": "Print what the target serves, the last release a run verified, the deploy "
    "lock, the backups and the last runs of the journal; change nothing.",
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

JOURNAL = (
    "Every run that reaches the target keeps a journal there, `$DEPLOY_PATH/deploy.journal`, "
    "one line per event: `start` (procedure, version, the release it returns to), `step` "
    "(before a step with `changes`, a backup step or the point of no return starts), `backup` "
    "(the backup made and verified), `verified` (a release that passed its run: the deploy's "
    "version, or the release an automatic rollback restored) and `end` (the exit code). The "
    "release a deploy returns to is the last `verified` one, not whatever `current` points "
    "at: a run killed after its switch leaves `current` on a release no run verified. The "
    "next run takes over the lock, ends the interrupted run in the journal, removes the "
    "release it half-made (when it is not serving) and moves the backup it did not verify to "
    "`backups/failed/` (of which the newest 5 are kept). `--status` prints it."
)

#: Where every script runs; it refuses to run anywhere else (its --help and the site say so).
RUN_FROM = "Run it from the service's git repository."
#: What a rollback without VERSION rolls back to (its --help and the incident card say so).
ROLLBACK_DEFAULT = (
    "VERSION defaults to the last release the journal records as verified, when it is present "
    "and not serving; else to the last one in revisions.log that is present and not serving."
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
    "writes_backup": "1 when the step makes the run's backup ($BACKUP_FILE): a failed one is "
    "moved to `backups/failed/`.",
    "changes": "What the step changes on the target besides the release (only if it does).",
}

#: How long a step that could not reach the target (ssh itself failed before the step
#: started) is tried again before it counts as a failed try.
RECONNECT_SECONDS = 60
#: SSH keepalives: a dead link is noticed within interval x count seconds.
KEEPALIVE_INTERVAL = 10
KEEPALIVE_COUNT = 2


@dataclass(frozen=True)
class Fault:
    """A fault during a run, what the scripts do about it, and how the run ends."""

    id: str
    fault: str
    does: str
    exit: str
    then: str


FAULTS: tuple[Fault, ...] = (
    Fault(
        "ssh-cut",
        "The SSH connection is cut during a remote step.",
        "The step's work on the target ends with its connection (a guard there ends the "
        "step's process group when its SSH session is gone); the step fails.",
        "3 when the step has `changes` (the report names them and the backup), else 1 before "
        "the point of no return; after it, the automatic rollback runs.",
        "The command the report names: the same deploy again.",
    ),
    Fault(
        "sshd-down",
        "The target refuses SSH for a while (sshd down, a reboot).",
        f"A step that could not start is tried again for up to {RECONNECT_SECONDS} s before "
        "it counts as a failed try; it runs once SSH is back.",
        "0 when SSH is back in time.",
        "Nothing.",
    ),
    Fault(
        "paused",
        "The target freezes (a paused VM or container, a network stall).",
        f"SSH keepalives (every {KEEPALIVE_INTERVAL} s, {KEEPALIVE_COUNT} unanswered) wait up "
        f"to {KEEPALIVE_INTERVAL * (KEEPALIVE_COUNT + 1)} s; a longer stall is a cut link.",
        "0 when the target thaws in time.",
        "Nothing.",
    ),
    Fault(
        "disk-full",
        "The disk fills while the backup is written.",
        "The backup step fails; its file is moved to `backups/failed/`, never listed by a "
        "rollback and never reported as the run's backup.",
        "1: nothing else had changed.",
        "Free space, then the same deploy again.",
    ),
    Fault(
        "dependency-down-before-backup",
        "A dependency (the database) is down before the backup.",
        "As for a full disk: the failed backup is quarantined, nothing changed.",
        "1.",
        "Start the dependency, then the same deploy again.",
    ),
    Fault(
        "dependency-down-after-switch",
        "A dependency (the database) goes down after the switch.",
        "The health check fails and prints the answer's status and body; the emergency "
        "procedure whose `output_matches` it shows is named; the automatic rollback runs, "
        "and its own health check fails too.",
        "3: the report names what serves, the lock and the rollback command.",
        "The emergency procedure, then the rollback command the report names.",
    ),
    Fault(
        "killed",
        "The deploying process is killed (SIGKILL, a lost laptop) at any step.",
        "Its remote work ends with its connection and the lock stays. The next run takes the "
        "lock over, ends the run in the journal, removes its half-made release, quarantines "
        "its unverified backup, and returns to the last verified release, not to `current`.",
        "None (the process is gone); the re-run exits 0.",
        "The same deploy again.",
    ),
    Fault(
        "restart",
        "The target's service restarts mid-deploy (its process manager restarts it).",
        "A reload that finds no process yet is tried again as the step's `retries` allow.",
        "0 when the service is back within the step's tries.",
        "Nothing.",
    ),
    Fault(
        "race",
        "Two deploys start at once.",
        "One takes the lock (an atomic mkdir on the target); the other is refused before it "
        "changes anything and reports no backup.",
        "2 for the refused one, which names the lock's owner.",
        "The same deploy, once the other one has ended.",
    ),
    Fault(
        "slow-health",
        "The health endpoint answers slower than the check's timeout.",
        "The check is tried again as its `retries` allow; when they are spent the automatic "
        "rollback runs.",
        "0 when it answers in time; else 1, or 3 after a step with `changes`.",
        "Nothing, or as the report says.",
    ),
)
