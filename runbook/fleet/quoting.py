"""Shell quoting for the playbooks' bash: the scripts' ``q``, knowing the fleet's variables too.

``q(text, variables=True)`` in a playbook expands the scripts' runtime variables and the
fleet's own (``$HOST``) and nothing else; everything else stays literal, as in the scripts.
"""

from __future__ import annotations

import re
import shlex

from runbook.model import FLEET_VARIABLES, RUNTIME_VARIABLES

_NAMES = "|".join(sorted([*RUNTIME_VARIABLES, *FLEET_VARIABLES], key=len, reverse=True))
_REFERENCE = re.compile(r"\$(?:\{(" + _NAMES + r")\}|(" + _NAMES + r")(?![A-Za-z0-9_]))")


def q(value: object, variables: bool = False) -> str:
    """One shell word: the value's text, or with ``variables`` its documented references expanded."""
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
