"""Prometheus alerting rules from the runbook's metrics.

Each metric with a ``query`` becomes a recording rule (its value under a stable name) and two
alerting rules on that name, one per threshold. Alerting on the recorded name, not on the
query itself, keeps each alert's condition a plain comparison the generated unit tests can
drive with input series, while the query is checked by ``promtool check rules`` and, on the
staging target, by a real Prometheus.

Severity follows the P0-P3 matrix: the critical alert carries the severity of the metric's
emergency (P2 when it names none) and the warning alert the level below it, so a warning never
pages as loudly as the incident it warns of.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from runbook.model import Direction, Metric, Runbook

LEVELS = ("warning", "critical")
DEFAULT_SEVERITY = "P2"
EMERGENCIES_PAGE = "incidents/emergencies/"
MONITORING_PAGE = "operations/monitoring/"


@dataclass(frozen=True)
class Alert:
    """One generated alerting rule, with what its unit tests need to know of it."""

    name: str
    metric_id: str
    level: str
    record: str
    threshold: float
    direction: Direction
    hold_s: int
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)

    @property
    def operator(self) -> str:
        """Fires at the threshold itself: `>=` for a value that goes wrong upwards."""
        return ">=" if self.direction is Direction.above else "<="

    @property
    def expr(self) -> str:
        return f"{self.record} {self.operator} {self.threshold:g}"

    def rule(self, hold: str) -> dict[str, Any]:
        """The rule as Prometheus reads it."""
        return {
            "alert": self.name,
            "expr": self.expr,
            "for": hold,
            "labels": dict(self.labels),
            "annotations": dict(self.annotations),
        }


def seconds(duration: str) -> int:
    """A Prometheus duration (`1h30m`, `45s`) in seconds."""
    size = {"h": 3600, "m": 60, "s": 1}
    return sum(int(n) * size[unit] for n, unit in re.findall(r"([0-9]+)([hms])", duration))


def metric_name(text: str) -> str:
    """Text as a Prometheus name part: lower-case letters, digits and underscores."""
    name = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "service"
    return name if not name[0].isdigit() else f"_{name}"


def camel(identifier: str) -> str:
    """`db-connections` -> `DbConnections`, the shape alert names usually take."""
    return "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", identifier) if part)


def recorded(rb: Runbook, metric_id: str) -> str:
    """The recording rule's name of a metric: `<service>:<metric>`."""
    return f"{metric_name(rb.service.name)}:{metric_name(metric_id)}"


def literal(text: str) -> str:
    """Runbook text inside an annotation, where Prometheus reads `{{` as a template action."""
    return " ".join(text.split()).replace("{{", '{{ "{{" }}')


def shown(value: float, unit: str) -> str:
    """`5 %`-style figures as the monitoring page writes them: `5%`, `500 ms`."""
    if unit == "%":
        return f"{value:g}%"
    return f"{value:g} {unit}" if unit else f"{value:g}"


def lower_severity(level: str) -> str:
    """The next lower level of the P0-P3 matrix (P3 stays P3)."""
    return f"P{min(int(level[1]) + 1, 3)}"


def site_link(rb: Runbook, page: str, anchor: str) -> str:
    """An absolute link into the published site, from ``monitoring.site_url``."""
    assert rb.monitoring is not None
    base = rb.monitoring.site_url.rstrip("/") + "/"
    return f"{base}{page}#{anchor}" if anchor else f"{base}{page}"


def _annotations(rb: Runbook, metric: Metric, level: str) -> dict[str, str]:
    threshold: float = getattr(metric, level)
    side = "at or above" if metric.direction is Direction.above else "at or below"
    unit = "%" if metric.unit == "%" else (f" {literal(metric.unit)}" if metric.unit else "")
    description = (
        f'{literal(metric.title)} is {{{{ $value | printf "%.4g" }}}}{unit}, '
        f"{side} the {level} threshold of {literal(shown(threshold, metric.unit))} "
        f"for {metric.for_}."
    )
    emergency = rb.emergencies.get(metric.emergency or "")
    if emergency is not None:
        description += f" Emergency procedure: {literal(emergency.title)}"
        row = next((s for s in rb.severities if s.level == emergency.severity), None)
        description += f" ({emergency.severity}: {literal(row.action)})." if row else "."
    if metric.source:
        description += f" Source: {literal(metric.source)}."
    if emergency is not None and metric.emergency:
        url = site_link(rb, EMERGENCIES_PAGE, f"emergency-{metric.emergency}")
    else:
        url = site_link(rb, MONITORING_PAGE, "")
    return {
        "summary": f"{literal(metric.title)} {side} {literal(shown(threshold, metric.unit))} "
        f"({level}) on {literal(rb.service.name)}",
        "description": description,
        "runbook_url": url,
    }


def _labels(rb: Runbook, mid: str, metric: Metric, level: str) -> dict[str, str]:
    emergency = rb.emergencies.get(metric.emergency or "")
    critical = emergency.severity if emergency is not None else DEFAULT_SEVERITY
    labels = {
        "service": rb.service.name,
        "metric": mid,
        "threshold": level,
        "severity": critical if level == "critical" else lower_severity(critical),
    }
    if emergency is not None and metric.emergency:
        labels["emergency"] = metric.emergency
        if emergency.escalate_to is not None:
            labels["escalate_to"] = str(emergency.escalate_to)
    return labels


def alerts(rb: Runbook) -> list[Alert]:
    """Every alerting rule the runbook's metrics make: warning then critical, per metric."""
    if rb.monitoring is None:
        return []
    made = []
    for mid, metric in rb.monitoring.metrics.items():
        if metric.query is None:
            continue
        for level in LEVELS:
            made.append(
                Alert(
                    name=f"{camel(mid)}{level.capitalize()}",
                    metric_id=mid,
                    level=level,
                    record=recorded(rb, mid),
                    threshold=getattr(metric, level),
                    direction=metric.direction,
                    hold_s=seconds(metric.for_),
                    labels=_labels(rb, mid, metric, level),
                    annotations=_annotations(rb, metric, level),
                )
            )
    return made


def rule_groups(rb: Runbook) -> dict[str, Any]:
    """The rules file's content: one group with each metric's recording and alerting rules."""
    made = alerts(rb)
    if rb.monitoring is None or not made:
        return {"groups": []}
    rules: list[dict[str, Any]] = []
    for mid, metric in rb.monitoring.metrics.items():
        if metric.query is None:
            continue
        rules.append({"record": recorded(rb, mid), "expr": metric.query.strip()})
        rules += [a.rule(metric.for_) for a in made if a.metric_id == mid]
    return {"groups": [{"name": f"{metric_name(rb.service.name)}_runbook", "rules": rules}]}
