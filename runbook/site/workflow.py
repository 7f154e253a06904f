"""The deployment workflow as a mermaid flowchart, drawn from the procedures.

Each procedure is a subgraph of its stages in order. Deploys are chained in file order
("promote"), and each environment's deploy points to its rollback ("incident"), so the
diagram follows the runbook without being drawn by hand. An environment with several
rollbacks gets one "incident" node between its deploys and its rollbacks, so the diagram
grows with the procedures, not with deploys times rollbacks.
"""

from __future__ import annotations

import itertools

from runbook.model import ProcedureKind, Runbook
from runbook.site.render import mermaid_label

#: Draw at the natural size instead of shrinking to the page's width: on a phone the labels
#: stay readable and the diagram scrolls sideways (runbook.css lets it).
_NATURAL_SIZE = '%%{init: {"flowchart": {"useMaxWidth": false}}}%%'


def workflow(runbook: Runbook) -> str:
    """Mermaid source of the workflow diagram."""
    lines = [_NATURAL_SIZE, "flowchart LR"]
    first: dict[str, str] = {}
    last: dict[str, str] = {}
    for i, (pid, proc) in enumerate(runbook.procedures.items()):
        lines.append(f'  subgraph p{i}["{mermaid_label(proc.title)}"]')
        lines.append("    direction TB")
        names = [f"p{i}s{j}" for j in range(len(proc.stages))]
        for name, stage in zip(names, proc.stages, strict=True):
            point = proc.point_of_no_return in stage.steps
            label = mermaid_label(stage.title) + (" (point of no return)" if point else "")
            lines.append(f'    {name}["{label}"]')
        lines.extend(f"    {a} --> {b}" for a, b in itertools.pairwise(names))
        lines.append("  end")
        first[pid], last[pid] = f"p{i}", f"p{i}"
    deploys = [p for p, proc in runbook.procedures.items() if proc.kind is ProcedureKind.deploy]
    lines.extend(f"  {last[a]} -- promote --> {first[b]}" for a, b in itertools.pairwise(deploys))
    rollbacks: dict[str, list[str]] = {}
    for rid, proc in runbook.procedures.items():
        if proc.kind is ProcedureKind.rollback:
            rollbacks.setdefault(proc.environment, []).append(rid)
    hubs: dict[str, str] = {}
    for i, (env, rids) in enumerate(rollbacks.items()):
        if len(rids) > 1:
            hubs[env] = f"i{i}"
            lines.append(f'  i{i}(["incident on {mermaid_label(env)}"])')
            lines.extend(f"  i{i} -.-> {first[rid]}" for rid in rids)
    for pid in deploys:
        env = runbook.procedures[pid].environment
        if env in hubs:
            lines.append(f"  {last[pid]} -. incident .-> {hubs[env]}")
            continue
        lines.extend(
            f"  {last[pid]} -. incident .-> {first[rid]}" for rid in rollbacks.get(env, [])
        )
    return "\n".join(lines)
