"""Cross-reference checks: every id a runbook mentions must exist, and fit together.

These run after pydantic has checked each value on its own; they see the whole runbook.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection

from runbook.errors import Problem
from runbook.model import ProcedureKind, Runbook
from runbook.suggest import did_you_mean
from runbook.yamlsrc import DocPath, SourceMap, format_path


class _Checker:
    def __init__(self, runbook: Runbook, smap: SourceMap) -> None:
        self.rb = runbook
        self.smap = smap
        self.problems: list[Problem] = []

    def add(self, path: DocPath, message: str, hint: str = "") -> None:
        self.problems.append(Problem(message, self.smap.locate(path), format_path(path), hint))

    def ref(self, path: DocPath, what: str, value: str, known: Collection[str]) -> None:
        """``known`` is a mapping or set: a reference that resolves costs one lookup (copying
        the step library for each of 10,000 references made loading quadratic)."""
        if value not in known:
            self.add(path, f"unknown {what} '{value}'", did_you_mean(value, list(known)))

    def run(self) -> list[Problem]:
        self._procedures()
        self._checklists()
        self._operations()
        self._target()
        self._fleets()
        return self.problems

    def _fleets(self) -> None:
        """Scripts reach one host and playbooks a fleet; drain steps and groups must exist."""
        rb = self.rb
        for env_id, fleet in rb.environments.items():
            if fleet.rolling is None:
                continue
            for key in ("drain", "undrain"):
                for i, step_id in enumerate(getattr(fleet.rolling, key)):
                    path = ("environments", env_id, "rolling", key, i)
                    self.ref(path, "step", step_id, rb.steps)
        playbooks = Counter(p.playbook for p in rb.procedures.values() if p.playbook)
        for pid, proc in rb.procedures.items():
            env = rb.environments.get(proc.environment)
            if env is None:
                continue
            base: DocPath = ("procedures", pid)
            if env.is_fleet and proc.script:
                self.add(
                    (*base, "script"),
                    f"environment '{proc.environment}' is a fleet: it is deployed by a "
                    "`playbook`, not a bash `script`",
                )
            if not env.is_fleet and proc.playbook:
                self.add(
                    (*base, "playbook"),
                    f"environment '{proc.environment}' is one host: it is deployed by a "
                    "`script`, not a `playbook`",
                )
            if proc.playbook and playbooks[proc.playbook] > 1:
                self.add((*base, "playbook"), f"playbook '{proc.playbook}' is used twice")
            if env.groups is None:
                continue
            pnr = rb.steps.get(proc.point_of_no_return or "")
            if pnr is not None and (pnr.runs_on.value != "remote" or pnr.once_on is not None):
                self.add(
                    (*base, "point_of_no_return"),
                    "in a fleet the point of no return must be a step that runs on each host "
                    "of the batch (remote, without `once_on`): that is where a host changes",
                )
            for step_id in [*proc.step_ids, *proc.rollback_steps]:
                step = rb.steps.get(step_id)
                if step is not None and step.once_on and step.once_on not in env.groups:
                    self.add(
                        ("steps", step_id, "once_on"),
                        f"group '{step.once_on}' is not a group of environment "
                        f"'{proc.environment}', which procedure '{pid}' deploys",
                        did_you_mean(step.once_on, list(env.groups)),
                    )

    def _target(self) -> None:
        """Release tags the environments would refuse, and a target with nothing to build."""
        import re

        target = self.rb.target
        if target is None:
            return
        for i, release in enumerate(target.releases.versions):
            for env_id, env in self.rb.environments.items():
                if env.require_tag and not re.search(env.tag_pattern, release.tag):
                    self.add(
                        ("target", "releases", "versions", i, "tag"),
                        f"tag '{release.tag}' does not match the tag_pattern of {env_id} "
                        f"({env.tag_pattern}): its deploy would refuse it",
                    )
        self._fleet_target()
        artifact = ("$ARTIFACT", "${ARTIFACT}")
        if not any(
            step.expect.file is not None and step.expect.file.path.strip() in artifact
            for step in self.rb.steps.values()
        ):
            self.add(
                ("target",),
                "no step produces $ARTIFACT, so the harness cannot build the releases",
                "give the build step `expect: {file: {path: $ARTIFACT}}`",
            )

    def _fleet_target(self) -> None:
        """The fleet target plays a fleet environment, group for group."""
        assert self.rb.target is not None
        fleet = self.rb.target.fleet
        if fleet is None:
            return
        base: DocPath = ("target", "fleet")
        env = self.rb.environments.get(fleet.environment)
        if env is None or env.groups is None:
            fleets = [e for e, env in self.rb.environments.items() if env.is_fleet]
            self.add(
                (*base, "environment"),
                f"'{fleet.environment}' is not a fleet environment",
                did_you_mean(fleet.environment, fleets),
            )
            return
        for group in fleet.groups:
            self.ref((*base, "groups", group), "group", group, env.groups)
        for group in env.groups:
            if group not in fleet.groups:
                self.add(
                    (*base, "groups"), f"group '{group}' of {fleet.environment} has no `start`"
                )
        self.ref((*base, "ingress"), "group", fleet.ingress, env.groups)

    def _procedures(self) -> None:
        rb = self.rb
        for pid, proc in rb.procedures.items():
            base: DocPath = ("procedures", pid)
            self.ref((*base, "environment"), "environment", proc.environment, rb.environments)
            for si, stage in enumerate(proc.stages):
                for i, step_id in enumerate(stage.steps):
                    self.ref((*base, "stages", si, "steps", i), "step", step_id, rb.steps)
            for i, step_id in enumerate(proc.rollback_steps):
                self.ref((*base, "rollback_steps", i), "step", step_id, rb.steps)
            pnr = proc.point_of_no_return
            if pnr is not None and pnr not in proc.step_ids:
                self.add(
                    (*base, "point_of_no_return"),
                    f"step '{pnr}' is not one of this procedure's steps",
                    did_you_mean(pnr, proc.step_ids),
                )
            if (
                proc.kind is ProcedureKind.deploy
                and proc.point_of_no_return
                and not proc.rollback_steps
            ):
                self.add((*base, "rollback_steps"), "a point of no return needs rollback steps")
            self._confirmations(pid)
            for key in ("checklist_before", "checklist_after"):
                value = getattr(proc, key)
                if value is not None:
                    self.ref((*base, key), "checklist", value, rb.checklists)
        scripts = Counter(p.script for p in rb.procedures.values() if p.script)
        for pid, proc in rb.procedures.items():
            if proc.script and scripts[proc.script] > 1:
                self.add(("procedures", pid, "script"), f"script '{proc.script}' is used twice")
        for i, target in enumerate(rb.performance):
            if target.procedure is not None:
                self.ref(
                    ("performance", i, "procedure"), "procedure", target.procedure, rb.procedures
                )

    def _confirmations(self, pid: str) -> None:
        proc = self.rb.procedures[pid]
        env = self.rb.environments.get(proc.environment)
        if env is None or proc.kind is not ProcedureKind.deploy:
            return
        asked = sum(
            1 for sid in proc.step_ids if sid in self.rb.steps and self.rb.steps[sid].confirm
        )
        if asked < env.confirmations:
            self.add(
                ("procedures", pid, "stages"),
                f"environment '{proc.environment}' asks for {env.confirmations} confirmation(s); "
                f"this procedure asks {asked}",
                "add steps with a 'confirm' question",
            )

    def _checklists(self) -> None:
        for cid, checklist in self.rb.checklists.items():
            if checklist.environment is not None:
                self.ref(
                    ("checklists", cid, "environment"),
                    "environment",
                    checklist.environment,
                    self.rb.environments,
                )

    def _operations(self) -> None:
        rb = self.rb
        levels = Counter(s.level for s in rb.severities)
        for i, sev in enumerate(rb.severities):
            if levels[sev.level] > 1:
                self.add(("severities", i, "level"), f"severity '{sev.level}' is defined twice")
        known_levels = [s.level for s in rb.severities]
        escalation_levels = [e.level for e in rb.escalation]
        for eid, emergency in rb.emergencies.items():
            self.ref(("emergencies", eid, "severity"), "severity", emergency.severity, known_levels)
            if emergency.escalate_to is not None and emergency.escalate_to not in escalation_levels:
                self.add(
                    ("emergencies", eid, "escalate_to"),
                    f"unknown escalation level {emergency.escalate_to}",
                )
        metrics = rb.monitoring.metrics if rb.monitoring else {}
        for mid, metric in metrics.items():
            if metric.emergency is not None:
                path = ("monitoring", "metrics", mid, "emergency")
                self.ref(path, "emergency", metric.emergency, rb.emergencies)
        for i, level in enumerate(rb.escalation):
            for j, severity in enumerate(level.severities):
                self.ref(("escalation", i, "severities", j), "severity", severity, known_levels)
        seen: set[int] = set()
        for i, level in enumerate(rb.escalation):
            if level.level in seen:
                self.add(
                    ("escalation", i, "level"), f"escalation level {level.level} is defined twice"
                )
            seen.add(level.level)
            self.ref(("escalation", i, "contact"), "contact", level.contact, rb.contacts)
        timings = [lv.after_minutes for lv in sorted(rb.escalation, key=lambda lv: lv.level)]
        if timings != sorted(timings):
            self.add(
                ("escalation",),
                "a higher escalation level cannot be called earlier than a lower one",
            )


def check_references(runbook: Runbook, smap: SourceMap) -> list[Problem]:
    """Every dangling or incoherent reference in the runbook, located."""
    return _Checker(runbook, smap).run()
