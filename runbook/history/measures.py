"""What the deployment history measures, and whether it meets the runbook's targets.

Definitions (the history page states them too):

- a *deployment* is a run of a deploy procedure that changed what serves: it succeeded, was
  rolled back automatically, or escalated (exit 3). Refusals (exit 2) and failures before the
  point of no return changed nothing and are not deployments; they are *attempts*;
- *success rate*: successful runs among the attempts (every run but the refused ones);
- *deployment frequency*: successful deployments per day over the span of the history;
- *lead time for changes*: from the deployed commit's time to the end of its successful
  deployment (median);
- *change failure rate*: deployments that needed a rollback (automatic, or a rollback
  procedure run after them and before the next deployment) among all deployments;
- *time to restore*: from the moment a failed change served (its point of no return) to the
  end of the rollback that restored service (median);
- *duration*: how long a procedure's successful runs took (median).

DORA's four measures are taken on one environment, the one whose deploys are most guarded
(a required tag first, then more confirmations): production, in most runbooks.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime

from runbook.history.runs import History, Run
from runbook.model import Measure, PerformanceTarget, ProcedureKind, Runbook
from runbook.model.reference import Comparison

DAY_S = 86400.0
DORA = (
    Measure.deployment_frequency,
    Measure.lead_time,
    Measure.change_failure_rate,
    Measure.time_to_restore,
)
TITLES = {
    Measure.duration: "Duration",
    Measure.success_rate: "Success rate",
    Measure.deployment_frequency: "Deployment frequency",
    Measure.lead_time: "Lead time for changes",
    Measure.change_failure_rate: "Change failure rate",
    Measure.time_to_restore: "Time to restore",
}


@dataclass(frozen=True)
class Figure:
    """A measured value in its measure's base unit (seconds, %, per day), or None."""

    value: float | None
    count: int
    what: str  # what was counted: "runs", "deployments", "incidents"
    how: str = "median"

    def text(self, measure: Measure, unit: str = "", scale: float = 1.0) -> str:
        """E.g. `median 3.2 min over 8 runs`, in ``unit`` when the target has one."""
        if self.value is None:
            return f"not measured (no {self.what})"
        shown = amount(self.value, measure, unit, scale)
        how = f"{self.how} " if self.how else ""
        return f"{how}{shown} over {self.count} {counted(self.count, self.what)}"


def counted(count: int, what: str) -> str:
    """``what`` for ``count`` of them: "1 successful run", not "1 successful runs" (the
    counted noun is the first word ending in s)."""
    if count != 1:
        return what
    words = what.split(" ")
    for i, word in enumerate(words):
        if word.endswith("s"):
            words[i] = word[:-1]
            break
    return " ".join(words)


@dataclass(frozen=True)
class Incident:
    """A change that failed and how service came back."""

    run: Run
    start: datetime
    restored: datetime | None
    how: str

    @property
    def seconds(self) -> float | None:
        return None if self.restored is None else (self.restored - self.start).total_seconds()


@dataclass(frozen=True)
class Verdict:
    """A performance target against what the history measured."""

    index: int
    target: PerformanceTarget
    figure: Figure | None  # None: the history does not measure this target

    @property
    def met(self) -> bool | None:
        if self.figure is None or self.figure.value is None:
            return None
        return meets(
            self.figure.value / self.target.scale, self.target.comparison, self.target.value
        )

    @property
    def text(self) -> str:
        if self.figure is None:
            return "not measured by the deployment logs"
        measured = self.target.measured
        assert measured is not None
        return self.figure.text(measured, self.target.unit, self.target.scale)


def meets(value: float, comparison: Comparison, target: float) -> bool:
    """Whether ``value`` meets ``comparison target``."""
    return {
        Comparison.lt: value < target,
        Comparison.le: value <= target,
        Comparison.gt: value > target,
        Comparison.ge: value >= target,
        Comparison.eq: abs(value - target) < 1e-9,
    }[comparison]


def human_seconds(seconds: float) -> str:
    """A duration as a person reads it: `42 s`, `3.2 min`, `2.5 h`, `3.1 d`."""
    if seconds < 90:
        return f"{seconds:.3g} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.3g} min"
    if seconds < 2 * DAY_S:
        return f"{seconds / 3600:.3g} h"
    return f"{seconds / DAY_S:.3g} d"


def amount(value: float, measure: Measure, unit: str = "", scale: float = 1.0) -> str:
    """A figure in the target's unit, or in a readable one when there is no target."""
    if unit:
        spaced = unit if unit == "%" else f" {unit}"
        return f"{value / scale:.3g}{spaced}"
    if measure in (Measure.duration, Measure.lead_time, Measure.time_to_restore):
        return human_seconds(value)
    if measure is Measure.deployment_frequency:
        return f"{value:.3g} per day"
    return f"{value:.3g}%"


def dora_environment(rb: Runbook) -> str | None:
    """The environment DORA is measured on: its deploys need a tag, then more confirmations."""
    deployed = [p.environment for p in rb.procedures.values() if p.kind is ProcedureKind.deploy]
    if not deployed:
        return None
    order = list(rb.environments)
    return max(
        dict.fromkeys(deployed),
        key=lambda e: (
            rb.environments[e].require_tag,
            rb.environments[e].confirmations,
            -order.index(e),  # a tie goes to the environment declared first
        ),
    )


def kind_of(rb: Runbook, run: Run) -> ProcedureKind | None:
    procedure = rb.procedures.get(run.procedure)
    return procedure.kind if procedure is not None else None


def _deploys(rb: Runbook, history: History, env: str) -> list[Run]:
    return [
        r for r in history.runs if r.environment == env and kind_of(rb, r) is ProcedureKind.deploy
    ]


def _median(values: list[float], what: str) -> Figure:
    return Figure(statistics.median(values) if values else None, len(values), what)


def duration(rb: Runbook, history: History, procedure: str) -> Figure:
    """Median duration of a procedure's successful runs."""
    values = [
        r.duration_s for r in history.runs if r.procedure == procedure and r.outcome == "success"
    ]
    return _median(values, "successful runs")


def success_rate(rb: Runbook, history: History, env: str) -> Figure:
    attempts = [r for r in _deploys(rb, history, env) if r.outcome != "refused"]
    ok = sum(1 for r in attempts if r.outcome == "success")
    value = 100.0 * ok / len(attempts) if attempts else None
    return Figure(value, len(attempts), "attempts", "")


def deployments(rb: Runbook, history: History, env: str) -> list[Run]:
    """Deploy runs that changed what serves."""
    changed = ("success", "rolled-back", "escalated")
    return [r for r in _deploys(rb, history, env) if r.outcome in changed]


def _failed_at(rb: Runbook, run: Run) -> datetime:
    """When a failed change began to serve: its point of no return, else its first failure."""
    procedure = rb.procedures.get(run.procedure)
    if procedure is not None and procedure.point_of_no_return:
        at = run.step_time(procedure.point_of_no_return)
        if at is not None:
            return at
    failed = [s.time for s in run.steps if s.outcome == "failed"]
    return min(failed) if failed else run.started


def incidents(rb: Runbook, history: History, env: str) -> list[Incident]:
    """Every failed change in ``env`` and when (and how) service was restored."""
    found: list[Incident] = []
    open_incident: Incident | None = None
    last_success: Run | None = None
    for run in (r for r in history.runs if r.environment == env):
        kind = kind_of(rb, run)
        if kind is ProcedureKind.deploy and run.outcome == "rolled-back":
            found.append(Incident(run, _failed_at(rb, run), run.finished, "automatic rollback"))
            last_success = None
        elif kind is ProcedureKind.deploy and run.outcome == "escalated":
            open_incident = Incident(run, _failed_at(rb, run), None, "")
            found.append(open_incident)
            last_success = None
        elif kind is ProcedureKind.deploy and run.outcome == "success":
            if open_incident is not None:
                found[found.index(open_incident)] = Incident(
                    open_incident.run, open_incident.start, run.finished, f"deploy {run.version}"
                )
                open_incident = None
            last_success = run
        elif kind is ProcedureKind.rollback and run.outcome == "success":
            how = f"{run.procedure} to {run.version}" if run.version else run.procedure
            if open_incident is not None:
                index = found.index(open_incident)
                found[index] = Incident(open_incident.run, open_incident.start, run.finished, how)
                open_incident = None
            elif last_success is not None:
                found.append(Incident(last_success, last_success.finished, run.finished, how))
                last_success = None
    return found


def dora(rb: Runbook, history: History, env: str) -> dict[Measure, Figure]:
    """The four DORA measures of ``env``."""
    deployed = deployments(rb, history, env)
    successes = [r for r in deployed if r.outcome == "success"]
    runs = [r for r in history.runs if r.environment == env]
    if runs:
        span = (max(r.finished for r in runs) - min(r.started for r in runs)).total_seconds()
        frequency: float | None = len(successes) / max(span / DAY_S, 1.0)
    else:
        frequency = None
    lead = [(r.finished - r.committed).total_seconds() for r in successes if r.committed]
    failed = incidents(rb, history, env)
    restored = [s for s in (i.seconds for i in failed) if s is not None]
    rate = 100.0 * len(failed) / len(deployed) if deployed else None
    return {
        Measure.deployment_frequency: Figure(
            frequency, len(successes), "successful deployments", ""
        ),
        Measure.lead_time: _median(lead, "deployments with a commit time"),
        Measure.change_failure_rate: Figure(rate, len(deployed), "deployments", ""),
        Measure.time_to_restore: _median(restored, "restored failures"),
    }


def figure_for(rb: Runbook, history: History, target: PerformanceTarget) -> Figure | None:
    """What the history measured for one target (None when it measures nothing of it)."""
    measured = target.measured
    env = dora_environment(rb)
    if measured is None or env is None:
        return None
    if measured is Measure.duration:
        assert target.procedure is not None
        return duration(rb, history, target.procedure)
    if measured is Measure.success_rate:
        return success_rate(rb, history, env)
    return dora(rb, history, env)[measured]


def verdicts(rb: Runbook, history: History) -> list[Verdict]:
    """Every performance target of the runbook against the history."""
    return [Verdict(i, t, figure_for(rb, history, t)) for i, t in enumerate(rb.performance)]


def procedure_medians(rb: Runbook, history: History) -> dict[str, str]:
    """For the procedure pages: `median 3.2 min over 8 successful runs (meets < 10 min)`."""
    out = {}
    for pid, procedure in rb.procedures.items():
        figure = duration(rb, history, pid)
        if figure.value is None:
            continue
        text = figure.text(Measure.duration)
        if procedure.target_minutes:
            met = figure.value < procedure.target_minutes * 60
            text += f" ({'meets' if met else 'misses'} < {procedure.target_minutes:g} min)"
        out[pid] = text
    return out
