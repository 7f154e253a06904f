"""Shell quoting: the one way a value from the YAML reaches a generated script.

Every value is either a single-quoted literal (``shlex.quote``) or, where the reader may write
runtime variables such as ``$VERSION``, a double-quoted word in which only the references to
the documented runtime variables are left to expand. Nothing else expands.

The template filters of the script environment are here, and each returns a :class:`Shell`:
the quoting filters (``q``, ``heredoc``) and the typed filters (``integer``, ``id``, ``name``,
``template``, ``comment``), which refuse any value that is not of their type. The environment's ``finalize``
writes nothing else into a script.
"""

from __future__ import annotations

import re
import shlex

from runbook.model.base import ID_PATTERN
from runbook.model.runtime import RUNTIME_VARIABLES

_NAMES = "|".join(sorted(RUNTIME_VARIABLES, key=len, reverse=True))
_REFERENCE = re.compile(r"\$(?:\{(" + _NAMES + r")\}|(" + _NAMES + r")(?![A-Za-z0-9_]))")
#: What bash still reads specially inside double quotes (history expansion is off in scripts).
_IN_DOUBLE_QUOTES = re.compile(r'[$`"\\]')
_SHELL_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")
#: A derived variable's template: ``${NAME}`` references and characters literal in "...".
_TEMPLATE_PART = re.compile(r"\$\{([A-Z_]+)\}|(.)", re.S)
_PLAIN = re.compile(r"[A-Za-z0-9._/@+=:,~-]")
#: How a step's command is closed in its block; a suffix is added if a line of it is this word.
HEREDOC_DELIMITER = "COMMAND"


class Shell(str):
    """Text that may stand in a script as it is: made by a filter of this module, or rendered
    by the script environment (whose every value went through one)."""

    __slots__ = ()


def q(value: object, variables: bool = False) -> Shell:
    """Quote a value as one shell word: the template filter every YAML value goes through.

    By default the word expands to exactly the value's text (``shlex.quote``). With
    ``variables=True`` (for texts the reader may write runtime variables in: questions,
    expected output, endpoint bodies, file paths), references to the documented runtime
    variables expand and nothing else does: ``tag $VERSION exists`` becomes
    ``"tag ${VERSION} exists"``, where every other ``$``, backquote, backslash and double
    quote is escaped, so ``$(...)`` or backquotes stay plain text. A text without such a
    reference is quoted as by default.
    """
    text = "" if value is None and variables else str(value)
    if not variables or not _REFERENCE.search(text):
        return Shell(shlex.quote(text))
    parts: list[str] = []
    last = 0
    for match in _REFERENCE.finditer(text):
        parts.append(_IN_DOUBLE_QUOTES.sub(r"\\\g<0>", text[last : match.start()]))
        parts.append("${" + (match.group(1) or match.group(2)) + "}")
        last = match.end()
    parts.append(_IN_DOUBLE_QUOTES.sub(r"\\\g<0>", text[last:]))
    return Shell('"' + "".join(parts) + '"')


def heredoc(command: object) -> Shell:
    """A step's command as a quoted here-document, ``<<'COMMAND'`` up to the line ``COMMAND``.

    Between the markers the command stands exactly as the runbook writes it: bash expands
    nothing in a quoted here-document. A here-document holds whole lines, so a command whose
    last line has no line break gets one (the runner gives it to bash, where it changes
    nothing). The closing word gets a suffix when a line of the command is that word.
    """
    text = "" if command is None else str(command)
    if "\0" in text:
        raise ValueError("a command cannot hold a NUL character")
    lines = set(text.split("\n"))
    delimiter, n = HEREDOC_DELIMITER, 1
    while delimiter in lines:
        n += 1
        delimiter = f"{HEREDOC_DELIMITER}_{n}"
    body = text if not text or text.endswith("\n") else text + "\n"
    return Shell(f"<<'{delimiter}'\n{body}{delimiter}")


def integer(value: object) -> Shell:
    """A whole number: bash evaluates numbers in arithmetic, where ``a[$(cmd)]`` runs cmd."""
    if isinstance(value, bool):
        raise ValueError(f"not a number: {value!r}")
    return Shell(str(int(str(value))))


def checked_id(value: object) -> Shell:
    """An id of the model, written bare (in comments, names, log lines): only its pattern."""
    if not isinstance(value, str) or not re.fullmatch(ID_PATTERN, value):
        raise ValueError(f"not a valid id: {value!r}")
    return Shell(value)


def name(value: object) -> Shell:
    """A shell variable name, as in ``export NAME=...``."""
    if not isinstance(value, str) or not _SHELL_NAME.fullmatch(value):
        raise ValueError(f"not a shell variable name: {value!r}")
    return Shell(value)


def template(value: object) -> Shell:
    """A derived variable's template as one double-quoted word: ``"${DEPLOY_PATH}/releases"``.

    Only ``${NAME}`` references of runtime variables and characters that are literal inside
    double quotes may pass, so the word expands to those variables and nothing else.
    """
    text = str(value)
    for match in _TEMPLATE_PART.finditer(text):
        if match.group(1) is not None and match.group(1) not in RUNTIME_VARIABLES:
            raise ValueError(f"not a runtime variable in {text!r}: {match.group(1)}")
        if match.group(2) is not None and not _PLAIN.fullmatch(match.group(2)):
            raise ValueError(f"not a plain character in {text!r}: {match.group(2)!r}")
    return Shell(f'"{text}"')


def comment(value: object) -> Shell:
    """Text for a ``#`` comment: one line, since a line break would end the comment."""
    text = str(value)
    if re.search(r"[\n\r\0]", text):
        raise ValueError(f"not one line of text: {text[:60]!r}")
    return Shell(text)


#: The filters of the script environment, by the name templates use.
FILTERS = {
    "q": q,
    "heredoc": heredoc,
    "integer": integer,
    "id": checked_id,
    "name": name,
    "template": template,
    "comment": comment,
}


def expand(text: str | None, variables: dict[str, str]) -> str:
    """What bash makes of ``q(text, variables=True)`` given these variables (for tests and scenarios)."""
    return _REFERENCE.sub(lambda m: variables.get(m.group(1) or m.group(2), ""), text or "")
