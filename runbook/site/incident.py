"""The "during an incident" card and the manual recovery, derived from the runbook.

At 3 a.m. the reader needs the exact command, where to run it, what it will ask, and what to
do when it fails. All of it is already in the model and the scripts' contract: the rollback
procedure and its script, the options the script takes (``scripts_gen.contract``), the
confirmation questions of its steps, and, for a run that ends with exit 3, the very commands
of the steps that would have put the target right, with the variables the scripts give them.
Nothing here is typed by hand, so the card cannot drift from the script.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from runbook.loader import LoadedRunbook
from runbook.model import Procedure, ProcedureKind, Runbook, RunsOn, Step
from scripts_gen import contract
from scripts_gen.prelude import assignments, remote_functions
from scripts_gen.quoting import q
from scripts_gen.variables import TIMESTAMP_FORMAT, config_variables, derived

NO_RESTORE = "--no-db-restore"
#: Runtime variables a recovery by hand sets from what it finds on the target.
_RELEASE_VARIABLES = ("VERSION", "PREVIOUS_VERSION", "TIMESTAMP")


@dataclass(frozen=True)
class Prompt:
    """A question the script asks, and what the answer does."""

    question: str
    answer: str


@dataclass(frozen=True)
class Recovery:
    """Putting the target right by hand after exit 3: connect, look, then the steps' commands."""

    ssh: str
    look: str
    variables: str
    steps: list[tuple[str, Step]]
    left_out: list[tuple[str, Step]] = field(default_factory=list)


@dataclass(frozen=True)
class Card:
    """The incident card of one rollback procedure."""

    procedure_id: str
    procedure: Procedure
    command: str
    without_restore: str | None
    default_version: str
    run_from: str
    prompts: list[Prompt]
    exit_codes: dict[int, str]


def _option(name: str) -> str:
    """An option of the scripts' contract, by its long name (so a renamed one fails here)."""
    for option in contract.OPTIONS:
        if name in option.split(", ")[-1].split(" "):
            return name
    raise KeyError(name)


def card(runbook: Runbook, procedure_id: str) -> Card | None:
    """The card of a rollback procedure that has a script; None for any other procedure."""
    proc = runbook.procedures[procedure_id]
    if proc.kind is not ProcedureKind.rollback or not proc.script:
        return None
    restores = runbook.chooses_backup(procedure_id)
    command = f"./scripts/{proc.script}"
    prompts = []
    if restores:
        prompts.append(
            Prompt(
                f"Restore which backup? (the last {int(proc.recent_backups)} on the target are "
                "listed, newest first)",
                f"a number from the list, or `none` to keep the database as it is; "
                f"`{_option(NO_RESTORE)}` skips the question",
            )
        )
    for _, step in runbook.procedure_steps(procedure_id):
        if step.confirm:
            does = "runs this step" if step.command else "goes on"
            skips = "skips it" if step.command else "stops before anything changes (exit 2)"
            prompts.append(Prompt(step.confirm, f"`yes` {does}; anything else {skips}"))
    return Card(
        procedure_id=procedure_id,
        procedure=proc,
        command=command,
        without_restore=f"{command} {_option(NO_RESTORE)}" if restores else None,
        default_version=contract.ROLLBACK_DEFAULT,
        run_from=contract.RUN_FROM,
        prompts=prompts,
        exit_codes=dict(contract.EXIT_CODES),
    )


def home_card(runbook: Runbook) -> Card | None:
    """The card of the home page: the rollback of the last environment that has one.

    Environments are listed in promotion order (staging, then production), so the last one
    with a scripted rollback is the one an incident is about.
    """
    for env_id in reversed(list(runbook.environments)):
        for pid, proc in runbook.procedures.items():
            if proc.environment == env_id and (found := card(runbook, pid)) is not None:
                return found
    return None


def _recovery_steps(runbook: Runbook, procedure_id: str) -> list[tuple[str, Step]]:
    """What the script would have run to leave the target serving: the rollback steps of a
    deploy; the steps of a rollback from its point of no return on."""
    proc = runbook.procedures[procedure_id]
    if proc.rollback_steps:
        return [(sid, runbook.steps[sid]) for sid in proc.rollback_steps]
    ids = proc.step_ids
    start = ids.index(proc.point_of_no_return) if proc.point_of_no_return in ids else 0
    return [(sid, runbook.steps[sid]) for sid in ids[start:]]


def _by_hand(step: Step) -> bool:
    """A step someone can run in a shell on the target: remote, with a command, and no
    backup to choose or make (a restore is the database admin's decision)."""
    command = step.command or ""
    return step.runs_on is RunsOn.remote and bool(command) and "BACKUP_FILE" not in command


def recovery(loaded: LoadedRunbook, procedure_id: str) -> Recovery | None:
    """The manual recovery of a procedure whose script ended with exit 3; None without SSH.

    The variables are the scripts' own (``config_variables`` and ``derived``), the release to
    serve is asked for, and ``check_endpoints`` is defined when a step calls it: the commands
    then run exactly as the script would have run them.
    """
    runbook = loaded.runbook
    proc = runbook.procedures[procedure_id]
    env = runbook.environments[proc.environment]
    host = getattr(env, "host", None)
    if not host or not proc.script:
        return None
    steps = _recovery_steps(runbook, procedure_id)
    kept = [(sid, step) for sid, step in steps if _by_hand(step)]
    if not kept:
        return None
    target = "PREVIOUS_VERSION" if proc.kind is ProcedureKind.deploy else "VERSION"
    other = "VERSION" if target == "PREVIOUS_VERSION" else "PREVIOUS_VERSION"
    current = f"{env.deploy_path}/current"
    releases = f"{env.deploy_path}/releases"
    variables = (
        f"read -r -p 'Release to serve (one of the list above): ' {target}\n"
        f'{other}=$(basename "$(readlink {q(current)})")\n'
        f"TIMESTAMP=$(date -u +{q(TIMESTAMP_FORMAT)})\n"
        f"export {' '.join(_RELEASE_VARIABLES)}\n"
        + assignments(config_variables(loaded, procedure_id))
        + "".join(f'export {name}="{template}"\n' for name, template in derived(loaded).items())
    )
    if uses_helper(kept):
        variables += remote_functions(loaded, procedure_id)
    return Recovery(
        ssh=f"ssh -p {int(env.ssh_port)} {env.ssh_user}@{host}",
        look=(
            f"readlink {q(current)}   # the release served now\n"
            f"ls -1t {q(releases)}   # the releases on the host, newest first\n"
            f"tail -n 5 {q(env.deploy_path + '/revisions.log')}   # the last deployments"
        ),
        variables=variables,
        steps=kept,
        left_out=[(sid, step) for sid, step in steps if not _by_hand(step)],
    )


def uses_helper(steps: list[tuple[str, Step]]) -> bool:
    """Whether a recovery runs ``check_endpoints``, which must be defined in the shell first."""
    return any(re.search(r"\bcheck_endpoints\b", step.command or "") for _, step in steps)
