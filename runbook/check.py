"""`runbook check`: validation, lint, drift and shellcheck in one command, for CI and pre-commit.

Exit codes: 0 when everything is clean, 1 when a check found problems, 2 when the input cannot
be used (invalid or unreadable runbook). ``--verify`` adds the container suite. The output is
text on a terminal, ``--format json`` for tools and ``--format github`` for workflow
annotations; the same ``CheckReport`` feeds all three.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from runbook.arguments import file_argument
from runbook.errors import RunbookError

if TYPE_CHECKING:  # the lint rules and pydantic stay out of `runbook --help`
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


def run_check(file: Path, *, verify: bool = False, quiet_stdout: bool = False) -> CheckReport:
    """Every check on ``file``; raises ``RunbookError`` when it cannot be used at all."""
    from concurrent.futures import ThreadPoolExecutor

    from runbook.build import render_outputs
    from runbook.lint import RULES
    from runbook.lint.commands import check_commands
    from runbook.lint.outputs import drift, shellcheck, stale
    from runbook.lint.report import CheckReport
    from runbook.loader import load

    loaded = load(file)
    outputs = render_outputs(loaded)
    root = loaded.path.parent
    scripts = {rel: text for rel, text in outputs.items() if rel.endswith(".sh")}
    report = CheckReport(
        loaded.display, rules=len(RULES), generated=len(outputs), scripts=len(scripts)
    )
    report.issues += _lint_issues(loaded)
    report.issues += drift(outputs, root, loaded.display)
    report.issues += stale(outputs, root, loaded.display)
    with ThreadPoolExecutor(max_workers=1) as pool:  # the commands beside the scripts
        commands = pool.submit(check_commands, loaded)
        report.issues += shellcheck(scripts, root)
        command_issues, report.commands = commands.result()
    report.issues += command_issues
    if verify:
        report.issues += _verify_issues(loaded, quiet_stdout)
        report.verified = True
    return report


def _print_text(report: CheckReport) -> None:
    from runbook.console import ok, say
    from runbook.lint.report import shown_diff

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
def check(file: Path, verify: bool, fmt: str) -> None:
    """Validate FILE (default: runbook.yaml), lint it, and check the generated files.

    Fails on findings of the lint rules, on committed generated files that differ from what
    FILE renders now (missing ones included), on shellcheck comments on the scripts, and on
    `bash -n` errors and shellcheck comments on each step command, checklist check and
    diagnosis command, shown at their line in FILE.
    Exit 0 when clean, 1 on findings, 2 when FILE cannot be used.
    """
    from runbook.lint.report import github_lines, json_text

    try:
        report = run_check(file, verify=verify, quiet_stdout=fmt != "text")
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
