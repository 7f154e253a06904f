"""The `runbook` command line: one click group, the one place where errors become output.

Each command is thin (it loads the runbook and calls one function) and lives beside what it
runs; the group imports a command's module only when that command is used or listed
(``LAZY_COMMANDS``), so `runbook --help` stays quick. A ``RunbookError`` raised by any
command becomes its located lines on stderr and its exit code (2) here, in
:meth:`RunbookGroup.invoke`; nothing else reaches the user as a traceback.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import click

from runbook import __version__
from runbook.arguments import file_argument
from runbook.console import ok, say
from runbook.errors import RunbookError

#: Commands defined beside what they run, imported when used: name -> "module:attribute".
LAZY_COMMANDS: dict[str, str] = {
    "build": "runbook.site.commands:build",
    "check": "runbook.check:check",
    "history": "runbook.history.command:history",
    "init": "runbook.init.command:init",
    "serve": "runbook.site.commands:serve",
    "target": "runbook.target.commands:target",
    "verify": "runbook.verify:verify_command",
}


class RunbookGroup(click.Group):
    """A group that loads its commands lazily and turns our one error type into an exit code."""

    def __init__(self, *args: object, lazy: dict[str, str] | None = None, **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            module, _, attribute = self.lazy[cmd_name].partition(":")
            command = getattr(importlib.import_module(module), attribute)
            if not isinstance(command, click.Command):  # pragma: no cover - a wrong entry
                raise TypeError(f"{self.lazy[cmd_name]} is not a click command")
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except RunbookError as exc:
            for line in exc.lines():
                say(line, fg="red", err=True)
            ctx.exit(exc.exit_code)


@click.group(
    cls=RunbookGroup,
    lazy=LAZY_COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="runbook")
def main() -> None:
    """Docs-as-code deployment runbooks.

    One YAML file is the single source of truth: validate it, build the runbook site and the
    deploy and rollback scripts from it, and verify them against a staging target.
    """


@main.command()
@file_argument
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
