"""The `runbook` command line. Thin: each command loads the runbook and calls one function.

Errors are printed here and only here: a ``RunbookError`` becomes its located lines on
stderr and exit code 2; nothing else reaches the user as a traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from runbook import __version__
from runbook.console import ok, say
from runbook.errors import RunbookError

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_FILE = "runbook.yaml"

source_argument = click.argument(
    "file", default=DEFAULT_FILE, type=click.Path(dir_okay=True, path_type=Path)
)


def handle_errors(func: F) -> F:
    """Turn our one error type into located lines and its exit code."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except RunbookError as exc:
            for line in exc.lines():
                say(line, fg="red", err=True)
            sys.exit(exc.exit_code)

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="runbook")
def main() -> None:
    """Docs-as-code deployment runbooks.

    One YAML file is the single source of truth: validate it, build the runbook site and the
    deploy and rollback scripts from it, and verify them against a staging target.
    """


@main.command()
@source_argument
@handle_errors
def validate(file: Path) -> None:
    """Check FILE (default: runbook.yaml) and list every problem with its location.

    Exit 0 when valid, 2 when not.
    """
    from runbook.loader import load
    from runbook.summary import summary_lines

    loaded = load(file)
    ok(f"{loaded.display} is valid")
    for line in summary_lines(loaded.runbook):
        say(line)


@main.command()
@click.option("--indent", default=2, show_default=True, type=click.IntRange(0, 8))
def schema(indent: int) -> None:
    """Print the JSON Schema of a runbook file, for editors (yaml-language-server)."""
    from runbook.schema import json_schema

    click.echo(json.dumps(json_schema(), indent=indent or None, ensure_ascii=False))


from runbook.target.commands import target  # noqa: E402

main.add_command(target)

from runbook.check import check  # noqa: E402

main.add_command(check)

from runbook.site import commands as site_commands  # noqa: E402

main.add_command(site_commands.build)
main.add_command(site_commands.serve)

from runbook.init.command import init  # noqa: E402

main.add_command(init)

from runbook.verify import verify_command  # noqa: E402

main.add_command(verify_command)

from runbook.history.command import history  # noqa: E402

main.add_command(history)
