"""The `init` command (listed in runbook/cli.py). Thin: scaffold, then say what is next."""

from __future__ import annotations

import re
from pathlib import Path

import click


def _name(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", value):
        raise click.BadParameter("letters, digits, '.', '_' and '-' only, at most 64")
    return value


@click.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", callback=_name, help="Service name (default: the directory's name).")
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
def init(directory: Path, name: str | None, force: bool) -> None:
    """Scaffold a runbook project in DIRECTORY (default: the current directory).

    Writes runbook.yaml with its staging target (a static site behind nginx, in service/
    and target/), mkdocs.yml, a scenario in specs/ and a step definition in steps/, a
    .gitignore, a pre-commit hook and a CI workflow. Refuses to overwrite existing files
    unless --force (exit 2).
    """
    from runbook.console import ok, say
    from runbook.init import scaffold

    result = scaffold(directory, name=name, force=force)
    for rel in result.written:
        ok(f"wrote {directory / rel}")
    say()
    say("Next:")
    where = "" if directory == Path(".") else f"cd {directory} && "
    say(f"  {where}runbook build       # the site, scripts/ and docs/ops/DEPLOYMENT-RUNBOOK.md")
    say("  runbook check       # what CI and the pre-commit hook run")
    say("  runbook verify      # every procedure against the staging target (needs Docker)")
