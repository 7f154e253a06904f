"""What one scenario has done so far, and how a procedure's script is called.

Shared by the step vocabulary (given, when, then) and by a team's own step definitions,
which receive it as the ``world`` fixture.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from runbook.loader import LoadedRunbook
from runbook.scenarios.checkout import Checkout
from runbook.scenarios.control import TargetControl
from runbook.scenarios.probe import FaultWindow
from runbook.scenarios.releases import Artifacts
from runbook.scenarios.scripts import Runner, ScriptRun, Started
from runbook.target.container import Target


@dataclass
class World:
    """The state of one scenario: the target, the checkout, the runs and what they saw."""

    loaded: LoadedRunbook
    target: Target
    control: TargetControl
    repo: Checkout
    runner: Runner
    artifacts: Artifacts
    properties: list[tuple[str, object]]
    env_id: str = ""
    runs: list[ScriptRun] = field(default_factory=list)
    script_runs: list[dict[str, Any]] = field(default_factory=list)
    background: Started | None = None
    background_probe: Any = None
    snapshot: dict[str, str] = field(default_factory=dict)
    backups_before: list[str] = field(default_factory=list)
    unhealthy: set[str] = field(default_factory=set)
    fault_window: FaultWindow = field(default_factory=FaultWindow)
    fault_threads: list[Any] = field(default_factory=list)
    fault_notes: list[str] = field(default_factory=list)
    stopped_dependencies: list[str] = field(default_factory=list)
    full_disk: str = ""

    @property
    def releases(self) -> Any:
        assert self.loaded.runbook.target is not None
        return self.loaded.runbook.target.releases

    @property
    def known_versions(self) -> frozenset[str]:
        return frozenset(v.tag for v in self.releases.versions) | frozenset(self.unhealthy)

    @property
    def last(self) -> ScriptRun:
        assert self.runs, "no script ran in this scenario"
        return self.runs[-1]

    def keep(self, run: ScriptRun) -> ScriptRun:
        self.runs.append(run)
        self.script_runs.append(run.record())
        if ("procedure", run.procedure) not in self.properties:
            self.properties.append(("procedure", run.procedure))
        print(run.record())
        return run

    def remember_state(self) -> None:
        """What a refused run must leave exactly as it was."""
        self.snapshot = self.control.snapshot(self.env_id or None)
        self.backups_before = self.control.listing("backups", self.env_id or None)

    def command(self, procedure: str, args: tuple[str, ...] | None = None) -> str:
        """The script of ``procedure`` with ``args``; None: what a CI run would pass."""
        proc = self.loaded.runbook.procedures[procedure]
        assert proc.script, f"procedure {procedure} has no script"
        if args is None:
            args = default_args(self.loaded, procedure, self.repo)
        return " ".join([proc.script, *args])


def default_args(loaded: LoadedRunbook, procedure: str, repo: Checkout) -> tuple[str, ...]:
    """`--yes`, the version where one is required, `--no-db-restore` where one is chosen."""
    rb = loaded.runbook
    proc = rb.procedures[procedure]
    args: list[str] = []
    if proc.version_required:
        args.append(repo.git("describe", "--tags", "--exact-match", "HEAD"))
    args.append("--yes")
    if rb.chooses_backup(procedure):
        args.append("--no-db-restore")
    return tuple(args)


def wait_for(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
