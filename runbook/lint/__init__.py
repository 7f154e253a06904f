"""Lint rules: what a valid runbook can still get wrong, each rule with its own documentation.

Validation (the model and the reference checks) refuses a runbook that cannot be used; lint
finds one that can be used but is unsafe or unhelpful, e.g. a production migration with no
backup before it. Each rule is a ``Rule`` object with an id (RB001...), a title, a rationale
and an example with its fix; ``runbook.lint.docs.rule_pages()`` renders them for the site.

Usage::

    findings = lint_loaded(load("runbook.yaml"))
"""

from __future__ import annotations

from runbook.lint.engine import RULES, lint, rule_by_id
from runbook.lint.rule import Finding, Hit, Rule
from runbook.loader import LoadedRunbook

__all__ = ["RULES", "Finding", "Hit", "Rule", "lint", "lint_loaded", "rule_by_id"]


def lint_loaded(loaded: LoadedRunbook) -> list[Finding]:
    """Lint a loaded runbook, locating every finding in its source files."""
    return lint(loaded.runbook, lambda path: loaded.locate(*path))
