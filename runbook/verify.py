"""`runbook verify`: run the container scenarios and write ``verification.json``.

The scenarios derived from the runbook (``runbook.scenarios.derive``) and the project's own
(``specs/*.feature``, with its step definitions in ``steps/``) run with pytest and the
``runbook.scenarios`` plugin against the team's own staging target, from any directory and
from an installed package. Each scenario records which procedure it proved, its steps'
results and its measurements; this module turns those records into the
``runbook.verification`` record that the site shows on each procedure page.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from runbook.arguments import file_argument

if TYPE_CHECKING:  # pydantic stays out of `runbook --help`
    from runbook.loader import LoadedRunbook
    from runbook.verification import Outcome, ProcedureResult, Verification

OUTPUT_NAME = "verification.json"


def _combine(outcomes: Sequence[str]) -> Outcome:
    if any(o == "failed" for o in outcomes):
        return "failed"
    return "passed" if any(o == "passed" for o in outcomes) else "skipped"


def procedure_result(records: list[dict[str, Any]], date: datetime) -> ProcedureResult:
    """One procedure's result from the records of the scenarios that exercised it."""
    from runbook.verification import ProcedureResult, StepResult

    steps: dict[str, StepResult] = {}
    scenarios: dict[str, Outcome] = {}
    for record in records:
        name = str(record.get("scenario") or record["nodeid"].rsplit("::", 1)[-1])
        scenarios[name] = record["outcome"] if record["outcome"] != "error" else "failed"
        for step_id, result in (record.get("steps") or {}).items():
            steps[step_id] = StepResult(outcome=result["outcome"], duration_s=result["duration_s"])
    return ProcedureResult(
        outcome=_combine(list(scenarios.values())),
        date=date,
        duration_s=round(sum(float(r.get("duration_s", 0)) for r in records), 3),
        steps=steps,
        scenarios=scenarios,
    )


def build_record(
    digest: str,
    procedures: Sequence[str],
    records: list[dict[str, Any]],
    started: datetime,
    finished: datetime,
    exit_code: int,
) -> Verification:
    """The verification record of one run; every procedure appears, skipped when unproved."""
    from runbook.verification import Verification

    results = {
        pid: procedure_result([r for r in records if r.get("procedure") == pid], finished)
        for pid in procedures
    }
    outcomes = [r["outcome"] for r in records]
    overall = _combine(outcomes)
    if exit_code != 0 and overall != "failed":
        overall = "failed"  # collection errors and the like leave no scenario record
    return Verification(
        runbook_digest=digest,
        started=started,
        finished=finished,
        outcome=overall,
        procedures=results,
    )


CONFTEST = '''"""Written by `runbook verify`: loads the project's own step definitions."""
import importlib.util
import sys
from pathlib import Path

STEPS = Path({steps!r})


def pytest_configure(config):
    if not STEPS.is_dir():
        return
    for path in sorted(STEPS.glob("*.py")):
        if path.name.startswith("test_") or path.name == "conftest.py":
            continue
        name = "runbook_project_steps_" + path.stem
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        config.pluginmanager.register(module, name)
'''
TEST_MODULE = '''"""Written by `runbook verify`: binds the derived and the project's own scenarios."""
import pytest
from pytest_bdd import scenarios

pytestmark = pytest.mark.container
scenarios({derived!r})
{own}'''
INI = """[pytest]
markers =
    container: needs Docker and the team's staging target
    fleet: needs Docker, Ansible and the fleet target
"""


def prepare(loaded: LoadedRunbook, workdir: Path) -> Path:
    """Write the derived features, the binding test module and the conftest into ``workdir``.

    The project's own scenarios are its ``specs/**/*.feature``; its own step definitions are
    the modules of ``steps/`` (not ``test_*.py``), loaded as plugins next to the vocabulary.
    """
    from runbook.scenarios.derive import features

    project = loaded.path.resolve().parent
    derived = workdir / "derived"
    derived.mkdir(parents=True)
    for name, text in features(loaded).items():
        (derived / name).write_text(text, encoding="utf-8")
    specs = project / "specs"
    own = f"scenarios({str(specs)!r})\n" if any(specs.rglob("*.feature")) else ""
    module = workdir / "test_runbook_verify.py"
    module.write_text(TEST_MODULE.format(derived=str(derived), own=own), encoding="utf-8")
    (workdir / "conftest.py").write_text(
        CONFTEST.format(steps=str(project / "steps")), encoding="utf-8"
    )
    (workdir / "pytest.ini").write_text(INI, encoding="utf-8")
    return workdir


LOGS_DIR = ".runbook/verify-logs"


def logs_dir(loaded: LoadedRunbook) -> Path:
    """Where this run keeps the scripts' logs: a folder per run under ``LOGS_DIR``.

    They are the staging target's runs, not the team's deployments, so `runbook history`
    reads them only when asked (``--from .runbook/verify-logs``).
    """
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    root = loaded.path.resolve().parent / LOGS_DIR
    root.mkdir(parents=True, exist_ok=True)
    ignore = root.parent / ".gitignore"  # as the scripts keep their own logs out of git
    if not ignore.exists():
        ignore.write_text("*\n", encoding="utf-8")
    return root / f"{stamp}-{os.getpid()}"


def run_scenarios(
    loaded: LoadedRunbook, extra: Sequence[str] = ()
) -> tuple[int, list[dict[str, Any]]]:
    """pytest on the derived and the project's scenarios; returns its exit code and records."""
    with tempfile.TemporaryDirectory(prefix="runbook-verify-") as tmp:
        workdir = prepare(loaded, Path(tmp) / "suite")
        results = Path(tmp) / "results.json"
        env = {
            **os.environ,
            "RUNBOOK_VERIFY_FILE": str(loaded.path.resolve()),
            "RUNBOOK_VERIFY_RESULTS": str(results),
            "RUNBOOK_VERIFY_LOGS": str(logs_dir(loaded)),
        }
        argv = [
            sys.executable,
            "-m",
            "pytest",
            str(workdir),
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(workdir),
            "-c",
            str(workdir / "pytest.ini"),
            *extra,
        ]
        cwd = loaded.path.resolve().parent
        code = subprocess.run(argv, cwd=cwd, env=env, check=False).returncode
        records = json.loads(results.read_text(encoding="utf-8")) if results.is_file() else []
    return code, records


def verify(runbook_path: Path, extra: Sequence[str] = ()) -> tuple[Verification, Path]:
    """Run the suite against the team's target and write the record next to the runbook."""
    from runbook.console import say, warn
    from runbook.loader import load
    from runbook.target import daemon, image

    loaded = load(runbook_path)
    spec = image.definition(loaded)  # no target, or a missing Dockerfile: one line, exit 2
    client = daemon.client()  # Docker missing or not startable: one line before pytest starts
    say(f"building the target image of {loaded.display} (cached when unchanged)")
    built = image.ensure_image(client, spec)  # a failed build: one line, exit 2
    for note in built.notes:
        warn(note)
    started = datetime.now(UTC)
    code, records = run_scenarios(loaded, extra)
    record = build_record(
        loaded.digest, list(loaded.runbook.procedures), records, started, datetime.now(UTC), code
    )
    path = runbook_path.resolve().parent / OUTPUT_NAME
    from runbook.verification import write

    write(record, path)
    return record, path


@click.command(name="verify", context_settings={"ignore_unknown_options": True})
@file_argument
@click.argument("pytest_args", nargs=-1, type=click.UNPROCESSED)
def verify_command(file: Path, pytest_args: tuple[str, ...]) -> None:
    """Run the scenarios of specs/ against the staging target; write verification.json.

    Extra arguments go to pytest (e.g. `-k rollback`). Exit 0 when every scenario passed,
    1 when one failed, 2 when the runbook or Docker cannot be used.
    """
    from runbook.console import ok, say

    record, path = verify(file, pytest_args)
    for pid, result in record.procedures.items():
        say(
            f"{result.outcome:<8} {pid}  ({len(result.scenarios)} scenarios, "
            f"{result.duration_s:.0f} s)",
            fg="green" if result.outcome == "passed" else None,
        )
    ok(f"wrote {path}") if record.outcome == "passed" else say(f"wrote {path}")
    say(f"the scripts' logs are in {LOGS_DIR}/: `runbook history --from {LOGS_DIR}` reads them")
    if record.outcome != "passed":
        raise SystemExit(1)
