"""Incident response: severity matrix, emergency procedures, escalation and contacts."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, StrictBool, StrictInt

from runbook.model.base import Id, RunsOn, SeverityLevel, Strict
from runbook.model.text import BASH_INT_MAX, Code, Label, Prose, Text


class Severity(Strict):
    """A row of the rollback decision matrix."""

    level: SeverityLevel
    title: Label = Field(description="Name of the level, e.g. `Critical`.")
    response_time: Label = Field(description="How fast someone must act, e.g. `< 5 min`.")
    action: Label = Field(description="What to do, e.g. `Immediate rollback`.")
    examples: list[Text] = Field(
        default_factory=list, description="Typical incidents of this level."
    )
    out_of_hours: StrictBool = Field(
        True,
        description="Whether an incident of this level calls people at night and on weekends; "
        "`false` for a level that waits for business hours.",
    )


class Command(Strict):
    """A command worth knowing: shown with a copy button, runnable on its own."""

    title: Label = Field(description="What the command tells or does.")
    command: Code = Field(description="The exact command.")
    runs_on: RunsOn = Field(RunsOn.remote, description="Where to run it.")
    why: Prose = Field("", description="When to reach for it.")


class Emergency(Strict):
    """An emergency procedure: how to recognise the incident, diagnose it and act."""

    title: Label = Field(description="E.g. `Application down`.")
    severity: SeverityLevel
    symptoms: list[Text] = Field(min_length=1, description="What the on-call engineer sees.")
    diagnosis: list[Command] = Field(min_length=1, description="Commands that narrow it down.")
    actions: list[Text] = Field(min_length=1, description="What to do, in order.")
    escalate_to: StrictInt | None = Field(
        None, ge=1, le=20, description="Escalation level to call when the actions do not help."
    )
    output_matches: list[Label] = Field(
        default_factory=list,
        max_length=20,
        description="Text that, found in the output of a failing step of a script (a health "
        "answer's body, say), names this emergency: the script prints its title and page.",
    )


class ChannelKind(StrEnum):
    """How a contact is reached."""

    pager = "pager"
    phone = "phone"
    slack = "slack"
    email = "email"


class ChannelHours(StrEnum):
    """When a channel reaches its contact."""

    always = "always"
    business = "business"


#: A link that opens a channel: https only, and nothing markdown or HTML could read otherwise.
URL_PATTERN = r"^https://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~/?=&%+-]*)?$"


class Channel(Strict):
    """One way to reach a contact."""

    kind: ChannelKind = Field(description="`pager`, `phone`, `slack` or `email`.")
    value: Label = Field(
        description="Address, handle or number. A phone or pager value that starts with a "
        "number is a `tel:` link on the site, an email address a `mailto:` link."
    )
    hours: ChannelHours = Field(
        ChannelHours.always,
        description="`always`, or `business` for a channel that reaches the contact in "
        "business hours only (a desk phone). Out of hours, the site lists only the phone and "
        "pager channels that are `always`: nobody reads chat or email at 3 a.m.",
    )
    url: str | None = Field(
        None,
        max_length=2048,
        pattern=URL_PATTERN,
        description="An https link that opens the channel: the chat channel, the paging "
        "service's page. The site links the value to it.",
    )

    @property
    def out_of_hours(self) -> bool:
        """Whether this channel reaches its contact at night: a phone or a pager, at any hour.

        The one definition for the site's night-time contacts and the lint rule that asks
        every escalation level for one.
        """
        waking = self.kind in (ChannelKind.phone, ChannelKind.pager)
        return waking and self.hours is ChannelHours.always and bool(self.value.strip())


class Contact(Strict):
    """A person or rota to call."""

    name: Label = Field(description="Name or rota, e.g. `On-call engineer`.")
    role: Label = Field(description="What they own during an incident.")
    channels: list[Channel] = Field(default_factory=list, description="How to reach them.")
    hours: Label = Field("24/7", description="When they can be reached.")


class EscalationLevel(Strict):
    """A step of the on-call escalation path."""

    level: StrictInt = Field(ge=1, le=20, description="1 is called first.")
    contact: Id = Field(description="Id of the contact called at this level.")
    after_minutes: StrictInt = Field(
        ge=0, le=BASH_INT_MAX, description="Minutes into the incident when this level is called."
    )
    when: Label = Field(description="What triggers this level.")
    severities: list[SeverityLevel] = Field(
        default_factory=list,
        description="Severities this level is called for, e.g. `[P0, P1]`; empty means every "
        "severity.",
    )
