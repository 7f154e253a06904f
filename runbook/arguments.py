"""Parameters shared by the commands of `runbook`, declared once."""

from __future__ import annotations

from pathlib import Path

import click

DEFAULT_FILE = "runbook.yaml"

#: The runbook a command reads. A directory or a missing file is refused by the loader, in
#: the same words as every other unusable input.
file_argument = click.argument(
    "file", default=DEFAULT_FILE, type=click.Path(dir_okay=True, path_type=Path)
)
