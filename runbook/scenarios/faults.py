"""Faults injected into a running script, and what the fault scenarios check afterwards.

A fault is set off by the script's own output: when the title of a step appears ("at the step
migrate") or its `ok:` line ("after the step switch-release"). The probe does not count the
failed requests inside the fault's window (from the fault to its end, plus a grace of
``probe.FAULT_GRACE_S`` for the service to notice its dependency is back); every other failed
request is a failure. Faults act on the target through the harness's back door (docker), and on the run
through its process group, never on any address but 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

from pytest_bdd import parsers, then, when

from runbook.scenarios.given import PROCEDURE
from runbook.scenarios.probe import Probe
from runbook.scenarios.scripts import TIMEOUT_S, ScriptRun, Started
from runbook.scenarios.world import World
from runbook.target.container import healthy

#: How long sshd stays down and the target stays paused.
SSHD_DOWN_S = 15
PAUSED_S = 10
#: Where the harness mounts a small tmpfs (see runbook.target.container), for a full disk.
FULL_DISK = "/var/lib/runbook-full"

FAULT = (
    r"(?P<fault>the run is killed|the SSH connection is cut|sshd stops for a while"
    r"|the target is paused for a while|the target restarts"
    r"|the dependency (?P<dependency>[a-z][a-z0-9_-]*) stops)"
)
WHERE = r"(?P<where>at|after) the step (?P<step>[a-z0-9-]+)"


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid``, read from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def cut_ssh(started: Started, wait_s: float = 10.0) -> int:
    """SIGKILL the run's ssh clients as soon as there is one, as a dropped link would end
    them; how many."""
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        killed = 0
        for pid in _descendants(started.process.pid):
            with contextlib.suppress(OSError):
                if Path(f"/proc/{pid}/comm").read_text().strip() == "ssh":
                    os.kill(pid, signal.SIGKILL)
                    killed += 1
        if killed:
            return killed
        time.sleep(0.02)
    return 0


def _injector(world: World, fault: str, dependency: str | None) -> Callable[[Started], None]:
    """What the fault does to the run or the target, once set off; it closes its window."""
    control, window = world.control, world.fault_window

    def later(seconds: float, action: Callable[[], object]) -> None:
        def run() -> None:
            time.sleep(seconds)
            try:
                action()
            finally:
                window.close()

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        world.fault_threads.append(thread)

    def act(started: Started) -> None:
        window.open()
        if fault == "the run is killed":
            started.kill()
            window.close()
        elif fault == "the SSH connection is cut":
            world.fault_notes.append(f"ssh clients cut: {cut_ssh(started)}")
            window.close()
        elif fault == "sshd stops for a while":
            control.as_root('kill "$(cat /run/sshd.pid)"')
            later(
                SSHD_DOWN_S, lambda: control.as_root("install -d -m 0755 /run/sshd; /usr/sbin/sshd")
            )
        elif fault == "the target is paused for a while":
            control.container.pause()
            later(PAUSED_S, control.container.unpause)
        elif fault == "the target restarts":
            later(0, lambda: _restart(world))
        else:
            assert dependency is not None and control.spec is not None
            control.as_root(control.spec.dependencies[dependency].stop)
            world.stopped_dependencies.append(dependency)

    return act


def _restart(world: World) -> None:
    """Restart the container (its host ports stay), then wait until it serves again."""
    world.control.container.restart(timeout=2)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and not healthy(world.target.health_url):
        time.sleep(0.5)


def run_with_fault(
    world: World, command: str, trigger: str, act: Callable[[Started], None], delay: float
) -> ScriptRun:
    """Run ``command`` under the probe; when ``trigger`` appears in its output, ``act``."""
    probe = Probe(
        world.target.health_url, known_versions=world.known_versions, window=world.fault_window
    )
    probe.start()
    started = world.runner.start(command)
    assert started.process.stdout is not None
    output, fired = [], False
    deadline = started.started + TIMEOUT_S
    for line in started.process.stdout:
        output.append(line)
        if not fired and trigger in line:
            fired = True
            time.sleep(delay)
            act(started)
        if time.monotonic() > deadline:
            started.kill()
            break
    code = started.process.wait()
    for thread in world.fault_threads:
        thread.join(timeout=120)
    report = probe.stop()
    assert fired, f"the fault's trigger {trigger!r} never appeared:\n{''.join(output)[-3000:]}"
    return ScriptRun(
        started.command,
        started.procedure,
        code,
        "".join(output),
        time.monotonic() - started.started,
        started.read_log(),
        report,
    )


@when(
    parsers.re(
        f"the release engineer runs {PROCEDURE} while the probe watches, and {FAULT} {WHERE}"
    )
)
def runs_with_fault(
    world: World, procedure: str, fault: str, dependency: str | None, where: str, step: str
) -> None:
    """The procedure's script as CI runs it, under the probe; the fault is set off by the
    step's title (`at`) or its `ok:` line (`after`); a cut link ends the step's ssh client
    as soon as it exists."""
    assert step in world.loaded.runbook.steps, f"no step {step} in the runbook"
    trigger = f"({step}, " if where == "at" else f"   ok: {step}\n"
    delay = 0.0
    world.properties.append(("fault", f"{fault} {where} the step {step}"))
    act = _injector(world, fault, dependency)
    world.keep(run_with_fault(world, world.command(procedure), trigger, act, delay))


@when(parsers.re(f"the backups of {PROCEDURE} are on a full disk"))
def full_disk(world: World, procedure: str) -> None:
    """The backup directory is pointed at the harness's small tmpfs, filled to the last KiB."""
    env = world.loaded.runbook.environments[world.loaded.runbook.procedures[procedure].environment]
    backups = shlex.quote(f"{env.deploy_path}/backups")
    world.control.as_root(
        f"rm -rf {FULL_DISK}/* && install -d -o {shlex.quote(env.ssh_user)} {FULL_DISK}/backups\n"
        f"(cat /dev/zero > {FULL_DISK}/filler) 2>/dev/null || true\n"
        f"truncate -s -1024 {FULL_DISK}/filler\n"
        f"rm -rf {backups} && ln -s {FULL_DISK}/backups {backups}\n"
    )
    world.full_disk = f"{env.deploy_path}/backups"
    world.fault_window.open()


@when(parsers.re(f"the release engineer runs {PROCEDURE} again"))
def runs_again(world: World, procedure: str) -> None:
    """After the fault: what stopped is started again, the disk freed, then the same run."""
    _start_dependencies(world)
    _free_disk(world)
    world.fault_window.close()
    probe = Probe(
        world.target.health_url, known_versions=world.known_versions, window=world.fault_window
    )
    probe.start()
    world.keep(world.runner.start(world.command(procedure)).finish(probe))


def _start_dependencies(world: World) -> None:
    """Start again what the scenario stopped, with the runbook's own `start` hooks."""
    while world.stopped_dependencies:
        name = world.stopped_dependencies.pop()
        world.control.as_root(world.control.spec.dependencies[name].start)


def _free_disk(world: World) -> None:
    if world.full_disk:
        path = shlex.quote(world.full_disk)
        user = shlex.quote(world.control.hook_env()["DEPLOY_USER"])
        world.control.as_root(
            f"rm -f {path} && install -d -o {user} -g {user} {path} && rm -rf {FULL_DISK}/*"
        )
        world.full_disk = ""


@when(parsers.re(f"two runs of {PROCEDURE} start half a second apart"))
def race(world: World, procedure: str) -> None:
    """Both from the same checkout, under one probe."""
    probe = Probe(world.target.health_url, known_versions=world.known_versions)
    probe.start()
    first = world.runner.start(world.command(procedure))
    time.sleep(0.5)
    second = world.runner.start(world.command(procedure))
    runs = [first.finish(), second.finish()]
    report = probe.stop()
    for run in runs:
        run.probe = report
        world.keep(run)


@then(parsers.parse("one run exits with code 0 and the other with code 2"))
def one_wins(world: World) -> None:
    """Of the last two runs, exactly one deployed and the other was refused."""
    codes = sorted(run.exit_code for run in world.runs[-2:])
    assert codes == [0, 2], [run.output[-1500:] for run in world.runs[-2:]]


@then("the refused run names the lock's owner and reports no backup")
def refused_reports(world: World) -> None:
    """The refused run's report says who holds the lock and names no backup (none is its)."""
    refused = next(run for run in world.runs[-2:] if run.exit_code == 2)
    report = refused.output[refused.output.index("== Report") :]
    assert "lock:      held by another run (host=" in report, report
    assert "backup:" not in report, report


@then("the report ends with what serves, the lock and the next command")
def report_ends(world: World) -> None:
    """The last three lines: `serving:` (asked from the target), `lock:` and `next:`."""
    tail = world.last.output.rstrip().splitlines()[-3:]
    keys = [line.split(":", 1)[0].strip() for line in tail]
    assert keys == ["serving", "lock", "next"], "\n".join(tail)
    assert "unknown" not in tail[0], "the target was not asked what serves"


@then("the next command the report names brings the service to a verified release")
def next_command(world: World) -> None:
    """The command after `next:`, run as written (its explanation in parentheses dropped)."""
    _start_dependencies(world)
    world.fault_window.close()
    line = world.last.output.rstrip().splitlines()[-1]
    command = re.sub(r"^\s*next:\s+", "", line).split("  (", 1)[0].strip()
    words = shlex.split(command)
    words[0] = Path(words[0]).name
    run = world.runner.run(shlex.join(words), world.target.health_url, known=world.known_versions)
    world.keep(run)
    assert run.exit_code == 0, run.output[-3000:]
    serving = world.control.serving(world.env_id or None)
    assert serving in world.known_versions, serving
    world.control.wait_serving(serving, timeout=60)


@then("the probe saw no failed request outside the fault")
def probe_clean_outside(world: World) -> None:
    """Every run of the scenario was probed, and no request failed outside a fault's
    window (and its grace)."""
    for run in world.runs:
        report = run.probe
        assert report is not None and report.requests > 0, "the probe did not run"
        assert report.failures == 0, (report.summary(), report.first_failures)


@then("the failed backup is in backups/failed and no other backup is listed")
def failed_backup_quarantined(world: World) -> None:
    """The failed backup was moved to `backups/failed/`, and no backup listed for a restore
    is one of the failed."""
    run = world.runs[0]
    assert "never offered for a restore" in run.output, run.output[-3000:]
    failed = world.control.read('ls -1 "$DEPLOY_PATH/backups/failed"').split()
    listed = [n for n in world.control.listing("backups") if n != "failed"]
    assert failed, "no failed backup was kept aside"
    assert not [n for n in listed if n in failed], listed


@then("the report names what changed and the backup to restore from")
def names_change_and_backup(world: World) -> None:
    """The first run's report has a `changed:` line and, where the deploy makes a backup,
    the `backup:` it made and verified."""
    run = world.runs[0]
    report = run.output[run.output.index("== Report") :]
    assert "\n  changed:   " in report, report
    rb = world.loaded.runbook
    if any(step.writes_backup for _, step in rb.procedure_steps(run.procedure)):
        assert "\n  backup:    " in report, report


@then("the output names an emergency procedure")
def names_emergency(world: World) -> None:
    """The first run named the emergency procedure whose `output_matches` its output showed."""
    run = world.runs[0]
    assert "see the emergency procedure" in run.output, run.output[-3000:]


@then("the cut reached a running ssh client of the step")
def cut_did_not_go_on(world: World) -> None:
    """The cut reached a running ssh client of the step."""
    assert any(
        note.startswith("ssh clients cut: ") and not note.endswith(" 0")
        for note in world.fault_notes
    ), world.fault_notes


def stop_faults(world: World) -> None:
    """After a scenario: nothing stays stopped, paused or full for the next one."""
    world.fault_window.close()
    with contextlib.suppress(Exception):
        world.control.container.reload()
        if world.control.container.attrs.get("State", {}).get("Paused"):
            world.control.container.unpause()
    with contextlib.suppress(Exception):
        _start_dependencies(world)
    with contextlib.suppress(Exception):
        _free_disk(world)
    with contextlib.suppress(Exception):
        world.control.as_root(
            'kill -0 "$(cat /run/sshd.pid 2>/dev/null)" 2>/dev/null || '
            "{ install -d -m 0755 /run/sshd; /usr/sbin/sshd; }"
        )
