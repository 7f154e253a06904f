"""Documentation pages of the lint rules, rendered from the rule objects themselves.

``rule_pages()`` returns ``{"rules/index.md": ..., "rules/RB001.md": ...}``; the site adds them
through ``runbook.lint.site``. Given a loaded runbook, each page also lists where that runbook
switches the rule off and why, so a reviewer sees every exception next to the rule.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment

from runbook.lint.engine import RULES
from runbook.model import Runbook
from runbook.site.render import environment

TEMPLATES = Path(__file__).parent / "templates"


def _environment() -> Environment:
    """The site's environment: a page lists the runbook's ignores and their reasons, which are
    YAML text, so these pages escape like every other page (a reason once reached it raw)."""
    return environment(TEMPLATES)


def _ignores(runbook: Runbook | None, rule_id: str) -> list[tuple[str, str]]:
    if runbook is None:
        return []
    found = [("lint.ignore", ig.reason) for ig in runbook.lint.ignore if ig.rule == rule_id]
    for sid, step in runbook.steps.items():
        found += [(f"steps.{sid}.ignore", ig.reason) for ig in step.ignore if ig.rule == rule_id]
    return found


def rule_pages(runbook: Runbook | None = None) -> dict[str, str]:
    """The index of the rules and one page per rule, ``{path: markdown}``, in id order."""
    env = _environment()
    pages = {"rules/index.md": env.get_template("index.md.j2").render(rules=RULES)}
    page = env.get_template("rule.md.j2")
    for rule in RULES:
        text = page.render(rule=rule, ignores=_ignores(runbook, rule.id))
        pages[f"rules/{rule.id}.md"] = text.rstrip("\n") + "\n"
    return pages
