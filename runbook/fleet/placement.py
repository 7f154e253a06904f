"""Where each step of a fleet procedure runs: the one reading shared by playbooks and site.

A single host needs no such reading (a remote step runs on the host). In a fleet a remote
step runs on **each** host of the batch, unless it says ``once_on: GROUP`` (once per run, on
that group's first host); a local step runs **once** on the deploying machine, or **for each**
host of the batch when its command reaches the host (``upload``, ``remote``, ssh).

The procedure splits into three parts: the steps before the first per-host step (run once,
before any batch), the rolling part from the first per-host step to the last (run batch by
batch; its once-steps run during the first batch only, in their documented place), and the
steps after the last per-host step (run once, after the last batch).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from runbook.model import Environment, Runbook, RunsOn, Step
from scripts_gen.render import uses_target


class Where(StrEnum):
    """Where one step of a fleet procedure runs."""

    local = "local"  # the deploying machine, once per run
    local_each = "local-each"  # the deploying machine, for each host of the batch
    each = "each"  # each host of the batch
    once = "once"  # the first host of a group, once per run

    @property
    def per_host(self) -> bool:
        return self in (Where.each, Where.local_each)


@dataclass(frozen=True)
class Placed:
    """A step with where it runs and, for remote steps, the group whose hosts run it."""

    index: int
    step_id: str
    step: Step
    where: Where
    group: str | None = None


@dataclass(frozen=True)
class Plan:
    """A fleet procedure in its three parts (see the module docstring)."""

    before: list[Placed] = field(default_factory=list)
    rolling: list[Placed] = field(default_factory=list)
    after: list[Placed] = field(default_factory=list)

    @property
    def steps(self) -> list[Placed]:
        return [*self.before, *self.rolling, *self.after]


def fleet_of(rb: Runbook, procedure_id: str) -> Environment:
    """The fleet environment a procedure deploys; a ValueError for a single host."""
    env = rb.environments[rb.procedures[procedure_id].environment]
    if env.groups is None or env.rolling is None:
        raise ValueError(f"procedure {procedure_id} does not deploy a fleet")
    return env


def where(step: Step, env: Environment) -> tuple[Where, str | None]:
    """Where ``step`` runs in the fleet ``env``, and the group of hosts that runs it."""
    assert env.rolling is not None
    if step.runs_on is RunsOn.local:
        touches = step.command is not None and uses_target(step.command)
        return (Where.local_each, env.rolling.group) if touches else (Where.local, None)
    if step.once_on is not None:
        return Where.once, step.once_on
    return Where.each, env.rolling.group


def place(rb: Runbook, procedure_id: str, step_ids: list[str] | None = None) -> list[Placed]:
    """The steps (by default the procedure's), each with where it runs."""
    env = fleet_of(rb, procedure_id)
    ids = rb.procedures[procedure_id].step_ids if step_ids is None else step_ids
    out = []
    for index, step_id in enumerate(ids, 1):
        kind, group = where(rb.steps[step_id], env)
        out.append(Placed(index, step_id, rb.steps[step_id], kind, group))
    return out


def plan(rb: Runbook, procedure_id: str) -> Plan:
    """The procedure's steps split into before, rolling and after parts."""
    placed = place(rb, procedure_id)
    per_host = [i for i, p in enumerate(placed) if p.where.per_host]
    if not per_host:
        return Plan(before=placed)
    first, last = per_host[0], per_host[-1]
    return Plan(placed[:first], placed[first : last + 1], placed[last + 1 :])


def batches(env: Environment) -> list[list[str]]:
    """The rolling group's hosts in the batches Ansible's ``serial`` makes of them."""
    assert env.groups is not None and env.rolling is not None
    hosts = list(env.groups[env.rolling.group])
    size = batch_size(env.rolling.batch, len(hosts))
    return [hosts[i : i + size] for i in range(0, len(hosts), size)]


def batch_size(batch: int | str, hosts: int) -> int:
    """Hosts per batch as Ansible computes ``serial``: a percentage rounds down, at least 1."""
    if isinstance(batch, int):
        return max(1, min(batch, hosts))
    return int(int(batch.rstrip("%")) / 100.0 * hosts) or 1
