"""Rules about the incident side of the runbook: escalation, monitoring, checklists."""

from __future__ import annotations

import math
from collections.abc import Iterator

from runbook.lint.rule import Hit, rule
from runbook.model import Runbook


@rule(
    "RB005",
    "escalation-reachable",
    "Every escalation level names a contact with a way to reach them",
    rationale="""
        An escalation level is only useful if the person it names can be reached when it is
        called. The contact of every escalation level must list at least one channel (pager,
        phone, slack or email) with a value that is not blank.
    """,
    example="""
        contacts:
          team-lead: {name: Team lead, role: Decides on rollbacks}
        escalation:
          - {level: 2, contact: team-lead, after_minutes: 15, when: P1 unresolved}
    """,
    fix="""
        contacts:
          team-lead:
            name: Team lead
            role: Decides on rollbacks
            channels:
              - {kind: phone, value: "+1 555 0100"}
    """,
)
def escalation_reachable(rb: Runbook) -> Iterator[Hit]:
    for i, level in enumerate(rb.escalation):
        contact = rb.contacts.get(level.contact)
        if contact is None:
            continue  # a dangling id is a validation error, reported before lint runs
        if not any(channel.value.strip() for channel in contact.channels):
            yield Hit(
                ("escalation", i, "contact"),
                f"escalation level {level.level} calls '{level.contact}', who has no channel "
                "to reach them",
            )


@rule(
    "RB006",
    "metric-thresholds",
    "Every metric has two thresholds that can fire",
    rationale="""
        The model already requires a warning and a critical threshold in the right order.
        A threshold can still be one that never fires: `.nan` or `.inf` pass every
        comparison the model makes, and a percentage threshold below 0 or above 100 can never
        be crossed. Each metric's `warning` and `critical` must be finite, and within 0-100
        when the unit is `%`.
    """,
    example="""
        monitoring:
          metrics:
            error-rate: {title: Error rate, category: application, unit: "%",
                         direction: above, warning: 5, critical: 150}
    """,
    fix="""
        monitoring:
          metrics:
            error-rate: {title: Error rate, category: application, unit: "%",
                         direction: above, warning: 1, critical: 5}
    """,
)
def metric_thresholds(rb: Runbook) -> Iterator[Hit]:
    if rb.monitoring is None:
        return
    for mid, metric in rb.monitoring.metrics.items():
        for key in ("warning", "critical"):
            value: float = getattr(metric, key)
            path = ("monitoring", "metrics", mid, key)
            if not math.isfinite(value):
                yield Hit(
                    path, f"metric '{mid}' has a {key} threshold of {value}, which never fires"
                )
            elif metric.unit.strip() == "%" and not 0 <= value <= 100:
                yield Hit(
                    path,
                    f"metric '{mid}' has a {key} threshold of {value:g} %, outside 0-100",
                )


@rule(
    "RB007",
    "checklist-not-empty",
    "No checklist is empty",
    rationale="""
        An empty checklist is always complete: it tells the reader there is nothing to check
        when someone meant to write the items down. Every checklist must have at least one
        item.
    """,
    example="""
        checklists:
          post-deployment: {title: After deploying, category: post-deployment, items: []}
    """,
    fix="""
        checklists:
          post-deployment:
            title: After deploying
            category: post-deployment
            items:
              - text: Health check passed
    """,
)
def checklist_not_empty(rb: Runbook) -> Iterator[Hit]:
    for cid, checklist in rb.checklists.items():
        if not checklist.items:
            yield Hit(("checklists", cid, "items"), f"checklist '{cid}' has no items")
