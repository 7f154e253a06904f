"""Release artifacts for the harness, built by the runbook's own build step.

The harness installs baseline releases without going through the procedures under test,
but it builds them the way the procedures do: the step that produces `$ARTIFACT` runs in
a copy of the checkout at the release's tag, exactly as its page shows it. So a Go binary,
a Node bundle or a plain tarball is built by the team's own command, not by ours.
"""

from __future__ import annotations

from pathlib import Path

from runbook.loader import LoadedRunbook
from runbook.model import ProcedureKind
from runbook.scenarios.checkout import Checkout
from runbook.scenarios.runner import StepContext, run_step
from scripts_gen import runtime_variables

ARTIFACT_PATHS = ("$ARTIFACT", "${ARTIFACT}")


class NoBuildStep(AssertionError):
    """No deploy procedure has a step that produces `$ARTIFACT`."""


def build_step(loaded: LoadedRunbook) -> tuple[str, str]:
    """(procedure, step) of the first local step of a deploy that leaves `$ARTIFACT` behind."""
    rb = loaded.runbook
    for pid, proc in rb.procedures.items():
        if proc.kind is not ProcedureKind.deploy:
            continue
        for step_id, step in rb.procedure_steps(pid):
            file = step.expect.file
            if file is not None and file.path.strip() in ARTIFACT_PATHS and step.command:
                return pid, step_id
    raise NoBuildStep(
        "no deploy step produces the artifact: give the build step "
        "`expect: {file: {path: $ARTIFACT}}` so the harness can build releases with it"
    )


class Artifacts:
    """Each release built once per session, by the runbook's build step, at its tag."""

    def __init__(self, loaded: LoadedRunbook, template: Checkout, workdir: Path) -> None:
        self.loaded = loaded
        self.template = template
        self.workdir = workdir
        self.built: dict[str, bytes] = {}

    def get(self, version: str) -> bytes:
        if version not in self.built:
            self.built[version] = self._build(version)
        return self.built[version]

    def _build(self, version: str) -> bytes:
        procedure, step_id = build_step(self.loaded)
        repo = self.template.copy(self.workdir / f"build-{version}")
        repo.checkout(version)
        variables = runtime_variables(self.loaded, procedure, version, version, "19700101-000000")
        ctx = StepContext(self.loaded, procedure, variables, repo.path, None, "")
        result = run_step(ctx, step_id)
        if result.outcome != "passed":
            raise AssertionError(
                f"building {version} with step {step_id} failed: {'; '.join(result.problems)}\n"
                f"{result.output[-1500:]}"
            )
        return (repo.path / variables["ARTIFACT"]).read_bytes()
