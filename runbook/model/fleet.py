"""The rolling policy of a fleet: which group is deployed in batches, and how.

Ansible's own words (`serial`, `max_fail_percentage`) are used where they mean the same, so a
reader who knows Ansible recognises the generated play; the policy is the runbook's, the
engine is Ansible's.
"""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import Field, StrictInt, field_validator

from runbook.model.base import Id, Strict

PERCENT = re.compile(r"(?:[1-9][0-9]?|100)%")


class EarlierBatches(StrEnum):
    """What happens to the batches already deployed when a later batch fails and the run stops."""

    keep = "keep"
    rollback = "rollback"


class Rolling(Strict):
    """How a fleet's deploy moves through its hosts: batch by batch, stopping on failures.

    Each batch runs the procedure's per-host steps between the drain and undrain steps; a
    failure after the point of no return rolls that batch back (Ansible block/rescue), and
    `max_fail_percentage` decides whether the play goes on with the next batch.
    """

    group: Id = Field(description="The group deployed in batches, e.g. `app`.")
    batch: int | str = Field(
        1,
        description="Hosts per batch: a count (`1`) or a share of the group (`34%`, rounded "
        "down, at least 1); Ansible's `serial`.",
    )
    max_fail_percentage: StrictInt = Field(
        0,
        ge=0,
        le=100,
        description="Share of a batch's hosts that may fail before the play stops (0: any "
        "failure stops it; a whole batch failing always stops it). Ansible's keyword.",
    )
    pause_seconds: StrictInt = Field(
        0, ge=0, le=3600, description="Seconds to wait after each batch before the next."
    )
    balancer: Id | None = Field(
        None, description="The group of load balancers the drain and undrain steps run on."
    )
    drain: list[Id] = Field(
        default_factory=list,
        description="Steps run on every balancer host for each host of a batch (`$HOST`) "
        "before the batch's steps: take the host out of the load balancer.",
    )
    undrain: list[Id] = Field(
        default_factory=list,
        description="Steps run on every balancer host for each host of a batch after its "
        "steps passed (or after its automatic rollback): put the host back.",
    )

    @field_validator("batch", mode="before")
    @classmethod
    def _count_or_share(cls, value: object) -> object:
        count = isinstance(value, int) and not isinstance(value, bool) and value >= 1
        share = isinstance(value, str) and PERCENT.fullmatch(value) is not None
        if not (count or share):
            raise ValueError(
                f"{value!r} is neither a number of hosts (1 or more) nor a share such as 34%"
            )
        return value

    earlier_batches: EarlierBatches = Field(
        EarlierBatches.keep,
        description="When a batch fails and the run stops: `keep` leaves the batches already "
        "done on the new release (the fleet is mixed, the report says which host runs what); "
        "`rollback` runs the rollback steps on them too.",
    )
