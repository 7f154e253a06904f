"""The example's fleet, proven on containers: `runbook verify -m fleet` on a copy of the project.

Five containers of the example's target image (three app hosts behind an nginx load balancer,
one PostgreSQL host) run the scenarios derived for the fleet's playbooks: a rolling deploy
with no failed request through the load balancer and the lock on every host at once; an
unhealthy release rolled back on the first batch with the later batches untouched; a host
lost mid-roll stopping the run with the report of each host's release; a lock held on one
host refusing the run; a rollback of the whole fleet. The probe counts and times are printed
for the record.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.container

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ["runbook.yaml", "example", "specs", "steps"]
TIMEOUT_S = 2400


def test_the_example_fleet_passes_its_scenarios(tmp_path: Path) -> None:
    if not (Path(sys.executable).parent / "ansible-playbook").exists():
        pytest.fail("ansible-core is not installed: pip install -e '.[test]'")
    project = tmp_path / "project"
    project.mkdir()
    for part in PROJECT:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, project / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, project / part)
    runbook = Path(sys.executable).parent / "runbook"
    started = time.monotonic()
    done = subprocess.run(
        [str(runbook), "verify", "runbook.yaml", "-m", "fleet", "-v"],
        cwd=project,
        env={**os.environ, "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
        timeout=TIMEOUT_S,
    )
    output = done.stdout + done.stderr
    print(f"\n== the fleet suite took {time.monotonic() - started:.0f} s")
    print(output[output.find("staging target measurements") - 40 :][-4000:])
    assert done.returncode == 0, output[-8000:]
    record = json.loads((project / "verification.json").read_text(encoding="utf-8"))
    for pid in ("deploy-fleet", "rollback-fleet"):
        result = record["procedures"][pid]
        assert result["outcome"] == "passed", (pid, result)
    assert len(record["procedures"]["deploy-fleet"]["scenarios"]) == 4
    assert len(record["procedures"]["rollback-fleet"]["scenarios"]) == 1
