"""Rules about procedures: backups, rollback paths, health checks, confirmations, navigation."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from runbook.lint.facts import (
    is_backup,
    is_health_check,
    is_migration,
    is_restart,
    is_restore,
    main_refs,
    on_production,
    rollback_refs,
)
from runbook.lint.rule import Hit, rule
from runbook.model import OnFailure, ProcedureKind, Runbook


@rule(
    "RB001",
    "backup-before-migration",
    "Production backs up before it migrates",
    rationale="""
        A migration that goes wrong can only be undone from a backup taken just before it.
        In a procedure on a production environment (an environment whose id starts with
        `prod`, or that requires a version tag or confirmations), every migration step (a
        migration tool in its command, or `migrate` in its id) must come after a backup step
        (a dump tool such as `mysqldump`, a step that must produce `$BACKUP_FILE`, or an id
        starting with `backup`).
    """,
    example="""
        procedures:
          deploy-production:
            environment: production
            stages:
              - title: Deploy
                steps: [upload-release, migrate, switch-release]
    """,
    fix="""
        procedures:
          deploy-production:
            environment: production
            stages:
              - title: Backup
                steps: [backup-database, verify-backup]
              - title: Deploy
                steps: [upload-release, migrate, switch-release]
    """,
)
def backup_before_migration(rb: Runbook) -> Iterator[Hit]:
    for pid, proc in rb.procedures.items():
        if not on_production(rb, proc):
            continue
        backed_up = False
        for path, step_id, step in main_refs(rb, pid):
            if is_migration(step_id, step) and not backed_up:
                yield Hit(
                    path,
                    f"production procedure '{pid}' migrates in '{step_id}' with no backup "
                    "step before it",
                    step_id,
                )
            backed_up = backed_up or is_backup(step_id, step)


def _last_health_check(rb: Runbook, pid: str) -> int:
    positions = [
        i for i, (_, sid, step) in enumerate(main_refs(rb, pid)) if is_health_check(sid, step)
    ]
    return positions[-1] if positions else -1


@rule(
    "RB002",
    "rollback-path",
    "Every step after the point of no return has a way back",
    rationale="""
        Once a procedure has passed its point of no return, a failure must lead back to a
        working service: the procedure's `rollback_steps` run (deploys must define them).
        Two things break that path. A step with `on_failure: continue` from the point of no
        return up to and including the procedure's last health check swallows a failure that should
        have rolled back, so a broken release is reported as done (housekeeping after the
        last health check may continue). And a procedure with no point of no return and no
        rollback steps whose steps say `on_failure: rollback` promises a rollback that
        nothing defines, so the script can only stop half-way.
    """,
    example="""
        steps:
          test-endpoints:
            command: check_endpoints
            on_failure: continue
        procedures:
          deploy-production:
            stages:
              - {title: Deploy, steps: [switch-release, reload-app]}
              - {title: Verify, steps: [health-check, test-endpoints]}
            point_of_no_return: switch-release
    """,
    fix="""
        steps:
          test-endpoints:
            command: check_endpoints
            on_failure: rollback
    """,
)
def rollback_path(rb: Runbook) -> Iterator[Hit]:
    for pid, proc in rb.procedures.items():
        refs = list(main_refs(rb, pid))
        if proc.point_of_no_return is None:
            if not proc.rollback_steps:
                for path, step_id, step in refs:
                    if step.on_failure is OnFailure.rollback:
                        yield Hit(
                            path,
                            f"'{step_id}' rolls back on failure, but procedure '{pid}' has no "
                            "point_of_no_return and no rollback_steps",
                            step_id,
                        )
            continue
        start = proc.step_ids.index(proc.point_of_no_return)
        last_check = _last_health_check(rb, pid)
        for index, (path, step_id, step) in enumerate(refs):
            if start <= index <= last_check and step.on_failure is OnFailure.continue_:
                yield Hit(
                    path,
                    f"'{step_id}' continues on failure after the point of no return of "
                    f"'{pid}': a failure here neither rolls back nor stops",
                    step_id,
                )


@rule(
    "RB003",
    "health-check-after-restart",
    "A health check follows every restart or reload",
    rationale="""
        A restart or reload that exits 0 says nothing about whether the service came back.
        Every step that restarts or reloads a service (`systemctl restart`, `sv restart`,
        `kill -HUP`, `nginx -s reload`, ... or `restart`/`reload` in its id) must be
        followed, later in the same procedure, by a health check (a step using `$HEALTH_URL`,
        `check_endpoints` or a `/health` path, or with `health` or `smoke` in its id). The
        automatic `rollback_steps` are checked on their own: a rollback that reloads must also
        prove the previous release serves.
    """,
    example="""
        procedures:
          deploy-production:
            rollback_steps: [restore-previous-release, reload-app]
    """,
    fix="""
        procedures:
          deploy-production:
            rollback_steps: [restore-previous-release, reload-app, health-check-previous]
    """,
)
def health_check_after_restart(rb: Runbook) -> Iterator[Hit]:
    for pid in rb.procedures:
        for refs in (list(main_refs(rb, pid)), list(rollback_refs(rb, pid))):
            for index, (path, step_id, step) in enumerate(refs):
                if not is_restart(step_id, step):
                    continue
                if not any(is_health_check(sid, s) for _, sid, s in refs[index + 1 :]):
                    yield Hit(
                        path,
                        f"'{step_id}' restarts or reloads the service in '{pid}' and no health "
                        "check follows it",
                        step_id,
                    )


@rule(
    "RB004",
    "confirm-dangerous-production-steps",
    "Dangerous production steps ask for confirmation",
    rationale="""
        A step marked `dangerous` changes production in a way that is hard to undo, so an
        operator must have said yes before it runs. In a procedure on a production
        environment, a dangerous step with a command must either carry its own `confirm`
        question or come after a step with a `confirm` question earlier in the same procedure
        (a confirmation gate). The automatic `rollback_steps` are exempt: they run because a
        step failed, and must not wait for a human.
    """,
    example="""
        procedures:
          rollback-production:
            environment: production
            stages:
              - {title: Roll back, steps: [switch-release, restore-database]}
    """,
    fix="""
        procedures:
          rollback-production:
            environment: production
            stages:
              - {title: Confirm, steps: [confirm-rollback]}
              - {title: Roll back, steps: [switch-release, restore-database]}
    """,
)
def confirm_dangerous_production_steps(rb: Runbook) -> Iterator[Hit]:
    for pid, proc in rb.procedures.items():
        if not on_production(rb, proc):
            continue
        confirmed = False
        for path, step_id, step in main_refs(rb, pid):
            if step.dangerous and step.command is not None and not (confirmed or step.confirm):
                yield Hit(
                    path,
                    f"dangerous step '{step_id}' runs in production procedure '{pid}' with no "
                    "confirmation before it",
                    step_id,
                )
            confirmed = confirmed or step.confirm is not None


@rule(
    "RB010",
    "rollback-procedure-exists",
    "Every environment that is deployed to can be rolled back",
    rationale="""
        At 3 a.m. the on-call engineer looks for the rollback page of the environment that
        is on fire. Every environment with a `deploy` procedure needs a `rollback` procedure
        for the same environment, so the way back is written down (and scripted) before it
        is needed.
    """,
    example="""
        procedures:
          deploy-production: {kind: deploy, environment: production}
    """,
    fix="""
        procedures:
          deploy-production: {kind: deploy, environment: production}
          rollback-production: {kind: rollback, environment: production}
    """,
)
def rollback_procedure_exists(rb: Runbook) -> Iterator[Hit]:
    rollbacks = {p.environment for p in rb.procedures.values() if p.kind is ProcedureKind.rollback}
    for pid, proc in rb.procedures.items():
        if proc.kind is ProcedureKind.deploy and proc.environment not in rollbacks:
            yield Hit(
                ("procedures", pid, "environment"),
                f"'{pid}' deploys to '{proc.environment}', which has no rollback procedure",
            )


def _norm(title: str) -> str:
    return " ".join(title.split()).casefold()


@rule(
    "RB009",
    "procedure-navigation",
    "Every procedure can be told apart in the navigation",
    rationale="""
        The site gives every procedure a page, listed in the navigation by its title, and
        every stage a heading in the page's table of contents. Two procedures with the same
        title (ignoring case and spacing) make two navigation entries nobody can tell apart,
        and two stages with the same title in one procedure make two identical table of
        contents entries whose links differ only by a suffix. The reader at 3 a.m. must reach
        the right procedure and stage on the first click.
    """,
    example="""
        procedures:
          rollback-staging: {title: Rollback, environment: staging}
          rollback-production: {title: Rollback, environment: production}
    """,
    fix="""
        procedures:
          rollback-staging: {title: Staging rollback, environment: staging}
          rollback-production: {title: Production rollback, environment: production}
    """,
)
def procedure_navigation(rb: Runbook) -> Iterator[Hit]:
    first: dict[str, str] = {}
    for pid, proc in rb.procedures.items():
        key = _norm(proc.title)
        if key in first:
            yield Hit(
                ("procedures", pid, "title"),
                f"'{pid}' has the same title as '{first[key]}' ('{proc.title}'): their "
                "navigation entries cannot be told apart",
            )
        first.setdefault(key, pid)
        stages: dict[str, list[int]] = defaultdict(list)
        for si, stage in enumerate(proc.stages):
            stages[_norm(stage.title)].append(si)
        for indexes in stages.values():
            for si in indexes[1:]:
                yield Hit(
                    ("procedures", pid, "stages", si, "title"),
                    f"stage '{proc.stages[si].title}' appears twice in '{pid}': its table of "
                    "contents entries cannot be told apart",
                )


@rule(
    "RB012",
    "safety-backup-before-restore",
    "A database restore is preceded by a safety backup",
    rationale="""
        Restoring a backup overwrites every row written since it was taken, and the backup
        chosen under pressure at 3 a.m. may be the wrong one. A step that restores a
        database (`mongorestore`, `mysql ... <`, a restore tool other than a listing) must come
        after a backup step in the same procedure, so the restore itself can be undone. In
        the automatic `rollback_steps`, a backup made by the procedure's own steps counts.
    """,
    example="""
        procedures:
          rollback-production:
            stages:
              - {title: Roll back, steps: [confirm-rollback, switch-release, restore-database]}
    """,
    fix="""
        procedures:
          rollback-production:
            stages:
              - {title: Safety backup, steps: [confirm-rollback, backup-database]}
              - {title: Roll back, steps: [switch-release, restore-database]}
    """,
)
def safety_backup_before_restore(rb: Runbook) -> Iterator[Hit]:
    for pid in rb.procedures:
        main = list(main_refs(rb, pid))
        deploy_backup = any(is_backup(sid, step) for _, sid, step in main)
        for refs, backed_up in ((main, False), (list(rollback_refs(rb, pid)), deploy_backup)):
            for path, step_id, step in refs:
                if is_restore(step_id, step) and not backed_up:
                    yield Hit(
                        path,
                        f"'{step_id}' restores the database in '{pid}' with no safety backup "
                        "before it",
                        step_id,
                    )
                backed_up = backed_up or is_backup(step_id, step)
