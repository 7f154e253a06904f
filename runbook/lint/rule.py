"""What a lint rule is: an id, its words for the reader, and a check over the model.

Everything a reader needs to understand a finding (title, rationale, an example that fires and
its fix) is declared on the rule itself, so the documentation page is generated from the same
object that produces the finding and cannot drift from it.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from runbook.errors import Location
from runbook.model import Runbook
from runbook.yamlsrc import DocPath

__all__ = ["Finding", "Hit", "Rule", "rule"]


@dataclass(frozen=True)
class Hit:
    """One place a rule fires, before ignores: where in the document, what, and which step.

    ``at`` is a line and column (from 0) inside the text at ``path``, when the rule knows
    which part of a command it is about; the finding is then shown on that line of the file.
    """

    path: DocPath
    message: str
    step: str | None = None
    at: tuple[int, int] | None = None


Check = Callable[[Runbook], Iterable[Hit]]


@dataclass(frozen=True)
class Rule:
    """A lint rule. ``check`` reads only the validated model; it never sees YAML."""

    id: str
    name: str
    title: str
    rationale: str
    example: str
    fix: str
    check: Check
    ignorable: bool = True

    @property
    def summary(self) -> str:
        """One line: id, name and title, for listings."""
        return f"{self.id} {self.name}: {self.title}"


@dataclass(frozen=True)
class Finding:
    """A hit that survived the ignores, located in the source."""

    rule: str
    message: str
    path: str
    location: Location | None = None
    step: str | None = None

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        path = f"{self.path}: " if self.path else ""
        return f"{where}{self.rule} {path}{self.message}"

    def sort_key(self) -> tuple[str, int, int, str]:
        loc = self.location
        return (loc.file, loc.line, loc.column, self.rule) if loc else ("", 0, 0, self.rule)


def _dedent(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


def rule(
    id: str,
    name: str,
    title: str,
    *,
    rationale: str,
    example: str,
    fix: str,
    ignorable: bool = True,
) -> Callable[[Check], Rule]:
    """Declare a rule on its check function: ``@rule("RB001", ...)`` turns it into a ``Rule``."""

    def make(check: Check) -> Rule:
        return Rule(
            id=id,
            name=name,
            title=title,
            rationale=" ".join(_dedent(rationale).split()),
            example=_dedent(example),
            fix=_dedent(fix),
            check=check,
            ignorable=ignorable,
        )

    return make
