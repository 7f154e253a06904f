"""What the site shows of the deployment history: the page's context, and the procedures' medians.

The history is data collected after the fact, not part of the runbook, so it shows on the site
only: the single-file runbook stays a function of the YAML alone and its drift check does not
depend on when someone last ran `runbook history`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup

from runbook.history import charts
from runbook.history.measures import (
    DORA,
    TITLES,
    Verdict,
    dora,
    dora_environment,
    human_seconds,
    incidents,
    procedure_medians,
    verdicts,
)
from runbook.history.runs import HISTORY_FILE, History, Run, read_history
from runbook.model import Measure, Runbook

RECENT = 50


@dataclass(frozen=True)
class Row:
    """A run as the table of recent runs shows it."""

    run: Run
    known: bool

    @property
    def when(self) -> str:
        return self.run.finished.strftime("%Y-%m-%d %H:%M UTC")

    @property
    def duration(self) -> str:
        return human_seconds(self.run.duration_s)

    @property
    def change(self) -> str:
        if self.run.previous and self.run.version:
            return f"{self.run.previous} → {self.run.version}"
        return self.run.version or "?"


@dataclass(frozen=True)
class Measured:
    """One DORA measure: what it is, what was measured, and the target it is held to."""

    title: str
    text: str
    verdict: Verdict | None


@dataclass
class HistoryView:
    """The history page's content."""

    recorded: bool
    source: str
    problem: str = ""
    sources: list[str] = field(default_factory=list)
    runs: int = 0
    environment: str | None = None
    rows: list[Row] = field(default_factory=list)
    charts: list[tuple[str, Markup]] = field(default_factory=list)
    dora: list[Measured] = field(default_factory=list)
    targets: list[Verdict] = field(default_factory=list)


def _target_for(found: list[Verdict], measure: Measure) -> Verdict | None:
    return next((v for v in found if v.target.measured is measure), None)


def _duration_charts(
    rb: Runbook, history: History, found: list[Verdict]
) -> list[tuple[str, Markup]]:
    out = []
    for pid, procedure in rb.procedures.items():
        runs = [r for r in history.runs if r.procedure == pid]
        if not runs:
            continue
        verdict = next(
            (
                v
                for v in found
                if v.target.measured is Measure.duration and v.target.procedure == pid
            ),
            None,
        )
        if verdict is not None:
            target_s: float | None = verdict.target.value * verdict.target.scale
            label = f"target {verdict.target.display}"
        elif procedure.target_minutes:
            target_s, label = (
                procedure.target_minutes * 60,
                f"target < {procedure.target_minutes:g} min",
            )
        else:
            target_s, label = None, ""
        title = f"{procedure.title}: duration of each run"
        out.append((title, Markup(charts.duration_chart(title, runs, target_s, label))))
    return out


def history_view(rb: Runbook, history: History | None, source: str = HISTORY_FILE) -> HistoryView:
    """The page's content from the history (None: nothing recorded yet)."""
    if history is None or not history.runs:
        return HistoryView(False, source)
    env = dora_environment(rb)
    found = verdicts(rb, history)
    view = HistoryView(True, source, "", list(history.sources), len(history.runs), env)
    view.rows = [Row(r, r.procedure in rb.procedures) for r in reversed(history.runs[-RECENT:])]
    view.targets = found
    view.charts = _duration_charts(rb, history, found)
    if env is not None:
        measures = dora(rb, history, env)
        for measure in DORA:
            verdict = _target_for(found, measure)
            text = verdict.text if verdict is not None else measures[measure].text(measure)
            view.dora.append(Measured(TITLES[measure], text, verdict))
        deploys = [r for r in history.runs if r.environment == env]
        title = f"{rb.environments[env].title}: outcome of the deploy and rollback attempts"
        view.charts.append((title, Markup(charts.outcome_chart(title, deploys))))
        restore = _target_for(found, Measure.time_to_restore)
        target_s = restore.target.value * restore.target.scale if restore else None
        label = f"target {restore.target.display}" if restore else ""
        title = f"{rb.environments[env].title}: time to restore each failed change"
        chart = charts.restore_chart(title, incidents(rb, history, env), target_s, label)
        view.charts.append((title, Markup(chart)))
    return view


def site_context(rb: Runbook, root: Path) -> dict[str, Any]:
    """What the site's pages need of the history beside the runbook: the page and the medians."""
    from runbook.errors import RunbookError

    try:
        history = read_history(root / HISTORY_FILE)
    except RunbookError as exc:  # the runbook still publishes; the page says why
        return {"history": HistoryView(False, HISTORY_FILE, exc.lines()[0]), "measured": {}}
    return {
        "history": history_view(rb, history),
        "measured": procedure_medians(rb, history) if history is not None else {},
    }
