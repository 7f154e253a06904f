"""Terminal output: colour on a terminal, none when piped or when NO_COLOR is set.

Only the CLI writes to the terminal, and it does so through these few functions.
"""

from __future__ import annotations

import os
import sys
from typing import IO

import click


def use_color(stream: IO[str] | None = None) -> bool:
    """Colour only for a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)())


def say(message: str = "", *, fg: str | None = None, bold: bool = False, err: bool = False) -> None:
    """Print one line, styled when the stream is a terminal."""
    stream = sys.stderr if err else sys.stdout
    text = click.style(message, fg=fg, bold=bold) if use_color(stream) and (fg or bold) else message
    click.echo(text, err=err, color=use_color(stream))


def ok(message: str) -> None:
    say(f"ok  {message}", fg="green")


def warn(message: str) -> None:
    say(f"warning: {message}", fg="yellow", err=True)


def error(message: str) -> None:
    say(f"error: {message}", fg="red", err=True)
