"""The example's fleet, proven on containers: `runbook verify -m fleet` on a copy of the project.

Five containers of the example's target image (three app hosts behind an nginx load balancer,
one PostgreSQL host) run the scenarios derived for the fleet's playbooks: a rolling deploy
with no failed request through the load balancer and the lock on every host at once; an
unhealthy release rolled back on the first batch with the later batches untouched; a host
lost mid-roll stopping the run with the report of each host's release; a lock held on one
host refusing the run; a rollback of the whole fleet. It runs in the background from the start
of the session (tests/container_runs.py); the probe counts and times are printed for the
record.
"""

from __future__ import annotations

import pytest
from container_runs import Background

pytestmark = pytest.mark.container


def test_the_example_fleet_passes_its_scenarios(containers: Background) -> None:
    run = containers["fleet"]
    output = run.output
    print(f"\n== the fleet suite took {run.seconds:.0f} s")
    print(output[output.find("staging target measurements") - 40 :][-4000:])
    assert run.returncode == 0, output[-8000:]
    record = run.record()
    procedures = record["procedures"]
    assert isinstance(procedures, dict)
    for pid in ("deploy-fleet", "rollback-fleet"):
        result = procedures[pid]
        assert result["outcome"] == "passed", (pid, result)
    assert len(procedures["deploy-fleet"]["scenarios"]) == 4
    assert len(procedures["rollback-fleet"]["scenarios"]) == 1
