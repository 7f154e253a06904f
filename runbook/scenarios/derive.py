"""Scenarios derived from the runbook itself, written as Gherkin a release engineer can review.

For every procedure with a script: end to end under the probe; for a deploy with rollback
steps, the automatic rollback of an unhealthy release; each refusal the runbook promises
(no terminal without `--yes`, a bad or untagged version, the wrong branch); each
confirmation declined; for a rollback that restores, a restore from a chosen backup. Once
per runbook: a held and a stale deploy lock, every procedure's steps alone, and the
emergencies' diagnosis commands. The text names the project's own procedures, steps and
versions; the phrases are the documented vocabulary (``given``, ``when``, ``then``).
"""

from __future__ import annotations

import re

from runbook.loader import LoadedRunbook
from runbook.model import Procedure, ProcedureKind, Runbook
from runbook.scenarios.plans import backup_name, next_version

HEADER = "# Derived from {source} by `runbook verify`; regenerated on every run.\n"


def features(loaded: LoadedRunbook) -> dict[str, str]:
    """Feature file name -> Gherkin text, for every scenario the runbook implies."""
    rb = loaded.runbook
    assert rb.target is not None, "the runbook declares no target"
    header = HEADER.format(source=loaded.path.name)
    out: dict[str, str] = {}
    first_deploy = next(
        (
            p
            for p, proc in rb.procedures.items()
            if proc.kind is ProcedureKind.deploy and proc.script
        ),
        None,
    )
    for pid, proc in rb.procedures.items():
        if not proc.script:
            continue
        scenarios = (
            _deploy(loaded, pid, proc, locks=pid == first_deploy)
            if proc.kind is ProcedureKind.deploy
            else _rollback(loaded, pid, proc)
        )
        out[f"{pid}.feature"] = header + _feature(
            f"{proc.title} with scripts/{proc.script}", proc.description, scenarios
        )
    scripted = [pid for pid, proc in rb.procedures.items() if proc.script]
    out["steps_alone.feature"] = header + _feature(
        "Every documented step works on its own",
        "Run on its own, in its page's order, each step meets its documented expectation.",
        [
            _outline(
                "The steps of <procedure> meet their expectations when run one by one",
                [
                    "Given the target is prepared for <procedure>",
                    "When each step of <procedure> is run on its own, as its page shows it",
                    "Then every step of <procedure> meets its documented expectation",
                ],
                "procedure",
                scripted,
            )
        ],
    )
    if first_deploy is not None:
        faults = _faults(loaded, first_deploy)
        if faults:
            out["faults.feature"] = header + _feature(
                f"Faults during {first_deploy}: the truth on exit, and a re-run that recovers",
                "Each fault of the 'Running the scripts' page, injected into a real run on the "
                "target: the exit code and report as documented, no failed request outside the "
                "fault, the data intact, and a re-run or the named next command that brings "
                "the service to a verified release.",
                faults,
            )
    from runbook.scenarios.derive_fleet import fleet_features

    out.update(fleet_features(loaded, header))
    emergencies = [eid for eid, e in rb.emergencies.items() if e.diagnosis]
    if emergencies and first_deploy:
        out["emergencies.feature"] = header + _feature(
            "The emergency procedures' diagnosis commands work on the target",
            "Each runs as the deploy user and tells something.",
            [
                _outline(
                    "The diagnosis commands of <emergency> run on the target",
                    [
                        f"Given the target of {first_deploy} serves the baseline release",
                        "When the on-call engineer runs each diagnosis command of <emergency> "
                        "on the target",
                        "Then every diagnosis command exits with code 0 and prints a result",
                    ],
                    "emergency",
                    emergencies,
                )
            ],
        )
    return out


def _feature(name: str, description: str, scenarios: list[str]) -> str:
    lines = [f"Feature: {_one_line(name)}"]
    if description:
        lines.append(f"  {_one_line(description)}")
    return "\n".join(lines) + "\n" + "".join("\n" + s for s in scenarios)


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _scenario(title: str, steps: list[str], tags: str = "") -> str:
    head = f"  {tags}\n" if tags else ""
    return head + f"  Scenario: {title}\n" + "".join(f"    {s}\n" for s in steps)


def _outline(title: str, steps: list[str], column: str, values: list[str]) -> str:
    width = max(len(column), *(len(v) for v in values))
    rows = "".join(f"      | {v:<{width}} |\n" for v in values)
    return (
        f"  Scenario Outline: {title}\n"
        + "".join(f"    {s}\n" for s in steps)
        + f"\n    Examples:\n      | {column:<{width}} |\n{rows}"
    )


def _confirmations(rb: Runbook, proc: Procedure) -> list[str]:
    return [sid for sid in proc.step_ids if rb.steps[sid].confirm]


def _after_point(proc: Procedure, step_id: str) -> bool:
    ids = proc.step_ids
    return proc.point_of_no_return is not None and ids.index(step_id) > ids.index(
        proc.point_of_no_return
    )


def _deploy(loaded: LoadedRunbook, pid: str, proc: Procedure, *, locks: bool) -> list[str]:
    rb = loaded.runbook
    env = rb.environments[proc.environment]
    assert rb.target is not None
    newest = rb.target.releases.newest
    start = [
        f"Given the target of {pid} serves the baseline release",
        f"And the checkout is on the branch of {pid}",
    ]
    checks = [
        "Then the script exits with code 0",
        "And the newest release serves",
        f"And the steps ran in the documented order of {pid}",
        "And the deploy lock is released",
    ]
    if any(step.writes_backup for _, step in rb.procedure_steps(pid)):
        checks.append("And a backup was made by the run")
    if env.endpoints:
        checks.append(f"And every endpoint of {pid} answers as documented")
    out = [
        _scenario(
            f"{pid} ships the newest release with no failed request",
            [
                *start,
                f"When the release engineer runs {pid} while the probe watches",
                *checks,
                "And the probe saw no failed request",
            ],
        )
    ]
    if proc.rollback_steps:
        # exit 1 only when the target is as before: not after a step with `changes`
        changed = any(step.changes for _, step in rb.procedure_steps(pid))
        out.append(
            _scenario(
                f"{pid} rolls an unhealthy release back by itself",
                [
                    *start,
                    "And the checkout has a release that fails its health check",
                    f"When the release engineer runs {pid} while the probe watches",
                    f"Then the script exits with code {3 if changed else 1}",
                    "And the baseline release serves again",
                    "And the deploy lock is released",
                    f"And the log shows the rollback steps of {pid} ran",
                    "And the probe saw no failed request besides the unhealthy release's own answers",
                ],
            )
        )
    version = f"{newest} " if proc.version_required else ""
    refusals: list[tuple[str, list[str], str]] = []
    if _confirmations(rb, proc):
        refusals.append(("without a terminal and without --yes", [], version.strip()))
    if proc.version_required:
        untagged = next_version(newest)
        refusals.append(("without a version", [], "--yes"))
        refusals.append(
            ("a version that does not match the tag pattern", [], "--yes not/a/version")
        )
        if re.search(env.tag_pattern, untagged):
            refusals.append((f"the untagged version {untagged}", [], f"--yes {untagged}"))
    if env.branch:
        refusals.append(
            ("from another branch", ["And the checkout is on another branch"], f"{version}--yes")
        )
    for what, extra, args in refusals:
        steps = [*start, *extra]
        run = (
            f'When the release engineer runs {pid} with "{args}"'
            if args
            else (f'When the release engineer runs {pid} with ""')
        )
        out.append(
            _scenario(
                f"{pid} refuses {what}",
                [
                    *steps,
                    run,
                    "Then the script exits with code 2",
                    "And nothing changed on the target",
                ],
            )
        )
    for step_id in _confirmations(rb, proc):
        out.append(_declined(rb, pid, proc, step_id, start, "the newest release serves"))
    if locks:
        out.append(
            _scenario(
                f"A second {pid} is refused while the first holds the deploy lock",
                [
                    *start,
                    f"And {pid} is running and holds the deploy lock",
                    f"When the release engineer runs {pid} while the probe watches",
                    "Then the script exits with code 2",
                    "And the output says the deploy lock is held",
                    "And the run that held the lock finishes with code 0",
                    "And the probe saw no failed request",
                ],
            )
        )
        out.append(
            _scenario(
                f"A deploy lock left by a killed {pid} is taken over",
                [
                    *start,
                    f"And {pid} was killed while it held the deploy lock",
                    f"When the release engineer runs {pid} while the probe watches",
                    "Then the script exits with code 0",
                    "And the output warns that the stale lock was taken over",
                    "And the newest release serves",
                    "And the deploy lock is released",
                    "And the probe saw no failed request",
                ],
            )
        )
    return out


def _faults(loaded: LoadedRunbook, pid: str) -> list[str]:
    """The fault scenarios of the first deploy: where each fault strikes is read from its
    steps (the backup, the first step with `changes`, the point of no return)."""
    rb = loaded.runbook
    proc = rb.procedures[pid]
    assert rb.target is not None
    ids = proc.step_ids
    steps = [(sid, rb.steps[sid]) for sid in ids]
    backup = next((sid for sid, st in steps if st.writes_backup), None)
    changes = next((sid for sid, st in steps if st.changes), None)
    point = proc.point_of_no_return
    remote = [sid for sid, st in steps if st.runs_on.value == "remote" and st.command]
    if not remote or point is None:
        return []
    before_point = [sid for sid in remote if ids.index(sid) < ids.index(point)]
    data = rb.target.data is not None
    mark = ['And a mark "written before the fault" is in the service\'s data'] if data else []
    kept = ['And the mark "written before the fault" is in the service\'s data'] if data else []
    start = [
        f"Given the target of {pid} serves the baseline release",
        *mark,
        f"And the checkout is on the branch of {pid}",
    ]
    recovered = [
        "And the newest release serves",
        "And the deploy lock is released",
        "And the probe saw no failed request outside the fault",
        *kept,
    ]
    out: list[str] = []
    kill_at = [(w, s) for w, s in (("at", backup), ("at", changes), ("after", point)) if s]
    kill_at.append(("at", ids[-1]))
    for where, step in dict.fromkeys(kill_at):
        out.append(
            _scenario(
                f"{pid} killed {where} the step {step} is finished by a re-run",
                [
                    *start,
                    f"When the release engineer runs {pid} while the probe watches, and the run is "
                    f"killed {where} the step {step}",
                    f"And the release engineer runs {pid} again",
                    "Then the script exits with code 0",
                    *recovered,
                ],
            )
        )
    cut = changes or (before_point[-1] if before_point else remote[0])
    out.append(
        _scenario(
            f"{pid} with its SSH connection cut during {cut} says what changed",
            [
                *start,
                f"When the release engineer runs {pid} while the probe watches, and the SSH "
                f"connection is cut at the step {cut}",
                f"Then the script exits with code {3 if rb.steps[cut].changes else 1}",
                "And the report ends with what serves, the lock and the next command",
                "And the cut reached a running ssh client of the step",
                "And the next command the report names brings the service to a verified release",
                "And the probe saw no failed request outside the fault",
                *kept,
            ],
        )
    )
    if before_point:
        out.append(
            _scenario(
                f"{pid} waits for sshd to come back before {point}",
                [
                    *start,
                    f"When the release engineer runs {pid} while the probe watches, and sshd stops "
                    f"for a while at the step {before_point[-1]}",
                    "Then the script exits with code 0",
                    *recovered,
                ],
            )
        )
    pause_at = changes or remote[0]
    out.append(
        _scenario(
            f"{pid} rides out a paused target",
            [
                *start,
                f"When the release engineer runs {pid} while the probe watches, and the target is "
                f"paused for a while at the step {pause_at}",
                "Then the script exits with code 0",
                *recovered,
            ],
        )
    )
    after_point = [sid for sid in remote if ids.index(sid) > ids.index(point)]
    if after_point:
        out.append(
            _scenario(
                f"{pid} rides out a restart of the target after {point}",
                [
                    *start,
                    f"When the release engineer runs {pid} while the probe watches, and the "
                    f"target restarts at the step {after_point[0]}",
                    "Then the script exits with code 0",
                    *recovered,
                ],
            )
        )
    retried = [sid for sid in after_point if rb.steps[sid].retries]
    if retried:
        out.append(
            _scenario(
                f"{pid} waits out a health check slower than its timeout",
                [
                    *start,
                    f"When the release engineer runs {pid} while the probe watches, and the "
                    f"target is paused for a while at the step {retried[0]}",
                    "Then the script exits with code 0",
                    *recovered,
                ],
            )
        )
    if changes and rb.target.releases.failing is not None:
        out.append(
            _scenario(
                f"{pid} with a release whose {changes} fails halfway says what changed",
                [
                    *start,
                    "And the checkout has a release whose first step with changes fails",
                    f"When the release engineer runs {pid} while the probe watches",
                    "Then the script exits with code 3",
                    "And the report names what changed and the backup to restore from",
                    "And the report ends with what serves, the lock and the next command",
                    "And the baseline release still serves",
                    "And the deploy lock is released",
                    "And the probe saw no failed request",
                    *kept,
                ],
            )
        )
    if backup:
        out.append(
            _scenario(
                f"{pid} with a full disk at {backup} quarantines the failed backup",
                [
                    *start,
                    f"When the backups of {pid} are on a full disk",
                    f"And the release engineer runs {pid} while the probe watches",
                    "Then the script exits with code 1",
                    "And the report ends with what serves, the lock and the next command",
                    "And the failed backup is in backups/failed and no other backup is listed",
                    f"When the release engineer runs {pid} again",
                    "Then the script exits with code 0",
                    *recovered,
                ],
            )
        )
    for name in rb.target.dependencies:
        if backup:
            out.append(
                _scenario(
                    f"{pid} refuses to go on when {name} is down before {backup}",
                    [
                        *start,
                        f"When the release engineer runs {pid} while the probe watches, and the "
                        f"dependency {name} stops at the step {ids[0]}",
                        "Then the script exits with code 1",
                        "And the report ends with what serves, the lock and the next command",
                        "And the failed backup is in backups/failed and no other backup is listed",
                        f"When the release engineer runs {pid} again",
                        "Then the script exits with code 0",
                        *recovered,
                    ],
                )
            )
        if proc.rollback_steps:
            out.append(
                _scenario(
                    f"{pid} names the emergency when {name} goes down after {point}",
                    [
                        *start,
                        f"When the release engineer runs {pid} while the probe watches, and the "
                        f"dependency {name} stops after the step {point}",
                        f"Then the script exits with code {3 if changes else 1}",
                        "And the output names an emergency procedure",
                        "And the report ends with what serves, the lock and the next command",
                        "And the next command the report names brings the service to a verified "
                        "release",
                        "And the probe saw no failed request outside the fault",
                        *kept,
                    ],
                )
            )
    out.append(
        _scenario(
            f"Two runs of {pid} started at once: one deploys, the other is refused",
            [
                *start,
                f"When two runs of {pid} start half a second apart",
                "Then one run exits with code 0 and the other with code 2",
                "And the refused run names the lock's owner and reports no backup",
                "And the newest release serves",
                "And the deploy lock is released",
                "And the probe saw no failed request",
            ],
        )
    )
    return out


def _declined(
    rb: Runbook,
    pid: str,
    proc: Procedure,
    step_id: str,
    start: list[str],
    done: str,
    args: str = "",
) -> str:
    step = rb.steps[step_id]
    with_args = f' with "{args}"' if args else ""
    run = f'When the release engineer runs {pid} on a terminal and declines "{step_id}"{with_args}'
    if step.command:  # a step with a command is skipped and the run goes on
        checks = [
            "Then the script exits with code 0",
            f"And the step {step_id} was skipped",
            f"And {done}",
        ]
    elif _after_point(proc, step_id):
        changed = any(
            rb.steps[sid].changes for sid in proc.step_ids[: proc.step_ids.index(step_id)]
        )
        checks = [
            f"Then the script exits with code {3 if changed else 1}",
            "And the baseline release serves again",
        ]
    else:
        checks = [
            "Then the script exits with code 2",
            "And nothing changed on the target but its backups",
        ]
    return _scenario(
        f"{pid} stops or skips as documented when {step_id} is not confirmed",
        [*start, run, *checks, "And the deploy lock is released"],
    )


def _rollback(loaded: LoadedRunbook, pid: str, proc: Procedure) -> list[str]:
    rb = loaded.runbook
    assert rb.target is not None
    data = rb.target.data is not None
    chooses = rb.chooses_backup(pid)
    backup = backup_name(loaded)
    served = [
        f"Given the target of {pid} serves the baseline release",
        "And the newest release was deployed after it",
        f"And the checkout is on the branch of {pid}",
    ]
    out = [
        _scenario(
            f"{pid} goes back to the baseline release with no failed request",
            [
                *served,
                f"When the release engineer runs {pid} while the probe watches",
                "Then the script exits with code 0",
                "And the baseline release serves again",
                f"And the steps ran in the documented order of {pid}",
                "And the deploy lock is released",
                "And the probe saw no failed request",
            ],
        )
    ]
    if chooses:
        steps = [f"Given the target of {pid} serves the baseline release"]
        if data:
            steps.append('And a mark "written before the backup" is in the service\'s data')
        steps += [
            f'And a backup named "{backup}" is made by the runbook\'s backup step',
            "And the newest release was deployed after it",
        ]
        if data:
            steps.append('And a mark "written after the backup" is in the service\'s data')
        steps += [
            f"And the checkout is on the branch of {pid}",
            f'When the release engineer runs {pid} with "--yes --backup {backup}" '
            "while the probe watches",
            "Then the script exits with code 0",
            "And the baseline release serves again",
        ]
        if data:
            steps += [
                'And the mark "written before the backup" is in the service\'s data',
                'And the mark "written after the backup" is not in the service\'s data',
            ]
        steps += ["And a backup was made by the run", "And the probe saw no failed request"]
        out.append(_scenario(f"{pid} restores a chosen backup", steps))
    confirmations = _confirmations(rb, proc)
    if confirmations:
        no_yes = "--no-db-restore" if chooses else ""
        out.append(
            _scenario(
                f"{pid} refuses without a terminal and without --yes",
                [
                    *served,
                    f'When the release engineer runs {pid} with "{no_yes}"',
                    "Then the script exits with code 2",
                    "And nothing changed on the target",
                ],
            )
        )
    declined_start = list(served)
    args = ""
    if chooses:
        declined_start.insert(
            1, f'And a backup named "{backup}" is made by the runbook\'s backup step'
        )
        args = f"--backup {backup}"
    for step_id in confirmations:
        out.append(
            _declined(
                rb, pid, proc, step_id, declined_start, "the baseline release serves again", args
            )
        )
    return out
