"""Who to call, per severity and time of day, with links a phone can follow.

The escalation path says who is called and when; the severities say which incidents wake
people at night; each channel says whether it reaches its contact out of hours. From those,
this module decides what the contacts page, the emergencies and the incident card show, in
plain Python that tests can call. Links are built only from values of a strict shape (a phone
number's digits, an email address, a model-validated https URL), so no runbook text can
become a link of its own making.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from runbook.model import Channel, ChannelKind, Contact, EscalationLevel, Runbook, Severity
from runbook.model.operations import URL_PATTERN

#: A phone number at the start of a value: `+1 555 0100`, `(555) 0100`, `+44 20 7946 0958 (desk)`.
_PHONE = re.compile(r"^\s*(\+?[0-9(][0-9 ().-]{3,30}[0-9])(?![0-9])")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+$")
_URL = re.compile(URL_PATTERN)


def channel_href(channel: Channel) -> str | None:
    """Where a tap on the channel goes: ``tel:``, ``mailto:`` or its https URL; None if nowhere."""
    if channel.kind in (ChannelKind.phone, ChannelKind.pager):
        phone = _PHONE.match(channel.value)
        digits = re.sub(r"[^0-9]", "", phone.group(1)) if phone else ""
        if 5 <= len(digits) <= 20:
            plus = "+" if phone and phone.group(1).startswith("+") else ""
            return f"tel:{plus}{digits}"
    if channel.kind is ChannelKind.email and _EMAIL.match(channel.value.strip()):
        return f"mailto:{channel.value.strip()}"
    if channel.url and _URL.match(channel.url):
        return channel.url
    return None


@dataclass(frozen=True)
class Call:
    """One escalation level as the contacts page shows it for one severity."""

    level: EscalationLevel
    contact_id: str
    contact: Contact
    night: list[Channel]
    day: list[Channel]

    @property
    def when(self) -> str:
        """ "Now" for the first level, else how long into the incident."""
        minutes = int(self.level.after_minutes)
        return "Now" if minutes == 0 else f"After {minutes} min"


@dataclass(frozen=True)
class SeverityCalls:
    """Who to call for one severity, in escalation order."""

    severity: Severity
    calls: list[Call]

    @property
    def first_at_night(self) -> Call | None:
        """The first level reachable out of hours, when this severity calls anyone then."""
        if not self.severity.out_of_hours:
            return None
        return next((call for call in self.calls if call.night), None)


def day_channels(contact: Contact) -> list[Channel]:
    """Every channel, the ones that reach the contact at once (phone, pager) first."""
    first = [c for c in contact.channels if c.kind in (ChannelKind.phone, ChannelKind.pager)]
    return first + [c for c in contact.channels if c not in first]


def who_to_call(runbook: Runbook) -> list[SeverityCalls]:
    """For each severity (in matrix order), the escalation levels it calls and how."""
    levels = sorted(runbook.escalation, key=lambda level: level.level)
    out = []
    for severity in runbook.severities:
        calls = []
        for level in levels:
            if level.severities and severity.level not in level.severities:
                continue
            contact = runbook.contacts[level.contact]
            night = [c for c in contact.channels if c.out_of_hours]
            calls.append(Call(level, level.contact, contact, night, day_channels(contact)))
        out.append(SeverityCalls(severity, calls))
    return out


def first_call(runbook: Runbook) -> SeverityCalls | None:
    """The most severe level that calls someone at night, for the incident card."""
    for calls in who_to_call(runbook):
        if calls.first_at_night is not None:
            return calls
    return None
