"""`promtool test rules` cases generated from the thresholds.

For every metric with alerts, four cases feed its recorded series a constant value and
evaluate both of its alerts:

1. at the warning threshold: the warning alert is still pending one interval before its
   ``for`` has passed, fires once it has, and the critical alert stays silent;
2. just short of the warning threshold: neither alert fires, however long it is held;
3. at the critical threshold: the critical alert is pending, then fires (with the warning);
4. just short of the critical threshold: only the warning alert fires.

A firing alert is expected with every label and annotation, so a wrong severity, emergency
or `runbook_url` fails the test as surely as a wrong comparison.
"""

from __future__ import annotations

import math
from typing import Any

from runbook.alerts.rules import Alert, alerts
from runbook.model import Direction, Runbook

VALUE_TEMPLATE = '{{ $value | printf "%.4g" }}'


def step(threshold: float) -> float:
    """A difference small beside the threshold, for a value just short of it."""
    if threshold == 0:
        return 0.001
    return float(10 ** (math.floor(math.log10(abs(threshold))) - 3))


def short_of(alert: Alert) -> float:
    """A value just on the harmless side of the alert's threshold."""
    delta = step(alert.threshold)
    value = (
        alert.threshold - delta if alert.direction is Direction.above else alert.threshold + delta
    )
    return float(f"{value:.12g}")


def expanded(text: str, value: float) -> str:
    """An annotation as Prometheus renders it at ``value`` (the only actions we write)."""
    return text.replace(VALUE_TEMPLATE, format(value, ".4g")).replace('{{ "{{" }}', "{{")


def duration(total: int) -> str:
    """Seconds as a Prometheus duration."""
    return f"{total // 60}m" if total and total % 60 == 0 else f"{total}s"


def interval(made: list[Alert]) -> int:
    """The evaluation interval: one that lands exactly on every alert's ``for``."""
    return math.gcd(60, *(a.hold_s for a in made)) or 60


def _firing(alert: Alert, value: float) -> dict[str, Any]:
    return {
        "exp_labels": dict(alert.labels),
        "exp_annotations": {k: expanded(v, value) for k, v in alert.annotations.items()},
    }


def _case(name: str, pair: dict[str, Alert], value: float, every: int) -> dict[str, Any]:
    """One test group: ``value`` held; which of the pair fire at their ``for``."""
    hold = max(a.hold_s for a in pair.values())
    checks: list[dict[str, Any]] = []
    for alert in pair.values():
        fires = _crosses(alert, value)
        if fires and alert.hold_s >= every:
            checks.append(_check(alert, alert.hold_s - every, []))
        checks.append(_check(alert, alert.hold_s, [_firing(alert, value)] if fires else []))
    return {
        "name": name,
        "interval": duration(every),
        "input_series": [
            {"series": next(iter(pair.values())).record, "values": f"{value:g}x{hold // every + 2}"}
        ],
        "alert_rule_test": checks,
    }


def _check(alert: Alert, at: int, expected: list[dict[str, Any]]) -> dict[str, Any]:
    return {"eval_time": duration(at), "alertname": alert.name, "exp_alerts": expected}


def _crosses(alert: Alert, value: float) -> bool:
    if alert.direction is Direction.above:
        return value >= alert.threshold
    return value <= alert.threshold


def cases(rb: Runbook) -> list[dict[str, Any]]:
    """Four cases per metric with alerts (see the module's docstring)."""
    made = alerts(rb)
    every = interval(made)
    cases = []
    for mid in dict.fromkeys(a.metric_id for a in made):
        pair = {a.level: a for a in made if a.metric_id == mid}
        warning, critical = pair["warning"], pair["critical"]
        hold = f"held for {duration(warning.hold_s)}"
        cases += [
            _case(f"{mid}: at the warning threshold {hold}", pair, warning.threshold, every),
            _case(f"{mid}: just short of the warning threshold", pair, short_of(warning), every),
            _case(f"{mid}: at the critical threshold {hold}", pair, critical.threshold, every),
            _case(f"{mid}: just short of the critical threshold", pair, short_of(critical), every),
        ]
    return cases


def tests_document(rb: Runbook, rules_file: str) -> dict[str, Any]:
    """The whole `promtool test rules` file, reading the rules file beside it."""
    made = alerts(rb)
    return {
        "rule_files": [rules_file],
        "evaluation_interval": duration(interval(made)),
        "tests": cases(rb),
    }
