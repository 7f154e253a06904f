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


def q(value: object) -> str:
    """Quote any value as one shell word that expands to exactly its text."""
    return shlex.quote(str(value))


def words(text: str | None) -> str:
    """One shell word for ``text`` in which only runtime variable references expand.

    ``'tag $VERSION exists'`` becomes ``'tag '"${VERSION}"' exists'``: the literal parts can
    never break out of their quotes, and ``$(...)`` or backticks stay plain text.
    """
    text = text or ""
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
    """What bash makes of ``words(text)`` given these variables (for tests and scenarios)."""
    return _REFERENCE.sub(lambda m: variables.get(m.group(1) or m.group(2), ""), text or "")
