"""Terminal output: colour on a terminal, none when piped or when NO_COLOR is set.

Only the CLI writes to the terminal, and it does so through these few functions.
"""

from __future__ import annotations

import os
import sys
from typing import IO

import click

from runbook.errors import one_line

#: GitHub's runner reads a line as a workflow command when it starts with `::` (after leading
#: whitespace), or when it holds `##[` anywhere (the older syntax); ``inert`` defuses both.
_LEGACY_COMMAND = "##["


def inert(text: str) -> str:
    """One line of output that no terminal or CI log reads as anything but text.

    Control characters and line breaks are escaped (``\\n``, ``\\x1b``), a leading ``::``
    becomes ``\\::`` and ``##[`` becomes ``##\\[``, so text from a runbook can neither move
    the cursor nor forge a workflow command (``::add-mask::``, ``::error file=...::``) in a
    CI log. Every line the CLI prints goes through here.
    """
    text = one_line(text).replace(_LEGACY_COMMAND, "##\\[")
    body = text.lstrip(" ")
    if body.startswith("::"):
        text = text[: len(text) - len(body)] + "\\" + body
    return text


def inert_json(text: str) -> str:
    """JSON text with ``##[`` written as ``\\u0023#[``: the same value to a JSON reader, no
    command to a CI log (``json.dumps`` already escapes control characters)."""
    return text.replace(_LEGACY_COMMAND, "\\u0023#[")


def use_color(stream: IO[str] | None = None) -> bool:
    """Colour only for a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)())


def say(message: str = "", *, fg: str | None = None, bold: bool = False, err: bool = False) -> None:
    """Print one line, styled when the stream is a terminal; the text is made inert first."""
    stream = sys.stderr if err else sys.stdout
    message = inert(message)
    text = click.style(message, fg=fg, bold=bold) if use_color(stream) and (fg or bold) else message
    click.echo(text, err=err, color=use_color(stream))


def ok(message: str) -> None:
    say(f"ok  {message}", fg="green")


def warn(message: str) -> None:
    say(f"warning: {message}", fg="yellow", err=True)


def error(message: str) -> None:
    say(f"error: {message}", fg="red", err=True)
