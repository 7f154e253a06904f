"""Shell quoting: the one way a value from the YAML reaches a generated script.

Every value is either a single-quoted literal (``shlex.quote``) or, where the reader may write
runtime variables such as ``$VERSION``, literal pieces quoted the same way and joined with
double-quoted references to the documented runtime variables only. Nothing else expands.
"""

from __future__ import annotations

import re
import shlex

from runbook.model.runtime import RUNTIME_VARIABLES

_NAMES = "|".join(sorted(RUNTIME_VARIABLES, key=len, reverse=True))
_REFERENCE = re.compile(r"\$(?:\{(" + _NAMES + r")\}|(" + _NAMES + r")(?![A-Za-z0-9_]))")


def q(value: object, variables: bool = False) -> str:
    """Quote a value as one shell word: the template filter every YAML value goes through.

    By default the word expands to exactly the value's text. With ``variables=True`` (for
    texts the reader may write runtime variables in: questions, expected output, endpoint
    bodies, file paths), references to the documented runtime variables expand and nothing
    else does: ``'tag $VERSION exists'`` becomes ``'tag '"${VERSION}"' exists'``, where the
    literal parts are ``shlex.quote``d and ``$(...)`` or backticks stay plain text.
    """
    if not variables:
        return shlex.quote(str(value))
    text = "" if value is None else str(value)
    parts: list[str] = []
    last = 0
    for match in _REFERENCE.finditer(text):
        if match.start() > last:
            parts.append(shlex.quote(text[last : match.start()]))
        parts.append('"${' + (match.group(1) or match.group(2)) + '}"')
        last = match.end()
    if last < len(text) or not parts:
        parts.append(shlex.quote(text[last:]))
    return "".join(parts)


def expand(text: str | None, variables: dict[str, str]) -> str:
    """What bash makes of ``q(text, variables=True)`` given these variables (for tests and scenarios)."""
    return _REFERENCE.sub(lambda m: variables.get(m.group(1) or m.group(2), ""), text or "")
