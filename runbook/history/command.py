"""`runbook history`: collect the scripts' logs into the history file the site shows.

Thin like the other commands: load the runbook, collect, merge, write, report. Bad log lines
are warnings (file:line: why), never fatal; a target that cannot be reached makes the exit
code 1 after everything that could be read was written.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from runbook.arguments import file_argument
from runbook.errors import Problem, RunbookError

SHOWN_BAD_LINES = 20


@click.command(name="history")
@file_argument
@click.option(
    "--from",
    "paths",
    multiple=True,
    type=click.Path(path_type=Path),
    help="A log file, or a directory searched for *.jsonl (repeatable). "
    "Default: $RUNBOOK_LOG_DIR, else .runbook/logs beside FILE.",
)
@click.option(
    "--remote",
    is_flag=True,
    help="Also read each environment's deploy.log.jsonl over SSH, as the scripts connect "
    "(RUNBOOK_SSH_CONFIG when set).",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The history file (default: history.json beside FILE).",
)
def history(file: Path, paths: tuple[Path, ...], remote: bool, output: Path | None) -> None:
    """Collect the deploy and rollback logs into the deployment history of FILE.

    Runs read again are merged, not doubled. Exit 0 when done (bad log lines are skipped with
    a warning), 1 when a target could not be read, 2 when FILE or a --from path is unusable.
    """
    from runbook.console import ok, say, warn
    from runbook.history.collect import Collected, default_log_dir, read_local, read_remote
    from runbook.history.runs import HISTORY_FILE, History, read_history, runs_from, write_history
    from runbook.loader import load

    loaded = load(file)
    root = loaded.path.parent
    target = output or root / HISTORY_FILE
    collected = Collected()
    local = list(paths) or [d for d in [default_log_dir(root)] if d.is_dir()]
    read_local(collected, local)
    if remote:
        read_remote(collected, loaded.runbook)
    for bad in collected.bad[:SHOWN_BAD_LINES]:
        warn(str(bad))
    if len(collected.bad) > SHOWN_BAD_LINES:
        warn(f"... and {len(collected.bad) - SHOWN_BAD_LINES} more bad lines skipped")
    for problem in collected.unreachable:
        warn(f"not read: {problem}")
    before = read_history(target) or History()
    merged, added = before.merged(runs_from(collected.lines), collected.sources)
    try:
        write_history(merged, target)
    except OSError as exc:
        raise RunbookError(Problem(f"cannot write {target}: {exc.strerror or exc}")) from None
    say(
        f"read {len(collected.lines)} log lines from {len(collected.files)} file(s)"
        + (f", skipped {len(collected.bad)} bad line(s)" if collected.bad else "")
    )
    ok(f"wrote {os.path.relpath(target)}: {len(merged.runs)} runs ({added} new)")
    if collected.unreachable:
        sys.exit(1)
