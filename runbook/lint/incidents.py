"""Rules about what the on-call engineer reads at night: who can be woken, what to do.

Both rules read only the model. The second reads prose (the matrix's action and the
emergencies' actions), so it looks for one thing only, whether a text tells the reader to roll
back, and how: at once, under a condition, or not at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from enum import Enum

from runbook.lint.rule import Hit, rule
from runbook.model import Runbook

#: "roll back", "rolling back", "rollback", "roll-back"; a script's file name is not advice.
_ROLLBACK = re.compile(r"\b(?:roll(?:s|ed|ing)?[\s-]*back|rollback)\b(?![\w.-]*\.sh)", re.I)
#: "do not roll back", "never roll back", "without rolling back", "no rollback".
_NOT_BEFORE = re.compile(
    r"\b(?:do not|don't|never|no|not|without|avoid|cannot|can't)\s+(?:\w+\s+){0,2}$", re.I
)
#: "a rollback does not help", "rolling back will not fix it".
_NOT_AFTER = re.compile(r"^\s*(?:\w+\s+){0,2}(?:does|do|will|would|cannot|can't) not\b", re.I)
_CONDITION = re.compile(r"\b(?:if|unless|only|when|once|after|in case)\b", re.I)


class Advice(Enum):
    """What a text says about rolling back."""

    none = "does not say to roll back"
    conditional = "says to roll back under a condition"
    now = "says to roll back at once"
    never = "says not to roll back"


def advice(text: str) -> Advice:
    """What one sentence or list item says about rolling back."""
    found = Advice.none
    for sentence in re.split(r"(?<=[.;!?])\s+", text):
        match = _ROLLBACK.search(sentence)
        if match is None:
            continue
        before, after = sentence[: match.start()], sentence[match.end() :]
        if _NOT_BEFORE.search(before) or _NOT_AFTER.search(after):
            return Advice.never
        conditional = _CONDITION.search(sentence) is not None
        found = Advice.conditional if conditional and found is not Advice.now else Advice.now
    return found


def advice_of(texts: list[str]) -> Advice:
    """What a list of actions says, all together: a "not" wins, then "at once", then "if"."""
    found = {advice(text) for text in texts}
    for kind in (Advice.never, Advice.now, Advice.conditional):
        if kind in found:
            return kind
    return Advice.none


@rule(
    "RB040",
    "reachable-out-of-hours",
    "Every escalation level can be reached at night",
    rationale="""
        The escalation path is called at 3 a.m. too, and nobody reads chat or email then. The
        contact of every escalation level must have a phone or pager channel that is not
        limited to business hours (`hours: business`); on the site, that channel is what the
        night-time list of whom to call shows, as a `tel:` link when it starts with a number.
        A level that only serves severities that wait for business hours
        (`out_of_hours: false`) is exempt.
    """,
    example="""
        contacts:
          team-lead:
            name: Team lead
            role: Decides on rollbacks
            channels:
              - {kind: slack, value: "#deployments"}
              - {kind: phone, value: "+1 555 0100", hours: business}
        escalation:
          - {level: 2, contact: team-lead, after_minutes: 15, when: P1 unresolved}
    """,
    fix="""
        contacts:
          team-lead:
            name: Team lead
            role: Decides on rollbacks
            channels:
              - {kind: slack, value: "#deployments"}
              - {kind: phone, value: "+1 555 0100", hours: business}
              - {kind: pager, value: "+1 555 0198 (team lead rota)"}
    """,
)
def reachable_out_of_hours(rb: Runbook) -> Iterator[Hit]:
    night = {s.level for s in rb.severities if s.out_of_hours}
    for i, level in enumerate(rb.escalation):
        contact = rb.contacts.get(level.contact)
        if contact is None:
            continue  # a dangling id is a validation error, reported before lint runs
        serves = set(level.severities) if level.severities else None
        if rb.severities and serves is not None and not serves & night:
            continue
        if not any(channel.out_of_hours for channel in contact.channels):
            yield Hit(
                ("escalation", i, "contact"),
                f"escalation level {level.level} calls '{level.contact}', who has no phone or "
                "pager that reaches them out of hours",
            )


@rule(
    "RB041",
    "matrix-agrees-with-emergencies",
    "The rollback matrix and the emergency procedures give the same advice",
    rationale="""
        At night the reader looks up the severity in the rollback decision matrix and opens
        the emergency procedure, and both must say the same thing. When the matrix action of
        a severity says to roll back at once, every emergency of that severity must say to
        roll back too (at once or under a condition), and none may say not to: "Immediate
        rollback" does not fix a database outage. When the matrix action does not say to roll
        back, no emergency of that severity may say to roll back at once.
    """,
    example="""
        severities:
          - {level: P0, title: Critical, response_time: < 5 min, action: Immediate rollback}
        emergencies:
          database-down:
            title: Database down
            severity: P0
            actions: [Call the database admin at once.]
    """,
    fix="""
        severities:
          - level: P0
            title: Critical
            response_time: < 5 min
            action: Act at once on the emergency procedure; roll back if a deployment caused it
    """,
)
def matrix_agrees_with_emergencies(rb: Runbook) -> Iterator[Hit]:
    matrix = {s.level: (i, s.action, advice(s.action)) for i, s in enumerate(rb.severities)}
    for eid, emergency in rb.emergencies.items():
        if emergency.severity not in matrix:
            continue  # an unknown severity is a validation error
        index, action, says = matrix[emergency.severity]
        does = advice_of(list(emergency.actions))
        if says is Advice.now and does in (Advice.none, Advice.never):
            clash = does.value
        elif says in (Advice.none, Advice.never) and does is Advice.now:
            clash = Advice.now.value
        else:
            continue
        yield Hit(
            ("emergencies", eid, "actions"),
            f"the matrix says '{action}' for {emergency.severity} (severities[{index}]), but "
            f"emergency '{eid}' {clash}",
        )
