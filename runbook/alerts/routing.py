"""An Alertmanager configuration from the escalation path and the contacts.

Alertmanager has no notion of "call the team lead after 15 minutes"; its ``group_wait`` comes
close: a route that waits 15 minutes before its first notification, and notifies only if the
alert still fires then, is exactly an escalation level. So each level becomes a receiver and a
route (``continue: true``, so every level that applies is notified):

- level 1 gets every alert of the service after 30 seconds;
- a higher level gets the critical alerts whose emergency escalates at least that far, after
  the level's ``after_minutes``;
- each level's ``repeat_interval`` is the time until the next level is called, so the page
  repeats at the pace of the escalation (four hours after the last level).

Credentials are never written here: Slack's webhook URL, the PagerDuty routing keys and the
SMTP password are files in ``monitoring.alertmanager.secrets_dir`` that the deployer provides.
Phone numbers have no Alertmanager integration; they are listed in the header for people.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from runbook.model import Contact, EscalationLevel, Runbook

FIRST_WAIT = "30s"
LAST_REPEAT = "4h"


@dataclass(frozen=True)
class Route:
    """One escalation level as Alertmanager routes to it."""

    receiver: str
    level: EscalationLevel
    matchers: tuple[str, ...]
    group_wait: str
    repeat_interval: str


def receiver_name(level: EscalationLevel) -> str:
    return f"level-{level.level}-{level.contact}"


def minutes(value: int) -> str:
    return f"{value}m" if value < 60 or value % 60 else f"{value // 60}h"


def _quoted(value: str) -> str:
    """A matcher value: Alertmanager's double-quoted string."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def routes(rb: Runbook) -> list[Route]:
    """The escalation levels in order, each with its matchers and timings."""
    levels = sorted(rb.escalation, key=lambda lv: lv.level)
    service = f"service={_quoted(rb.service.name)}"
    made = []
    for index, level in enumerate(levels):
        later = [
            lv.after_minutes for lv in levels[index + 1 :] if lv.after_minutes > level.after_minutes
        ]
        repeat = minutes(later[0] - level.after_minutes) if later else LAST_REPEAT
        if index == 0:
            matchers: tuple[str, ...] = (service,)
            wait = FIRST_WAIT if level.after_minutes == 0 else minutes(level.after_minutes)
        else:
            reach = "|".join(str(lv.level) for lv in levels[index:])
            matchers = (service, 'threshold="critical"', f'escalate_to=~"{reach}"')
            wait = minutes(level.after_minutes) if level.after_minutes else FIRST_WAIT
        made.append(Route(receiver_name(level), level, matchers, wait, repeat))
    return made


def _receiver(rb: Runbook, level: EscalationLevel) -> dict[str, Any]:
    contact = rb.contacts[level.contact]
    secrets = _settings(rb).secrets_dir.rstrip("/")
    receiver: dict[str, Any] = {"name": receiver_name(level)}
    pagers = [c for c in contact.channels if c.kind.value == "pager"]
    slack = [c for c in contact.channels if c.kind.value == "slack"]
    email = [c for c in contact.channels if c.kind.value == "email"]
    if pagers:
        receiver["pagerduty_configs"] = [
            {
                "routing_key_file": f"{secrets}/pagerduty-{level.contact}",
                "description": "{{ .CommonAnnotations.summary }}",
                "send_resolved": True,
            }
        ]
    if slack:
        receiver["slack_configs"] = [
            {
                "channel": c.value,
                "send_resolved": True,
                "title": "{{ .CommonAnnotations.summary }}",
                "text": "{{ .CommonAnnotations.description }} Runbook: "
                "{{ .CommonAnnotations.runbook_url }}",
            }
            for c in slack
        ]
    if email and _settings(rb).smtp_smarthost:
        receiver["email_configs"] = [{"to": c.value, "send_resolved": True} for c in email]
    return receiver


def _settings(rb: Runbook) -> Any:
    from runbook.model import AlertRouting

    return rb.monitoring.alertmanager if rb.monitoring else AlertRouting()


def _global(rb: Runbook) -> dict[str, Any]:
    settings = _settings(rb)
    secrets = settings.secrets_dir.rstrip("/")
    out: dict[str, Any] = {"resolve_timeout": "5m"}
    channels = [c for lv in rb.escalation for c in rb.contacts[lv.contact].channels]
    if any(c.kind.value == "slack" for c in channels):
        out["slack_api_url_file"] = f"{secrets}/slack-api-url"
    if settings.smtp_smarthost and any(c.kind.value == "email" for c in channels):
        out["smtp_smarthost"] = settings.smtp_smarthost
        if settings.smtp_from:
            out["smtp_from"] = settings.smtp_from
        if settings.smtp_username:
            out["smtp_auth_username"] = settings.smtp_username
            out["smtp_auth_password_file"] = f"{secrets}/smtp-password"
    return out


def configuration(rb: Runbook) -> dict[str, Any]:
    """The Alertmanager configuration; empty when the runbook has no escalation path."""
    made = routes(rb)
    if not made:
        return {}
    settings = _settings(rb)
    child_routes = [
        {
            "receiver": r.receiver,
            "matchers": list(r.matchers),
            "group_wait": r.group_wait,
            "repeat_interval": r.repeat_interval,
            "continue": True,
        }
        for r in made
    ]
    return {
        "global": _global(rb),
        "route": {
            "receiver": made[0].receiver,
            "group_by": list(settings.group_by),
            "group_wait": made[0].group_wait,
            "group_interval": settings.group_interval,
            "repeat_interval": made[0].repeat_interval,
            "routes": child_routes,
        },
        "receivers": [_receiver(rb, r.level) for r in made],
    }


def notes(rb: Runbook) -> list[str]:
    """Lines for the file's header: each level, and channels no receiver covers."""
    lines = []
    for r in routes(rb):
        contact: Contact = rb.contacts[r.level.contact]
        when = " ".join(r.level.when.split())
        lines.append(
            f"level {r.level.level}: {contact.name} after {r.level.after_minutes} min "
            f"({r.receiver}): {when}"
        )
        for channel in contact.channels:
            if channel.kind.value == "phone":
                lines.append(f"- phone {channel.value}: no Alertmanager integration, call by hand")
            elif channel.kind.value == "email" and not _settings(rb).smtp_smarthost:
                lines.append(
                    f"- email {channel.value}: no receiver until "
                    "monitoring.alertmanager.smtp_smarthost is set"
                )
    return lines


def routing_expectations(rb: Runbook) -> list[tuple[dict[str, str], list[str]]]:
    """For each distinct alert's routing labels, the receivers the runbook says it reaches.

    `runbook check` asks ``amtool config routes test`` the same question of the generated
    configuration, so a routing tree that does not follow the escalation path fails.
    """
    from runbook.alerts.rules import alerts

    levels = sorted(rb.escalation, key=lambda lv: lv.level)
    seen: dict[tuple[tuple[str, str], ...], list[str]] = {}
    for alert in alerts(rb):
        keys = ("service", "threshold", "escalate_to")
        labels = {k: alert.labels[k] for k in keys if k in alert.labels}
        reach = int(labels.get("escalate_to", "0"))
        expected = [
            receiver_name(lv)
            for i, lv in enumerate(levels)
            if i == 0 or (labels.get("threshold") == "critical" and lv.level <= reach)
        ]
        seen.setdefault(tuple(sorted(labels.items())), expected)
    return [(dict(k), v) for k, v in seen.items()]
