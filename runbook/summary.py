"""A short account of what a runbook holds, for the terminal."""

from __future__ import annotations

from dataclasses import dataclass

from runbook.model import Runbook


@dataclass(frozen=True)
class Counts:
    """Figures that describe a runbook's size."""

    sections: int
    environments: int
    checklists: int
    checklist_items: int
    steps: int
    procedures: int
    stages: int
    emergencies: int
    metrics: int
    contacts: int
    commands: int


#: The runbook's sections as a reader meets them; each is counted when the YAML fills it.
SECTIONS = (
    "pre-deployment checklists",
    "staging deployment",
    "production deployment",
    "rollback procedures",
    "emergency procedures",
    "monitoring and alerts",
    "post-deployment tasks",
    "security checklist",
    "useful commands",
    "contacts and escalation",
    "deployment log template",
    "completion checklist",
)


def present_sections(rb: Runbook) -> list[str]:
    """The seed's twelve sections that this runbook fills."""
    envs_deployed = {
        rb.environments[p.environment].title.lower()
        for p in rb.procedures.values()
        if p.kind == "deploy"
    }
    has = {
        "pre-deployment checklists": bool(rb.checklists_in("pre-deployment")),
        "staging deployment": "staging" in envs_deployed,
        "production deployment": "production" in envs_deployed,
        "rollback procedures": any(p.kind == "rollback" for p in rb.procedures.values()),
        "emergency procedures": bool(rb.emergencies),
        "monitoring and alerts": rb.monitoring is not None,
        "post-deployment tasks": bool(rb.checklists_in("post-deployment")),
        "security checklist": bool(rb.checklists_in("security")),
        "useful commands": bool(rb.commands),
        "contacts and escalation": bool(rb.contacts and rb.escalation),
        "deployment log template": rb.deployment_log is not None,
        "completion checklist": bool(rb.checklists_in("completion")),
    }
    return [name for name in SECTIONS if has[name]]


def count(rb: Runbook) -> Counts:
    """Count what the runbook holds."""
    return Counts(
        sections=len(present_sections(rb)),
        environments=len(rb.environments),
        checklists=len(rb.checklists),
        checklist_items=sum(len(c.items) for c in rb.checklists.values()),
        steps=len(rb.steps),
        procedures=len(rb.procedures),
        stages=sum(len(p.stages) for p in rb.procedures.values()),
        emergencies=len(rb.emergencies),
        metrics=len(rb.monitoring.metrics) if rb.monitoring else 0,
        contacts=len(rb.contacts),
        commands=sum(len(g.commands) for g in rb.commands.values()),
    )


def _n(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def summary_lines(rb: Runbook) -> list[str]:
    """A few lines a person can read in five seconds."""
    c = count(rb)
    lines = [
        f"{rb.service.name}: {c.sections}/{len(SECTIONS)} sections, "
        f"{_n(c.environments, 'environment')}, {_n(c.steps, 'step')} in the library",
    ]
    for pid, proc in rb.procedures.items():
        script = f" -> scripts/{proc.script}" if proc.script else ""
        script = script or (f" -> playbooks/{proc.playbook}" if proc.playbook else "")
        lines.append(
            f"  procedure {pid}: {_n(len(proc.stages), 'stage')}, "
            f"{_n(len(proc.step_ids), 'step')}{script}"
        )
    for cid, checklist in rb.checklists.items():
        lines.append(f"  checklist {cid}: {_n(len(checklist.items), 'item')}")
    lines.append(
        f"  {_n(c.emergencies, 'emergency procedure')}, "
        f"{_n(len(rb.escalation), 'escalation level')}, {_n(c.contacts, 'contact')}, "
        f"{_n(c.metrics, 'metric')}, {_n(c.commands, 'useful command')}"
    )
    return lines
