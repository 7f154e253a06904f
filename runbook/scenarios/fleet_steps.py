"""Scenario steps of a fleet: its hosts' releases, its playbooks' runs, its batches, its lock.

The phrases name roles ("the baseline release", "the first batch", "the rolling group"),
never a project's hosts or versions: the runbook's environment and `target.releases` say
which those are.
"""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from runbook.model import ProcedureKind
from runbook.scenarios.fleet import FleetWorld
from runbook.scenarios.given import PROCEDURE
from runbook.scenarios.plans import next_version
from runbook.scenarios.probe import Probe
from runbook.scenarios.world import wait_for

PROBE = r"(?P<probe> while the probe watches the load balancer)?"
#: A rolling deploy of several batches outlasts the single host's probe bound.
PROBE_SECONDS = 900.0
# The fleet's probe opens a connection per request. The load balancer's graceful reload (its
# drain and undrain) closes idle keep-alive connections, and a client that reused one at that
# instant sees it closed before any answer, which HTTP clients retry for a GET (RFC 9112,
# 9.3.1); with a fresh connection each, every failure the probe counts is one a user sees.


@given(parsers.re(f"the fleet of {PROCEDURE} serves the baseline release"))
def fleet_serves_baseline(fleet_world: FleetWorld, procedure: str) -> None:
    """Every host reset; the baseline release installed and serving on each host of the
    rolling group; the checkout on the branch of the procedure's environment."""
    world = fleet_world
    world.procedure = procedure
    world.control.reset()
    baseline = world.releases.baseline
    world.control.install(baseline, world.artifacts.get(baseline))
    rb = world.loaded.runbook
    world.repo.checkout(rb.environments[rb.procedures[procedure].environment].branch or "main")
    world.remember()


@given("the newest release was deployed to the fleet after it")
def fleet_newest(fleet_world: FleetWorld) -> None:
    """The newest release installed over the baseline on each host of the rolling group."""
    newest = fleet_world.releases.newest
    fleet_world.control.install(newest, fleet_world.artifacts.get(newest))
    fleet_world.remember()


@given("the fleet's checkout has a release that fails its health check")
def fleet_unhealthy(fleet_world: FleetWorld) -> None:
    """One more commit with the runbook's `target.releases.unhealthy` change, tagged as the
    next version."""
    world = fleet_world
    world.repo.apply(world.releases.unhealthy)
    world.repo.commit_all("A release whose health check fails")
    world.repo.git("tag", "-a", next_version(world.releases.newest), "-m", "unhealthy")
    world.unhealthy.add(world.repo.describe())


@given("another run holds the deploy lock on the last host of the rolling group")
def other_holds_lock(fleet_world: FleetWorld) -> None:
    """A fresh lock as a script or another operator holds it, on one host only."""
    world = fleet_world
    host = world.control.app_hosts[-1]
    world.control.hold_lock(host, "host=elsewhere\nuser=someone\nprocedure=another-run\ntoken=x")
    world.held_by_other = host
    world.remember()


def _version(world: FleetWorld, procedure: str, to: str | None) -> str:
    if to == "baseline":
        return str(world.releases.baseline)
    if world.loaded.runbook.procedures[procedure].kind is ProcedureKind.rollback:
        return str(world.releases.baseline)
    return str(world.repo.git("describe", "--tags", "--exact-match", "HEAD"))


def _run(world: FleetWorld, procedure: str, probe: str | None, to: str | None, during=None) -> None:  # type: ignore[no-untyped-def]
    world.procedure = procedure
    extra = {"version": _version(world, procedure, to), "confirmed": True}
    watcher = Probe(
        world.fleet.health_url,
        frozenset(world.unhealthy),
        world.known_versions,
        max_seconds=PROBE_SECONDS,
        keepalive=False,
        max_requests=1_000_000,
    ) if probe else None  # fmt: skip
    control = world.control
    hosts = [h.name for h in world.fleet.hosts]

    def locks() -> int:
        return sum(1 for h in hosts if h != world.unreachable and control.locked(h))

    world.keep(world.runner.run(procedure, extra, watcher, locks, during))


@when(
    parsers.re(
        f"the release engineer runs the playbook of {PROCEDURE}"
        r"(?P<to> to the baseline release)?" + PROBE
    )
)
def runs_playbook(
    fleet_world: FleetWorld, procedure: str, to: str | None, probe: str | None
) -> None:
    """`ansible-playbook -i <inventory> <playbook> -e version=... -e confirmed=true` from the
    checkout; the version is the checkout's tag for a deploy, the baseline for a rollback."""
    _run(fleet_world, procedure, probe, "baseline" if to else None)


@when(
    parsers.re(
        f"the release engineer runs the playbook of {PROCEDURE}{PROBE} and the first host of "
        "the second batch becomes unreachable once the first batch serves the new release"
    )
)
def runs_losing_host(fleet_world: FleetWorld, procedure: str, probe: str | None) -> None:
    """As above; sshd on the second batch's first host is stopped (its service keeps
    serving) as soon as every host of the first batch has switched."""
    world = fleet_world
    batches = world.batches()
    assert len(batches) >= 2, "the rolling group has a single batch"
    first, lost = batches[0], batches[1][0]
    version = _version(world, procedure, None)
    world.unreachable = lost

    def lose_host() -> None:
        wait_for(
            lambda: all(world.control.serving(h) == version for h in first),
            300,
            "the first batch to switch",
        )
        world.control.unreachable(lost)

    _run(world, procedure, probe, None, lose_host)


@then(parsers.parse("ansible-playbook exits with code {code:d}"))
def playbook_exits(fleet_world: FleetWorld, code: int) -> None:
    """The last run's exit code (Ansible's: 0 done, 2 a host failed)."""
    run = fleet_world.last
    assert run.exit_code == code, f"exit {run.exit_code}, expected {code}:\n{run.output[-5000:]}"


def _serves(world: FleetWorld, hosts: list[str], version: str) -> None:
    for host in hosts:
        assert world.control.serving(host) == version, f"{host}: {world.control.serving(host)}"
        world.control.wait_serving(host, version, timeout=10)


@then(parsers.re("every host of the rolling group serves the (?P<which>newest|baseline) release"))
def all_serve(fleet_world: FleetWorld, which: str) -> None:
    """`current` names the release on each host, which answers healthy with it."""
    version = getattr(fleet_world.releases, which)
    _serves(fleet_world, fleet_world.control.app_hosts, version)
    assert fleet_world.control.ingress_serves(version)


@then(parsers.re("the first batch serves the (?P<which>newest|baseline) release(?: again)?"))
def first_batch_serves(fleet_world: FleetWorld, which: str) -> None:
    """Each host of the first batch."""
    _serves(fleet_world, fleet_world.batches()[0], getattr(fleet_world.releases, which))


@then(parsers.re("the hosts after (?:the first batch|the unreachable host) were never touched"))
def later_untouched(fleet_world: FleetWorld) -> None:
    """The hosts of the later batches (after the lost host, in that scenario): the same
    `current`, releases and revisions.log as before the run."""
    world = fleet_world
    hosts = [h for batch in world.batches()[1:] for h in batch]
    if world.unreachable:
        hosts = hosts[hosts.index(world.unreachable) + 1 :]
    assert hosts, "no later host"
    now = world.control.snapshot()
    for host in hosts:
        assert now[host] == world.snapshot[host], f"{host} changed:\n{now[host]}"


@then("the report names the release each host of the rolling group serves")
def report_names(fleet_world: FleetWorld) -> None:
    """The playbook's last report: one line per host, the unreachable one as unknown."""
    world = fleet_world
    reported = world.last.reported()
    for host in world.control.app_hosts:
        assert host in reported, f"{host} not in the report {reported}"
        if host == world.unreachable:
            assert reported[host].startswith("UNKNOWN"), reported
        else:
            assert reported[host] == world.control.serving(host), reported


@then(
    parsers.re("the deploy lock is released on every (?P<reachable>reachable )?host of the fleet")
)
def fleet_unlocked(fleet_world: FleetWorld, reachable: str | None) -> None:
    """No lock left, on any host (on a host cut off from SSH, the lock waits for a human)."""
    world = fleet_world
    for host in world.fleet.hosts:
        if reachable and host.name == world.unreachable:
            continue
        assert not world.control.locked(host.name), f"{host.name} still locked"


@then("the deploy lock was held on every host of the fleet at once while it ran")
def fleet_locked_at_once(fleet_world: FleetWorld) -> None:
    """Sampled during the run: one lock for the whole fleet, not one host at a time."""
    run = fleet_world.last
    assert run.most_locked == len(fleet_world.fleet.hosts), run.most_locked


@then("the probe through the load balancer saw no failed request")
def fleet_probe_clean(fleet_world: FleetWorld) -> None:
    """Every request through the load balancer answered 200, even those of a batch with an
    unhealthy release (it is drained before it changes)."""
    for run in fleet_world.runs:
        if run.probe is not None:
            assert run.probe.requests > 0, "the probe made no request"
            assert not run.probe.bound, f"the probe stopped early: {run.probe.summary()}"
            assert run.probe.failures == 0, f"{run.probe.summary()}: {run.probe.first_failures}"
            assert run.probe.expected_unhealthy == 0, run.probe.summary()


@then("the output says the deploy lock is held on that host")
def fleet_says_held(fleet_world: FleetWorld) -> None:
    """The refusal names the held lock and the host."""
    output = fleet_world.last.output
    assert "deploy lock is held" in output, output[-3000:]
    assert fleet_world.held_by_other in output, output[-3000:]


@then("nothing changed on the fleet")
def fleet_unchanged(fleet_world: FleetWorld) -> None:
    """Every host: `current`, releases, backups, revisions.log and the lock as before."""
    assert fleet_world.control.snapshot() == fleet_world.snapshot
