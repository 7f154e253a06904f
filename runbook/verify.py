"""`runbook verify`: run the container scenarios and write ``verification.json``.

The scenarios in ``specs/`` (steps in ``steps/``) run with pytest against the staging
target; each records which procedure it proved, its steps' results and its measurements
(see the root ``conftest.py``). This module turns those records into the
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

if TYPE_CHECKING:  # pydantic stays out of `runbook --help`
    from runbook.verification import Outcome, ProcedureResult, Verification

ROOT = Path(__file__).resolve().parent.parent
STEPS_DIR = ROOT / "steps"
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


def run_scenarios(
    runbook_path: Path, extra: Sequence[str] = ()
) -> tuple[int, list[dict[str, Any]]]:
    """pytest on steps/ with the container marker; returns its exit code and the records."""
    with tempfile.TemporaryDirectory(prefix="runbook-verify-") as tmp:
        results = Path(tmp) / "results.json"
        env = {
            **os.environ,
            "RUNBOOK_VERIFY_FILE": str(runbook_path.resolve()),
            "RUNBOOK_VERIFY_RESULTS": str(results),
        }
        argv = [
            sys.executable,
            "-m",
            "pytest",
            str(STEPS_DIR),
            "-m",
            "container",
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(ROOT),
            *extra,
        ]
        code = subprocess.run(argv, cwd=ROOT, env=env, check=False).returncode
        records = json.loads(results.read_text(encoding="utf-8")) if results.is_file() else []
    return code, records


def verify(runbook_path: Path, extra: Sequence[str] = ()) -> tuple[Verification, Path]:
    """Run the suite against the target and write the record next to the runbook."""
    from runbook.errors import RunbookError
    from runbook.loader import load
    from runbook.target import daemon
    from runbook.verification import write

    loaded = load(runbook_path)
    if not (STEPS_DIR / "conftest.py").is_file():
        raise RunbookError(f"the scenarios are not here ({STEPS_DIR}): run from a source checkout")
    daemon.client()  # Docker missing or not startable: one clear line before pytest starts
    started = datetime.now(UTC)
    code, records = run_scenarios(runbook_path, extra)
    record = build_record(
        loaded.digest, list(loaded.runbook.procedures), records, started, datetime.now(UTC), code
    )
    path = runbook_path.resolve().parent / OUTPUT_NAME
    write(record, path)
    return record, path


@click.command(name="verify", context_settings={"ignore_unknown_options": True})
@click.argument("file", default="runbook.yaml", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("pytest_args", nargs=-1, type=click.UNPROCESSED)
def verify_command(file: Path, pytest_args: tuple[str, ...]) -> None:
    """Run the scenarios of specs/ against the staging target; write verification.json.

    Extra arguments go to pytest (e.g. `-k rollback`). Exit 0 when every scenario passed,
    1 when one failed, 2 when the runbook or Docker cannot be used.
    """
    from runbook.console import ok, say
    from runbook.target.commands import handle_errors

    def run() -> None:
        record, path = verify(file, pytest_args)
        for pid, result in record.procedures.items():
            say(
                f"{result.outcome:<8} {pid}  ({len(result.scenarios)} scenarios, "
                f"{result.duration_s:.0f} s)",
                fg="green" if result.outcome == "passed" else None,
            )
        ok(f"wrote {path}") if record.outcome == "passed" else say(f"wrote {path}")
        if record.outcome != "passed":
            raise SystemExit(1)

    handle_errors(run)()
