"""The fleet scenarios' harness: the fleet target, its playbooks, and how they are run.

The playbooks are rendered from the runbook under verification and run with
``ansible-playbook`` from the checkout, as a release engineer would run them, reaching the
containers through the fleet's ssh_config (``ANSIBLE_SSH_COMMON_ARGS=-F``, and
``RUNBOOK_SSH_CONFIG`` for the local steps' helpers) and answering every question with
``-e confirmed=true``. While a playbook runs, the probe requests the service through the
load balancer and a watcher counts how many hosts hold the deploy lock at once.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pytest

from runbook.scenarios.probe import Probe, ProbeReport

TIMEOUT_S = 900
WATCH_EVERY_S = 0.5


@dataclass
class PlaybookRun:
    """One run of a generated playbook: how it ended, what it printed, what was measured."""

    command: str
    procedure: str
    exit_code: int
    output: str
    seconds: float
    probe: ProbeReport | None = None
    most_locked: int = 0

    def record(self) -> dict[str, Any]:
        """The measurements kept for the verify record and the terminal summary."""
        probe = None
        if self.probe is not None:
            probe = {k: v for k, v in asdict(self.probe).items() if k != "versions"}
            probe["versions"] = dict(self.probe.versions)
        return {
            "command": self.command,
            "procedure": self.procedure,
            "exit_code": self.exit_code,
            "seconds": round(self.seconds, 2),
            "probe": probe,
            "most_hosts_locked_at_once": self.most_locked,
        }

    def reported(self) -> dict[str, str]:
        """Host -> release, from the last report the playbook printed."""
        import re

        found: dict[str, str] = {}
        for match in re.finditer(r'"msg": "(\S+) serves ([^"]+)"', self.output):
            found[match.group(1)] = match.group(2)
        return found


@dataclass
class PlaybookRunner:
    """Where the playbooks are and how they reach the fleet."""

    playbooks_dir: Path
    checkout: Path
    ssh_config: str
    work: Path
    playbooks: dict[str, str]  # procedure id -> playbook file name
    inventories: dict[str, str]  # procedure id -> inventory file name

    def environment(self) -> dict[str, str]:
        control = self.work / "cp"
        control.mkdir(parents=True, exist_ok=True)
        return {
            **os.environ,
            "ANSIBLE_SSH_COMMON_ARGS": f"-F {self.ssh_config}",
            "RUNBOOK_SSH_CONFIG": self.ssh_config,
            "ANSIBLE_HOST_KEY_CHECKING": "False",
            "ANSIBLE_PIPELINING": "True",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_RETRY_FILES_ENABLED": "False",
            "ANSIBLE_SSH_CONTROL_PATH_DIR": str(control),
            "ANSIBLE_LOCAL_TEMP": str(self.work / "tmp"),
            "ANSIBLE_TIMEOUT": "10",
            "ANSIBLE_FORKS": "5",
            "NO_COLOR": "1",
            "PWD": str(self.checkout),
        }

    def argv(self, procedure: str, extra_vars: dict[str, Any]) -> list[str]:
        binary = Path(sys.executable).parent / "ansible-playbook"
        return [
            str(binary),
            "-i",
            str(self.playbooks_dir / self.inventories[procedure]),
            str(self.playbooks_dir / self.playbooks[procedure]),
            "-e",
            json.dumps(extra_vars),
        ]

    def run(
        self,
        procedure: str,
        extra_vars: dict[str, Any],
        probe: Probe | None = None,
        locks: Callable[[], int] | None = None,
        during: Callable[[], None] | None = None,
    ) -> PlaybookRun:
        """Run to completion (bounded), with the probe, the lock watcher and ``during``."""
        argv = self.argv(procedure, extra_vars)
        shown = " ".join(argv[1:4]) + " -e " + " ".join(f"{k}={v}" for k, v in extra_vars.items())
        started = time.monotonic()
        if probe is not None:
            probe.start()
        process = subprocess.Popen(
            argv,
            cwd=self.checkout,
            env=self.environment(),
            text=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        watcher = _Watcher(locks, during)
        watcher.start()
        try:
            output, _ = process.communicate(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
        finally:
            watcher.stop()
        seconds = time.monotonic() - started
        report = probe.stop() if probe is not None else None
        if watcher.error is not None:
            raise watcher.error
        return PlaybookRun(
            shown, procedure, process.returncode, output, seconds, report, watcher.most
        )


class _Watcher(threading.Thread):
    """Samples the lock count and runs ``during`` once, while the playbook runs (bounded)."""

    def __init__(self, locks: Callable[[], int] | None, during: Callable[[], None] | None):
        super().__init__(daemon=True)
        self.locks = locks
        self.during = during
        self.most = 0
        self.error: BaseException | None = None
        self._stop_event = threading.Event()

    def run(self) -> None:
        deadline = time.monotonic() + TIMEOUT_S
        try:
            if self.during is not None:
                self.during()
            while self.locks is not None and not self._stop_event.is_set():
                if time.monotonic() > deadline:
                    break
                self.most = max(self.most, self.locks())
                self._stop_event.wait(WATCH_EVERY_S)
        except BaseException as exc:  # reported by the scenario, not lost in a thread
            self.error = exc

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=TIMEOUT_S)


@dataclass
class FleetWorld:
    """The state of one fleet scenario."""

    loaded: Any
    fleet: Any
    control: Any
    repo: Any
    artifacts: Any
    runner: PlaybookRunner
    properties: list[tuple[str, object]]
    procedure: str = ""
    runs: list[PlaybookRun] = field(default_factory=list)
    script_runs: list[dict[str, Any]] = field(default_factory=list)
    unhealthy: set[str] = field(default_factory=set)
    snapshot: dict[str, str] = field(default_factory=dict)
    revisions: dict[str, str] = field(default_factory=dict)
    held_by_other: str = ""
    unreachable: str = ""

    @property
    def releases(self) -> Any:
        return self.loaded.runbook.target.releases

    @property
    def known_versions(self) -> frozenset[str]:
        return frozenset(v.tag for v in self.releases.versions) | frozenset(self.unhealthy)

    @property
    def last(self) -> PlaybookRun:
        assert self.runs, "no playbook ran in this scenario"
        return self.runs[-1]

    def keep(self, run: PlaybookRun) -> PlaybookRun:
        self.runs.append(run)
        self.script_runs.append(run.record())
        if ("procedure", run.procedure) not in self.properties:
            self.properties.append(("procedure", run.procedure))
        print(run.record())
        return run

    def remember(self) -> None:
        self.snapshot = self.control.snapshot()
        self.revisions = {h: self.control.revisions(h) for h in self.control.app_hosts}

    def batches(self) -> list[list[str]]:
        from runbook.fleet.placement import batches

        return batches(self.loaded.runbook.environments[self.fleet.environment])


# ---------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def fleet_target(
    tmp_path_factory: pytest.TempPathFactory, docker_client: Any, runbook_loaded: Any
) -> Iterator[Any]:
    """The fleet target for the whole session (same image as the staging target).

    Without ansible-core the fleet's scenarios are skipped, saying so: they run playbooks.
    """
    from runbook.target import fleet, image

    if not (Path(sys.executable).parent / "ansible-playbook").exists():
        pytest.skip("ansible-core is not installed (pip install 'runbook[fleet]')")
    state_dir = tmp_path_factory.mktemp("fleet")
    built = image.ensure_image(docker_client, image.definition(runbook_loaded))
    started = fleet.start(docker_client, built.tag, state_dir, runbook_loaded.runbook)
    try:
        yield started
    finally:
        fleet.remove(docker_client, state_dir)


@pytest.fixture(scope="session")
def fleet_control(docker_client: Any, fleet_target: Any, runbook_loaded: Any) -> Any:
    from runbook.scenarios.fleet_control import FleetControl

    return FleetControl(docker_client, fleet_target, runbook_loaded.runbook)


@pytest.fixture(scope="session")
def playbooks_dir(runbook_loaded: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated playbooks and inventories, rendered from the runbook under verification."""
    from runbook.fleet import render_playbooks

    out = tmp_path_factory.mktemp("playbooks")
    for rel, text in render_playbooks(runbook_loaded).items():
        (out / Path(rel).name).write_text(text, encoding="utf-8")
    return out


@pytest.fixture
def fleet_world(
    request: pytest.FixtureRequest,
    runbook_loaded: Any,
    fleet_target: Any,
    fleet_control: Any,
    service_checkout: Any,
    artifacts: Any,
    playbooks_dir: Path,
    tmp_path: Path,
) -> FleetWorld:
    from runbook.fleet.playbook import inventory_name

    rb = runbook_loaded.runbook
    repo = service_checkout.copy(tmp_path / "checkout")
    playbooks = {pid: p.playbook for pid, p in rb.procedures.items() if p.playbook}
    inventories = {pid: inventory_name(rb.procedures[pid].environment) for pid in playbooks}
    runner = PlaybookRunner(
        playbooks_dir, repo.path, fleet_target.ssh_config, tmp_path / "ansible", playbooks,
        inventories,
    )  # fmt: skip
    world = FleetWorld(
        runbook_loaded,
        fleet_target,
        fleet_control,
        repo,
        artifacts,
        runner,
        request.node.user_properties,
    )
    world.properties.append(("script_runs", world.script_runs))
    return world
