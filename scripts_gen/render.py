"""Rendering the scripts: one bash script per procedure that names a ``script``.

The context handed to the templates holds model values untouched; the templates pass every
one of them through a filter of ``quoting`` (the environment refuses any that does not). Only
fixed text of this package reaches a script unquoted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib.resources import files

from runbook.alerts.rules import EMERGENCIES_PAGE, site_link
from runbook.loader import LoadedRunbook
from runbook.model import RUNTIME_VARIABLES, ProcedureKind, RunsOn, Step
from scripts_gen import contract
from scripts_gen.environment import render
from scripts_gen.prelude import local_context, remote_functions
from scripts_gen.quoting import checked_id as _checked_id
from scripts_gen.variables import (
    config_variables,
    deploy_backup,
    derived,
    safety_backup,
    writes_backup,
)

# A local step reaches the target through the helpers, or (against the advice) ssh and its
# kin directly; either way the run connects first, so the step runs under the deploy lock.
_USES_TARGET = re.compile(
    r"(^|[\s;&|(`])(remote|upload|check_endpoints|ssh|scp|sftp|rsync)(\s|$|[;&|)])"
)
_TEMPLATE_REFERENCE = re.compile(r"\$\{([A-Z_]+)\}")


def uses_target(command: str) -> bool:
    """Whether a local command reaches the target (the helpers, or ssh and its kin directly)."""
    return bool(_USES_TARGET.search(command))


_STEP_MARK = re.compile(r"^_rb_(?:step|rollback)_\d+\(\) \{  # (rollback )?step: ([a-z0-9-]+)$")
#: How ``script_line_map`` names a rollback step's block: ``rollback:<step id>``.
ROLLBACK_KEY = "rollback:"


@dataclass(frozen=True)
class StepView:
    """A step as the script runs it: its position, where it runs, what it checks.

    Numbers are converted with ``int()`` here: bash evaluates them in arithmetic, where a
    string such as ``a[$(cmd)]`` would run a command, so only real integers may pass.
    """

    index: int
    id: str
    title: str
    where: str
    timeout: int
    retries: int
    delay: int
    on_failure: str
    exit_code: int
    contains: str
    http_status: str
    file: str
    min_bytes: int
    confirm: str
    command: str
    touches: int
    writes_backup: bool
    makes_backup: bool
    changes: str


def _view(loaded: LoadedRunbook, procedure_id: str, index: int, step_id: str) -> StepView:
    _checked_id(step_id)
    step: Step = loaded.runbook.steps[step_id]
    command = step.command or ""
    remote = step.runs_on is RunsOn.remote
    return StepView(
        index=index,
        id=step_id,
        title=step.title,
        where=step.runs_on.value,
        timeout=int(step.timeout),
        retries=int(step.retries),
        delay=int(step.retry_delay),
        on_failure=step.on_failure.value,
        exit_code=int(step.expect.exit_code),
        contains=step.expect.output_contains or "",
        http_status=str(int(step.expect.http_status)) if step.expect.http_status else "",
        file=step.expect.file.path if step.expect.file else "",
        min_bytes=int(step.expect.file.min_bytes) if step.expect.file else 0,
        confirm=step.confirm or "",
        command=command,
        touches=int(bool(command) and (remote or bool(_USES_TARGET.search(command)))),
        writes_backup=writes_backup(loaded, procedure_id, step_id),
        makes_backup=step.writes_backup,
        changes=step.changes or "",
    )


def _escalation(loaded: LoadedRunbook) -> list[str]:
    """The first escalation level's contact, to print when a human is needed."""
    rb = loaded.runbook
    if not rb.escalation:
        return ["  (the runbook names no escalation contact)"]
    first = min(rb.escalation, key=lambda level: level.level)
    contact = rb.contacts[first.contact]
    lines = [f"  level {first.level}: {contact.name} ({contact.role})"]
    lines += [f"    {channel.kind.value}: {channel.value}" for channel in contact.channels]
    return lines


def _emergencies(loaded: LoadedRunbook) -> list[tuple[str, str]]:
    """(text to find in a failing step's output, the emergency it names), for every match."""
    rb = loaded.runbook
    out: list[tuple[str, str]] = []
    for eid, emergency in rb.emergencies.items():
        anchor = f"emergency-{eid}"
        if rb.monitoring is not None:
            page = site_link(rb, EMERGENCIES_PAGE, anchor)
        else:
            page = f"{EMERGENCIES_PAGE}#{anchor} in the runbook's site"
        label = f"{emergency.title} ({emergency.severity}): {page}"
        out += [(text, label) for text in emergency.output_matches]
    return out


def _rollback_of(loaded: LoadedRunbook, procedure_id: str) -> tuple[str, bool]:
    """The script that rolls this procedure's environment back, and whether it picks a backup."""
    rb = loaded.runbook
    environment = rb.procedures[procedure_id].environment
    for pid, procedure in rb.procedures.items():
        if (
            procedure.kind is ProcedureKind.rollback
            and procedure.environment == environment
            and procedure.script
        ):
            return procedure.script, rb.chooses_backup(pid)
    return "", False


def _help(loaded: LoadedRunbook, procedure_id: str, script: str) -> list[str]:
    """The --help text: usage, what the procedure does, the contract."""
    procedure = loaded.runbook.procedures[procedure_id]
    rollback = procedure.kind is ProcedureKind.rollback
    version = "VERSION" if procedure.version_required else "[VERSION]"
    if procedure.version_required:
        about = "VERSION is required: an existing tag."
    elif rollback:
        about = contract.ROLLBACK_DEFAULT
    else:
        about = "VERSION defaults to `git describe --tags --always`."
    lines = [f"Usage: {script} [options] {version}", "", procedure.title]
    lines += [procedure.description, about, contract.RUN_FROM]
    reached = "before the first step" if rollback else "at the first step that needs it"
    previous = (
        "the release the `current` link points at"
        if rollback
        else "the last release the journal records as verified (else the release the "
        "`current` link points at)"
    )
    lines += [
        f"The target is first reached {reached}: then the deploy lock is taken and "
        f"PREVIOUS_VERSION is {previous}."
    ]
    if rollback:
        lines += [
            "The database backup to restore is chosen before the first step: from the list of "
            f"the last {int(procedure.recent_backups)} backups, with --backup NAME, or none with "
            "--no-db-restore. A step that writes a backup (its expected file is $BACKUP_FILE) "
            "writes the safety backup $BACKUP_DIR/$ENVIRONMENT-$TIMESTAMP-safety.dump instead, "
            "so BACKUP_FILE stays the chosen backup."
        ]
    lines += ["", "Options:"]
    for option, text in contract.OPTIONS.items():
        if rollback or not text.startswith("Rollback only"):
            lines.append(f"  {option:<16} {text}")
    lines += ["", "Exit codes:"]
    lines += [f"  {code}  {text}" for code, text in contract.EXIT_CODES.items()]
    lines += ["", "Environment:"]
    lines += [f"  {name:<18} {text}" for name, text in contract.ENVIRONMENT.items()]
    lines += ["", "Lock: " + contract.LOCK, "", "Log: " + contract.LOG]
    lines += ["", "Journal: " + contract.JOURNAL]
    lines += ["", "Every exit 1, 2 and 3 ends with " + contract.EXIT_REPORT + "."]
    return lines


def _shown(template: str) -> str:
    """A template as a reader writes it: ``${BACKUP_DIR}/x`` -> ``$BACKUP_DIR/x``."""
    return _TEMPLATE_REFERENCE.sub(r"$\1", template)


def _static(name: str) -> str:
    return files("scripts_gen").joinpath("templates", name).read_text()


def render_script(loaded: LoadedRunbook, procedure_id: str) -> str:
    """The bash script of one procedure."""
    rb = loaded.runbook
    procedure = rb.procedures[procedure_id]
    _checked_id(procedure.environment)  # written unquoted into the JSON log lines
    script = procedure.script or f"{procedure_id}.sh"
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*\.sh", script):
        raise ValueError(f"not a valid script name: {script!r}")
    views = [_view(loaded, procedure_id, i, s) for i, s in enumerate(procedure.step_ids, 1)]
    by_id = {view.id: view for view in views}
    stages = [{"title": st.title, "steps": [by_id[s] for s in st.steps]} for st in procedure.stages]
    rollback = [
        _view(loaded, procedure_id, i, s) for i, s in enumerate(procedure.rollback_steps, 1)
    ]
    rollback_script, rollback_chooses = _rollback_of(loaded, procedure_id)
    return render(
        "script.sh.j2",
        script=script,
        source=" ".join(loaded.path.name.split()),
        digest=loaded.digest,
        procedure_id=_checked_id(procedure_id),
        procedure=procedure,
        env=rb.environments[procedure.environment],
        stale_lock_minutes=int(rb.environments[procedure.environment].stale_lock_minutes),
        recent_backups=int(procedure.recent_backups),
        steps=views,
        stages=stages,
        rollback_steps=rollback,
        escalation=_escalation(loaded),
        variable_names=list(RUNTIME_VARIABLES),
        config=config_variables(loaded, procedure_id),
        derived=derived(loaded),
        deploy_backup=deploy_backup(loaded),
        safety_backup=safety_backup(loaded),
        remote_functions=remote_functions(loaded, procedure_id),
        **local_context(loaded, procedure_id),
        connect_script=_static("remote_connect.sh"),
        takeover_script=_static("remote_takeover.sh"),
        finish_script=_static("remote_finish.sh"),
        recover_script=_static("remote_recover.sh"),
        guard_script=_static("remote_guard.sh"),
        status_script=_static("remote_status.sh"),
        emergencies=_emergencies(loaded),
        rollback_script=rollback_script,
        rollback_chooses=int(rollback_chooses),
        reconnect_seconds=contract.RECONNECT_SECONDS,
        runtime_start=contract.RUNTIME_START,
        help=_help(loaded, procedure_id, script),
        step_settings=contract.STEP_SETTINGS,
        has_confirmations=any(v.confirm for v in views + rollback),
        chooses_backup=rb.chooses_backup(procedure_id),
    )


def _rendered(loaded: LoadedRunbook, procedure_id: str) -> str:
    """:func:`render_script`, rendered once per loaded runbook (the build, the site's line
    links and `runbook check` all ask for the same scripts)."""
    return loaded.once(("script", procedure_id), lambda: render_script(loaded, procedure_id))


def reuse_scripts(loaded: LoadedRunbook, scripts: dict[str, str]) -> None:
    """Take ``scripts`` (file name: text) as the rendered scripts of ``loaded``: the build found
    them on disk with the hashes this runbook's rendering had (see ``current_outputs``)."""
    for pid, procedure in loaded.runbook.procedures.items():
        if procedure.script in scripts:
            loaded.known(("script", pid), scripts[procedure.script])


def render_scripts(loaded: LoadedRunbook) -> dict[str, str]:
    """Every procedure's script, by file name."""
    return {
        procedure.script: _rendered(loaded, pid)
        for pid, procedure in loaded.runbook.procedures.items()
        if procedure.script
    }


def script_line_map(loaded: LoadedRunbook) -> dict[str, dict[str, int]]:
    """Where each step of each procedure runs in its script (1-based line of its block), by
    step id; the automatic rollback's blocks by ``rollback:<step id>``."""
    lines = loaded.once("script_line_map", lambda: _line_map(loaded))
    return {pid: dict(steps) for pid, steps in lines.items()}


def _line_map(loaded: LoadedRunbook) -> dict[str, dict[str, int]]:
    result: dict[str, dict[str, int]] = {}
    for pid, procedure in loaded.runbook.procedures.items():
        if not procedure.script:
            continue
        lines: dict[str, int] = {}
        for number, line in enumerate(_rendered(loaded, pid).splitlines(), 1):
            match = _STEP_MARK.match(line)
            if match:
                key = (ROLLBACK_KEY if match.group(1) else "") + match.group(2)
                lines.setdefault(key, number)
        result[pid] = lines
    return result
