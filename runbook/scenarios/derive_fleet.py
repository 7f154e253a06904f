"""Scenarios derived for a fleet's playbooks, when the runbook's target declares the fleet.

For each procedure with a ``playbook`` on the fleet environment: a deploy rolls the newest
release over the fleet under the probe, with one lock for the whole fleet; an unhealthy
release fails on the first batch, is rolled back there and the later batches are never
touched; a host lost mid-roll stops the run as ``max_fail_percentage`` says, with the report
naming what each host serves; a lock held on one host refuses the run. A rollback takes the
whole fleet back. The feature files are tagged ``@fleet`` (``runbook verify -m fleet``).
"""

from __future__ import annotations

from runbook.loader import LoadedRunbook
from runbook.model import Procedure, ProcedureKind

TAG = "@fleet"


def fleet_features(loaded: LoadedRunbook, header: str) -> dict[str, str]:
    """Feature file name -> Gherkin, for each playbook of the fleet the target plays."""
    from runbook.fleet.placement import batches
    from runbook.scenarios.derive import _feature, _scenario

    rb = loaded.runbook
    if rb.target is None or rb.target.fleet is None:
        return {}
    env_id = rb.target.fleet.environment
    env = rb.environments[env_id]
    several = len(batches(env)) >= 2
    assert env.rolling is not None
    kept = env.rolling.earlier_batches.value == "keep"
    out: dict[str, str] = {}
    for pid, proc in rb.procedures.items():
        if not proc.playbook or proc.environment != env_id:
            continue
        if proc.kind is ProcedureKind.deploy:
            scenarios = _deploy(pid, proc, several, kept)
        else:
            scenarios = _rollback(pid)
        text = _feature(f"{proc.title} with playbooks/{proc.playbook}", proc.description, [
            _scenario(title, steps) for title, steps in scenarios
        ])  # fmt: skip
        out[f"fleet-{pid}.feature"] = header + f"{TAG}\n" + text
    return out


def _deploy(pid: str, proc: Procedure, several: bool, kept: bool) -> list[tuple[str, list[str]]]:
    start = f"Given the fleet of {pid} serves the baseline release"
    runs = f"When the release engineer runs the playbook of {pid} while the probe watches the load balancer"
    out = [
        (
            f"{pid} rolls the newest release over the fleet with no failed request",
            [
                start,
                runs,
                "Then ansible-playbook exits with code 0",
                "And every host of the rolling group serves the newest release",
                "And the deploy lock was held on every host of the fleet at once while it ran",
                "And the deploy lock is released on every host of the fleet",
                "And the report names the release each host of the rolling group serves",
                "And the probe through the load balancer saw no failed request",
            ],
        )
    ]
    if proc.rollback_steps:
        out.append(
            (
                f"{pid} rolls the first batch back when its release fails the health check",
                [
                    start,
                    "And the fleet's checkout has a release that fails its health check",
                    runs,
                    "Then ansible-playbook exits with code 2",
                    "And the first batch serves the baseline release again",
                    "And the hosts after the first batch were never touched",
                    "And the report names the release each host of the rolling group serves",
                    "And the deploy lock is released on every host of the fleet",
                    "And the probe through the load balancer saw no failed request",
                ],
            )
        )
    if several:
        out.append(
            (
                f"{pid} stops as max_fail_percentage says when a host is lost mid-roll",
                [
                    start,
                    runs + " and the first host of the second batch becomes unreachable once "
                    "the first batch serves the new release",
                    "Then ansible-playbook exits with code 2",
                    # earlier_batches: keep leaves it on the new release; rollback takes it back.
                    "And the first batch serves the "
                    + ("newest release" if kept else "baseline release again"),
                    "And the hosts after the unreachable host were never touched",
                    "And the report names the release each host of the rolling group serves",
                    "And the deploy lock is released on every reachable host of the fleet",
                    "And the probe through the load balancer saw no failed request",
                ],
            )
        )
    out.append(
        (
            f"{pid} is refused while another run holds the deploy lock on one host",
            [
                start,
                "And another run holds the deploy lock on the last host of the rolling group",
                f"When the release engineer runs the playbook of {pid}",
                "Then ansible-playbook exits with code 2",
                "And the output says the deploy lock is held on that host",
                "And nothing changed on the fleet",
            ],
        )
    )
    return out


def _rollback(pid: str) -> list[tuple[str, list[str]]]:
    return [
        (
            f"{pid} takes the whole fleet back to the baseline release with no failed request",
            [
                f"Given the fleet of {pid} serves the baseline release",
                "And the newest release was deployed to the fleet after it",
                f"When the release engineer runs the playbook of {pid} to the baseline release "
                "while the probe watches the load balancer",
                "Then ansible-playbook exits with code 0",
                "And every host of the rolling group serves the baseline release",
                "And the deploy lock is released on every host of the fleet",
                "And the probe through the load balancer saw no failed request",
            ],
        )
    ]
