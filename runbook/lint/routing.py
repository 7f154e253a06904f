"""RB020: alert routing holds no credential; the deployer's own files do.

The contacts and the Alertmanager settings become `monitoring/alertmanager.yml`, a committed,
published file, and the contacts are printed on the site. A webhook URL or an integration key
written there leaks with every copy and cannot be rotated without a commit. The generated
configuration names files in `monitoring.alertmanager.secrets_dir` instead; this rule keeps
the values out of the runbook.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from runbook.lint.rule import Hit, rule
from runbook.lint.secrets import find_secret
from runbook.model import Runbook
from runbook.yamlsrc import DocPath

#: (what it is, pattern): credentials that notification channels are configured with.
ROUTING_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a Slack webhook URL", re.compile(r"hooks\.slack\.com/(?:services|workflows)/", re.I)),
    (
        "a webhook URL with its token",
        re.compile(
            r"https?://\S{1,200}/(?:hooks?|webhooks?|api/webhooks)/\S{0,100}[A-Za-z0-9_-]{16}",
            re.I,
        ),
    ),
    (
        "a token in a URL",
        re.compile(r"[?&](?:token|key|api[_-]?key|secret|sig|access_token)=[^&\s]{8}", re.I),
    ),
    ("an integration key", re.compile(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])", re.I)),
    (
        "an API key",
        re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I),
    ),
    ("a chat bot token", re.compile(r"\b[0-9]{8,10}:[A-Za-z0-9_-]{35}\b")),
)


def find_routing_secret(text: str) -> str | None:
    """What kind of credential ``text`` holds, or None."""
    for what, pattern in ROUTING_PATTERNS:
        if pattern.search(text):
            return what
    return find_secret(text)


def _values(rb: Runbook) -> Iterator[tuple[DocPath, str]]:
    for cid, contact in rb.contacts.items():
        for i, channel in enumerate(contact.channels):
            yield ("contacts", cid, "channels", i, "value"), channel.value
    if rb.monitoring is not None:
        settings = rb.monitoring.alertmanager
        for key in ("smtp_from", "smtp_username", "smtp_smarthost"):
            yield ("monitoring", "alertmanager", key), getattr(settings, key)


@rule(
    "RB020",
    "no-secrets-in-routing",
    "Alert routing names credential files, never the credentials",
    rationale="""
        The contacts and the Alertmanager settings are rendered into the site and into the
        committed `monitoring/alertmanager.yml`. A Slack webhook URL, a PagerDuty integration
        key, an API key or a password written in a contact's channel or in
        `monitoring.alertmanager` is published with them and cannot be rotated without
        editing the runbook. Channels hold what a person reads (`#incidents`, an address, a
        rota's name); the generated configuration reads the credentials from files in
        `monitoring.alertmanager.secrets_dir` that the deployer provides on the Alertmanager
        host (`slack-api-url`, `pagerduty-<contact>`, `smtp-password`).
    """,
    example="""
        contacts:
          on-call:
            name: On-call engineer
            role: First responder
            channels:
              - {kind: slack, value: "https://hooks.slack.com/services/T00/B00/XXXXXXXXXXXXXXXX"}
    """,
    fix="""
        contacts:
          on-call:
            name: On-call engineer
            role: First responder
            channels:
              - {kind: slack, value: "#incidents"}   # webhook URL: /etc/alertmanager/secrets/slack-api-url
    """,
)
def no_secrets_in_routing(rb: Runbook) -> Iterator[Hit]:
    secrets_dir = rb.monitoring.alertmanager.secrets_dir if rb.monitoring else "secrets_dir"
    for path, text in _values(rb):
        what = find_routing_secret(text)
        if what:
            yield Hit(
                path,
                f"{what} is written here; put it in a file in {secrets_dir} on the "
                "Alertmanager host and keep only what people read in the runbook",
            )
