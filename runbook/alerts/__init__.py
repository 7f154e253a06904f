"""Alerting from the runbook: Prometheus rules, their unit tests, and Alertmanager routing.

The thresholds, emergencies, severities, escalation path and contacts are already in the
runbook; this package turns them into the files an operations team loads, so an alert fires
at the figure the runbook states and links to the page that says what to do:

- ``rules``: a recording rule per metric with a ``query`` and, on it, one warning and one
  critical alerting rule, labelled with the severity of the P0-P3 matrix and annotated with
  the emergency page as ``runbook_url``;
- ``unittests``: ``promtool test rules`` cases proving each rule fires at its threshold held
  for its ``for``, and not just short of it;
- ``routing``: an Alertmanager configuration with a receiver per escalation level, whose
  waits follow the levels' ``after_minutes``, with credentials left in files;
- ``tools``: ``runbook check`` runs promtool and amtool on them when they are installed.

:func:`render_monitoring` is the one entry point of `runbook build`.
"""

from __future__ import annotations

from runbook.alerts.files import (
    ALERTMANAGER_FILE,
    MONITORING_DIR,
    RULES_FILE,
    TESTS_FILE,
    render_monitoring,
)
from runbook.alerts.rules import Alert, alerts

__all__ = [
    "ALERTMANAGER_FILE",
    "MONITORING_DIR",
    "RULES_FILE",
    "TESTS_FILE",
    "Alert",
    "alerts",
    "render_monitoring",
]
