"""`runbook check`: validation, lint, drift and shellcheck in one command, for CI and pre-commit.

Exit codes: 0 when everything is clean, 1 when a check found problems, 2 when the input cannot
be used (invalid or unreadable runbook). ``--verify`` adds the container suite. The output is
text on a terminal, ``--format json`` for tools and ``--format github`` for workflow
annotations; the same ``CheckReport`` feeds all three.

The check is incremental: what shellcheck and ``bash -n`` said about a text, and what the
generated files of a runbook are (by hash, for one version of the tool), are kept in
``.runbook/cache/`` beside the runbook (``runbook.cache``). An unchanged runbook is
validated and linted again, its generated files compared by hash without being rendered,
and no checker runs. ``--no-cache`` ignores the folder; deleting it is always safe.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from runbook.arguments import file_argument
from runbook.errors import RunbookError

if TYPE_CHECKING:  # the lint rules and pydantic stay out of `runbook --help`
    from runbook.cache import ResultCache
    from runbook.lint.outputs import Issue
    from runbook.lint.report import CheckReport
    from runbook.loader import LoadedRunbook

FORMATS = ("text", "json", "github")


def _lint_issues(loaded: LoadedRunbook) -> list[Issue]:
    from runbook.lint import lint_loaded
    from runbook.lint.outputs import Issue

    return [
        Issue(
            "lint",
            f.rule,
            f.message,
            f.location.file if f.location else loaded.display,
            f.location.line if f.location else None,
            f.location.column if f.location else None,
            f.path,
        )
        for f in lint_loaded(loaded)
    ]


def _verify_issues(loaded: LoadedRunbook, quiet_stdout: bool) -> list[Issue]:
    """The container suite (``runbook.verify``), as issues: failed scenarios and steps."""
    from contextlib import nullcontext

    from runbook.lint.verified import stdout_to_stderr, verification_issues
    from runbook.verify import verify

    with stdout_to_stderr() if quiet_stdout else nullcontext():
        record, _ = verify(loaded.path)
    return verification_issues(loaded, record)


def _monitoring(
    loaded: LoadedRunbook, outputs: dict[str, str], report: CheckReport, cache: ResultCache
) -> None:
    """promtool and amtool on the rendered monitoring files; a missing tool is a note."""
    from runbook.alerts.tools import check_monitoring

    tools = check_monitoring(loaded.runbook, outputs, loaded.path.parent, cache)
    report.issues += tools.issues
    report.tools += tools.ran
    report.notes += tools.notes


def _history_issues(loaded: LoadedRunbook) -> list[Issue]:
    """A performance target the recorded deployment history misses, at the target's line."""
    from runbook.errors import Problem
    from runbook.history.measures import verdicts
    from runbook.history.runs import HISTORY_FILE, read_history
    from runbook.lint.outputs import Issue

    history = read_history(loaded.path.parent / HISTORY_FILE)
    if history is None:
        raise RunbookError(
            Problem(f"no deployment history ({HISTORY_FILE})", hint="run `runbook history` first")
        )
    issues = []
    for verdict in verdicts(loaded.runbook, history):
        if verdict.met is False:
            where = loaded.locate("performance", verdict.index)
            issues.append(
                Issue(
                    "history",
                    "missed-target",
                    f"{verdict.target.title}: {verdict.text} misses {verdict.target.display}",
                    where.file if where else loaded.display,
                    where.line if where else None,
                    where.column if where else None,
                    f"performance[{verdict.index}]",
                )
            )
    return issues


def run_check(
    file: Path,
    *,
    verify: bool = False,
    quiet_stdout: bool = False,
    history: bool = False,
    use_cache: bool = True,
) -> CheckReport:
    """Every check on ``file``; raises ``RunbookError`` when it cannot be used at all."""
    from runbook.build import current_outputs
    from runbook.cache import CACHE_DIR, ResultCache
    from runbook.fleet.check import ansible_issues, is_playbook
    from runbook.lint import RULES
    from runbook.lint.commands import check_commands
    from runbook.lint.outputs import drift, shellcheck, stale
    from runbook.lint.report import CheckReport
    from runbook.loader import load
    from scripts_gen.contract import RUNTIME_START

    loaded = load(file)
    root = loaded.path.parent
    folder = root / CACHE_DIR if use_cache else None
    caches = {
        name: ResultCache(folder, name)
        for name in ("outputs", "shellcheck", "commands", "monitoring", "ansible")
    }
    outputs = current_outputs(loaded, caches["outputs"])
    scripts = {rel: text for rel, text in outputs.items() if rel.endswith(".sh")}
    report = CheckReport(
        loaded.display, rules=len(RULES), generated=len(outputs), scripts=len(scripts)
    )
    report.issues += _lint_issues(loaded)
    report.issues += drift(outputs, root, loaded.display)
    report.issues += stale(outputs, root, loaded.display)
    report.issues += shellcheck(scripts, root, caches["shellcheck"], RUNTIME_START)
    command_issues, report.commands = check_commands(loaded, caches["commands"])
    report.issues += command_issues
    _monitoring(loaded, outputs, report, caches["monitoring"])
    if history:
        report.issues += _history_issues(loaded)
    report.issues += ansible_issues(outputs, root, cache=caches["ansible"])
    report.playbooks = sum(1 for rel in outputs if is_playbook(rel))
    for cache in caches.values():
        cache.save()
    if verify:
        report.issues += _verify_issues(loaded, quiet_stdout)
        report.verified = True
    return report


def _print_text(report: CheckReport) -> None:
    from runbook.console import ok, say, warn
    from runbook.lint.report import shown_diff

    for note in report.notes:
        warn(note)
    for issue in report.issues:
        say(str(issue), fg="red" if issue.kind != "shellcheck" else "yellow")
        for line in shown_diff(issue.detail):
            colour = {"+": "green", "-": "red", "@": "cyan"}.get(line[:1])
            say(f"    {line}", fg=None if line[:3] in ("+++", "---") else colour)
    if report.issues:
        say(report.summary(), fg="red", bold=True)
    else:
        ok(report.summary())


def _print_unusable(fmt: str, source: str, exc: RunbookError) -> None:
    """The problems for tools; the CLI prints them for people on stderr as always."""
    from runbook.lint.report import problems_github, problems_json

    if fmt == "json":
        click.echo(problems_json(source, exc.problems))
    elif fmt == "github":
        for line in problems_github(source, exc.problems):
            click.echo(line)


@click.command()
@file_argument
@click.option(
    "--verify",
    is_flag=True,
    help="Also run the container suite (needs Docker); writes verification.json like `runbook verify`.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text for people, json for tools, github for workflow annotations.",
)
@click.option(
    "--history",
    is_flag=True,
    help="Also hold the recorded deployment history (history.json, from `runbook history`) "
    "to the runbook's performance targets.",
)
@click.option(
    "--no-cache",
    is_flag=True,
    help="Check everything again, ignoring what .runbook/cache/ holds from earlier runs.",
)
def check(file: Path, verify: bool, fmt: str, history: bool, no_cache: bool) -> None:
    """Validate FILE (default: runbook.yaml), lint it, and check the generated files.

    Fails on findings of the lint rules, on committed generated files that differ from what
    FILE renders now (missing ones included), on shellcheck comments on the scripts, and on
    `bash -n` errors and shellcheck comments on each step command, checklist check and
    diagnosis command, shown at their line in FILE, and on what promtool and amtool find in
    the alert rules and routing (skipped with a warning when they are not installed).

    Exit 0 when clean, 1 on findings, 2 when FILE cannot be used.
    """
    from runbook.lint.report import github_lines, json_text

    try:
        report = run_check(
            file,
            verify=verify,
            quiet_stdout=fmt != "text",
            history=history,
            use_cache=not no_cache,
        )
    except RunbookError as exc:
        _print_unusable(fmt, str(file), exc)
        raise
    if fmt == "json":
        click.echo(json_text(report))
    elif fmt == "github":
        for line in github_lines(report):
            click.echo(line)
    else:
        _print_text(report)
    sys.exit(report.exit_code)
