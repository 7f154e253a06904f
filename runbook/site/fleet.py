"""What the site shows of a fleet: its groups and batches, the rolling order, where steps run.

The reading of a fleet procedure (before the batches, in each batch, once, after) is the
generator's own (``runbook.fleet.placement``), so the page and the playbook cannot disagree.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from runbook.fleet.placement import Placed, Where, batch_size, batches, plan
from runbook.model import Environment, Runbook, Step
from runbook.site.render import mermaid_label


@dataclass(frozen=True)
class GroupView:
    """A host group and what it does during a deploy."""

    group: str
    hosts: list[str]
    roles: list[str]


@dataclass(frozen=True)
class StepPlace:
    """One step of a fleet procedure: where it runs, and in which part of the run."""

    step_id: str
    title: str
    part: str
    where: str


@dataclass
class FleetView:
    """Everything the fleet page of an environment shows."""

    env_id: str
    env: Environment
    groups: list[GroupView]
    batches: list[list[str]]
    serial: str
    diagram: str
    procedures: list[str] = field(default_factory=list)


def step_where(step: Step, env: Environment) -> str:
    """Where a step runs in a fleet, in the reader's words."""
    from runbook.fleet.placement import where as placement

    kind, group = placement(step, env)
    if kind is Where.local:
        return "the deploying machine (local), once per run"
    if kind is Where.local_each:
        return f"the deploying machine, for each host of a batch of `{group}` (over SSH)"
    if kind is Where.once:
        assert env.groups is not None and group is not None
        first = env.groups[group][0] if group in env.groups else "?"
        return f"once per run, on the first host of `{group}` (`{first}`)"
    return f"each host of the batch (`{group}`, over SSH)"


def procedure_places(rb: Runbook, procedure_id: str) -> list[StepPlace]:
    """Each step of a fleet procedure with its part of the run and where it runs."""
    env = rb.environments[rb.procedures[procedure_id].environment]
    parts = plan(rb, procedure_id)

    def rows(placed: list[Placed], part: str) -> list[StepPlace]:
        out = []
        for p in placed:
            when = part
            if part == "each batch" and not p.where.per_host:
                when = "first batch only"
            out.append(StepPlace(p.step_id, p.step.title, when, step_where(p.step, env)))
        return out

    return [
        *rows(parts.before, "before the batches"),
        *rows(parts.rolling, "each batch"),
        *rows(parts.after, "after the batches"),
    ]


def fleet_view(rb: Runbook, env_id: str) -> FleetView:
    env = rb.environments[env_id]
    assert env.groups is not None and env.rolling is not None
    rolling = env.rolling
    roles: dict[str, list[str]] = {g: [] for g in env.groups}
    size = batch_size(rolling.batch, len(env.groups[rolling.group]))
    roles[rolling.group].append(f"deployed in batches of {size} (`serial: {rolling.batch}`)")
    if rolling.balancer:
        steps = ", ".join(f"`{s}`" for s in [*rolling.drain, *rolling.undrain])
        roles[rolling.balancer].append(f"load balancer: {steps} around each batch's hosts")
    procedures = [pid for pid, p in rb.procedures.items() if p.environment == env_id and p.playbook]
    for pid in procedures:
        for step_id in rb.procedures[pid].step_ids:
            step = rb.steps[step_id]
            if step.once_on in roles and f"`{step_id}` once" not in roles[step.once_on]:
                roles[step.once_on].append(f"`{step_id}` once")
    groups = [GroupView(g, list(hosts), roles[g]) for g, hosts in env.groups.items()]
    found = batches(env)
    return FleetView(
        env_id, env, groups, found, str(rolling.batch), diagram(env, found), procedures
    )


def diagram(env: Environment, found: list[list[str]]) -> str:
    """Mermaid source of the rolling order: before, each batch, after, and the failure path."""
    assert env.rolling is not None
    rolling = env.rolling
    lines = ["flowchart LR"]
    lines.append('  before["Before the batches: local checks, once-steps, the fleet lock"]')
    names = [f"b{i}" for i in range(len(found))]
    for i, (name, hosts) in enumerate(zip(names, found, strict=True), 1):
        label = mermaid_label(f"Batch {i}: " + ", ".join(hosts))
        lines.append(f'  {name}["{label}"]')
    lines.append('  finish["Finish: lock released, report of each host"]')
    chain = ["before", *names, "finish"]
    pause = f" pause {rolling.pause_seconds} s" if rolling.pause_seconds else ""
    for a, b in itertools.pairwise(chain):
        arrow = f" --{pause} --> " if pause and a.startswith("b") and b.startswith("b") else " --> "
        lines.append(f"  {a}{arrow}{b}")
    earlier = (
        "earlier batches rolled back"
        if rolling.earlier_batches.value == "rollback"
        else "earlier batches keep the release"
    )
    stop = mermaid_label(
        f"Failed batch rolled back, stop (at most {rolling.max_fail_percentage} % of hosts failed), "
        f"{earlier}"
    )
    lines.append(f'  stop["{stop}"]')
    lines.extend(f"  {name} -. a host fails .-> stop" for name in names)
    return "\n".join(lines)
