"""Running the rules: collect hits, drop the ignored ones, locate the rest.

Ignores live in the runbook itself, each with a reason: `lint.ignore` switches a rule off for
the whole file, `steps.<id>.ignore` for every finding about that step. An ignore that names no
existing rule is a finding of its own (RB011) and cannot be ignored, so a typo never silently
switches nothing off while looking like it switched something off.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from runbook.errors import Location
from runbook.lint.incidents import matrix_agrees_with_emergencies, reachable_out_of_hours
from runbook.lint.operations import checklist_not_empty, escalation_reachable, metric_thresholds
from runbook.lint.procedures import (
    backup_before_migration,
    confirm_dangerous_production_steps,
    health_check_after_restart,
    procedure_navigation,
    rollback_path,
    rollback_procedure_exists,
    safety_backup_before_restore,
)
from runbook.lint.routing import no_secrets_in_routing
from runbook.lint.rule import Finding, Hit, Rule, rule
from runbook.lint.secrets import no_literal_secrets
from runbook.lint.variables import known_variables
from runbook.model import Ignore, Runbook
from runbook.suggest import did_you_mean
from runbook.yamlsrc import DocPath, format_path

Locate = Callable[[DocPath], Location | None]


@rule(
    "RB011",
    "known-ignores",
    "Ignores name an existing rule and say why",
    rationale="""
        An ignore switches a rule off with a reason for the reviewer. An ignore whose `rule`
        is not the id of an existing rule (a typo such as `RB03`, or a rule that was renamed)
        switches nothing off while looking as if it did, and an ignore whose `reason` is
        blank tells the reviewer nothing. Every ignore, in `lint.ignore` and in
        `steps.<id>.ignore`, must name an existing rule id and give a reason that is not
        blank. This rule cannot itself be ignored.
    """,
    example="""
        lint:
          ignore:
            - {rule: RB3, reason: the reload is checked by the next procedure}
    """,
    fix="""
        lint:
          ignore:
            - {rule: RB003, reason: the reload is checked by the next procedure}
    """,
    ignorable=False,
)
def known_ignores(rb: Runbook) -> Iterator[Hit]:
    known = [r.id for r in RULES]
    places: list[tuple[DocPath, Ignore, str | None]] = [
        (("lint", "ignore", i), ig, None) for i, ig in enumerate(rb.lint.ignore)
    ]
    for sid, step in rb.steps.items():
        places += [(("steps", sid, "ignore", i), ig, sid) for i, ig in enumerate(step.ignore)]
    for path, ignore, step_id in places:
        if ignore.rule not in known:
            hint = did_you_mean(ignore.rule, known)
            message = f"unknown lint rule '{ignore.rule}'" + (f" ({hint})" if hint else "")
            yield Hit((*path, "rule"), message, step_id)
        if not ignore.reason.strip():
            yield Hit((*path, "reason"), f"the ignore of {ignore.rule} gives no reason", step_id)


#: Every rule, in id order. The documentation pages and `runbook check` read this tuple.
RULES: tuple[Rule, ...] = tuple(
    sorted(
        (
            backup_before_migration,
            rollback_path,
            health_check_after_restart,
            confirm_dangerous_production_steps,
            escalation_reachable,
            metric_thresholds,
            checklist_not_empty,
            no_literal_secrets,
            procedure_navigation,
            rollback_procedure_exists,
            known_ignores,
            safety_backup_before_restore,
            known_variables,
            reachable_out_of_hours,
            matrix_agrees_with_emergencies,
            no_secrets_in_routing,
        ),
        key=lambda r: r.id,
    )
)


def _ignored(rb: Runbook, rule_: Rule, hit: Hit) -> bool:
    if not rule_.ignorable:
        return False
    if any(ig.rule == rule_.id for ig in rb.lint.ignore):
        return True
    step = rb.steps.get(hit.step) if hit.step else None
    return step is not None and any(ig.rule == rule_.id for ig in step.ignore)


def lint(runbook: Runbook, locate: Locate | None = None) -> list[Finding]:
    """Every finding of every rule that is not ignored, located when ``locate`` is given."""
    findings = []
    for rule_ in RULES:
        for hit in rule_.check(runbook):
            if _ignored(runbook, rule_, hit):
                continue
            location = locate(hit.path) if locate else None
            if location is not None and hit.at is not None:
                location = location.in_text(*hit.at)
            findings.append(
                Finding(rule_.id, hit.message, format_path(hit.path), location, hit.step)
            )
    return sorted(findings, key=Finding.sort_key)


def rule_by_id(rule_id: str) -> Rule:
    """The rule with this id; KeyError when there is none."""
    for rule_ in RULES:
        if rule_.id == rule_id:
            return rule_
    raise KeyError(rule_id)
