"""Every project proves its own runbook on its own target, from a wheel in a fresh venv.

The wheel is built from this checkout and installed (not editable) into a new virtual
environment; each project is copied to a directory of its own, far from this repository,
and `runbook verify` runs there: the bundled example (Python, gunicorn, PostgreSQL), the
shop (Node.js, SQLite, runit) and a project fresh from `runbook init` (after build and
check). They run in two lanes (the example; the shop then the new project), each on its
own container; the figures (scenarios, probe counts, time) are printed for the record.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.container

ROOT = Path(__file__).resolve().parent.parent
VERIFY_TIMEOUT_S = 1500
PROJECTS = {
    "example": ["runbook.yaml", "example", "specs", "steps"],
    "shop": ["examples/shop/runbook.yaml", "examples/shop/service", "examples/shop/target"],
}


@dataclass
class Verified:
    """One project's `runbook verify`: how it ended, what it printed, what it recorded."""

    name: str
    directory: Path
    process: subprocess.Popen[str]
    log: Path
    started: float
    seconds: float = 0.0

    def wait(self) -> Verified:
        if self.process.poll() is None or not self.seconds:
            try:
                self.process.wait(timeout=VERIFY_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.seconds = self.seconds or time.monotonic() - self.started
        return self

    @property
    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def record(self) -> dict[str, object]:
        path = self.directory / "verification.json"
        assert path.is_file(), f"{self.name}: no verification.json\n{self.output[-4000:]}"
        return dict(json.loads(path.read_text(encoding="utf-8")))


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel built from this checkout: the `bin` directory."""
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(work), str(ROOT)],
        check=True,
        capture_output=True,
    )
    wheel = next(work.glob("runbook-*.whl"))
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)],
        check=True,
        capture_output=True,
    )
    return venv / "bin"


def _copy_project(name: str, parts: list[str], into: Path) -> Path:
    """The project's files, alone in a directory of their own (no checkout around them)."""
    base = ROOT / Path(parts[0]).parent
    into.mkdir(parents=True)
    for part in parts:
        source = ROOT / part
        target = into / source.relative_to(base)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target)
    return into


#: The example's fleet scenarios need ansible-core and five containers: they are proven on
#: their own (tests/test_fleet_verify.py), not in this wheel's three verifications at once.
PYTEST_ARGS = {"example": ["-m", "not fleet"]}


def _start(name: str, bin_dir: Path, directory: Path, logs: Path) -> Verified:
    log = logs / f"{name}.log"
    env = {**os.environ, "NO_COLOR": "1", "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    handle = log.open("w", encoding="utf-8")
    process = subprocess.Popen(
        [str(bin_dir / "runbook"), "verify", "runbook.yaml", *PYTEST_ARGS.get(name, [])],
        cwd=directory,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    handle.close()
    return Verified(name, directory, process, log, time.monotonic())


def _cli(bin_dir: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    return subprocess.run(
        [str(bin_dir / "runbook"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
        timeout=600,
    )


@pytest.fixture(scope="session")
def new_project(installed: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`runbook init`, then `build` and `check`, from the installed wheel."""
    directory = tmp_path_factory.mktemp("init") / "fresh-service"
    done = _cli(installed, "init", str(directory), "--name", "fresh-service", cwd=directory.parent)
    assert done.returncode == 0, done.stdout + done.stderr
    for args in (["build", "runbook.yaml"], ["check", "runbook.yaml"]):
        done = _cli(installed, *args, cwd=directory)
        assert done.returncode == 0, f"runbook {' '.join(args)}:\n{done.stdout}{done.stderr}"
    return directory


@pytest.fixture(scope="session")
def verifications(
    installed: Path, new_project: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Lanes]:
    """The three verifications in two lanes, each on its own container."""
    from runbook.target import daemon

    daemon.client()  # start dockerd once, before three processes race for it
    work = tmp_path_factory.mktemp("projects")
    directories = {
        name: _copy_project(name, parts, work / name) for name, parts in PROJECTS.items()
    }
    directories["init"] = new_project
    lanes = [["example"], ["shop", "init"]]  # two at a time: this machine has two cores
    runs: dict[str, Verified] = {}
    threads = [
        threading.Thread(target=_lane, args=(lane, installed, directories, work, runs))
        for lane in lanes
    ]
    for thread in threads:
        thread.start()
    try:
        yield Lanes(runs, threads)
    finally:
        for thread in threads:
            thread.join(timeout=VERIFY_TIMEOUT_S * 2)
        for run in runs.values():
            if run.process.poll() is None:
                run.process.kill()
                run.process.wait()


def _lane(
    names: list[str],
    installed: Path,
    directories: dict[str, Path],
    work: Path,
    runs: dict[str, Verified],
) -> None:
    """Verify the projects of one lane one after the other."""
    for name in names:
        runs[name] = _start(name, installed, directories[name], work).wait()


@dataclass
class Lanes:
    """The verifications, filled in by the lanes as each project finishes."""

    runs: dict[str, Verified]
    threads: list[threading.Thread]

    def __getitem__(self, name: str) -> Verified:
        deadline = time.monotonic() + VERIFY_TIMEOUT_S * 2
        while name not in self.runs and time.monotonic() < deadline:
            if not any(t.is_alive() for t in self.threads) and name not in self.runs:
                break
            time.sleep(1)
        assert name in self.runs, f"{name} was never verified"
        return self.runs[name]


@pytest.mark.parametrize("name", ["example", "shop", "init"])
def test_the_project_proves_every_procedure(verifications: dict[str, Verified], name: str) -> None:
    run = verifications[name].wait()
    output = run.output
    print(f"\n== {name}: runbook verify took {run.seconds:.0f} s")
    print(output[output.find("staging target measurements") - 40 :][-6000:])
    assert run.process.returncode == 0, output[-6000:]
    record = run.record()
    assert record["outcome"] == "passed"
    procedures = record["procedures"]
    assert isinstance(procedures, dict) and procedures
    from runbook.loader import load

    playbooks = {
        pid
        for pid, p in load(run.directory / "runbook.yaml").runbook.procedures.items()
        if p.playbook
    }
    for pid, result in procedures.items():
        if name in PYTEST_ARGS and pid in playbooks:
            assert result["scenarios"] == {}, (pid, result)  # deselected: the fleet suite's
            continue
        assert result["outcome"] == "passed", (pid, result)
        assert len(result["scenarios"]) >= 2, (pid, result["scenarios"])
        assert set(result["scenarios"].values()) == {"passed"}, (pid, result["scenarios"])
    steps = {s["outcome"] for r in procedures.values() for s in r["steps"].values()}
    assert steps and steps <= {"passed", "skipped"}, steps
    probes = re.findall(r"probe: (\d+) requests, (\d+) failed", output)
    assert len(probes) >= 8 and all(int(n) > 0 and f == "0" for n, f in probes), probes


def test_the_example_alert_fires_and_its_runs_become_its_history(
    installed: Path, verifications: dict[str, Verified]
) -> None:
    """The example's own scenario saw the generated alert fire and resolve on its target, and
    `runbook history` makes the suite's script runs a history with every kind of outcome."""
    run = verifications["example"].wait()
    scenarios = run.record()["procedures"]["deploy-production"]["scenarios"]  # type: ignore[index]
    name = (
        "An unhealthy production release fires the application-down alert "
        "until the automatic rollback"
    )
    assert scenarios[name] == "passed", scenarios
    done = _cli(installed, "history", "--from", ".runbook/verify-logs", cwd=run.directory)
    assert done.returncode == 0, done.stdout + done.stderr
    history = json.loads((run.directory / "history.json").read_text(encoding="utf-8"))
    outcomes = {r["outcome"] for r in history["runs"]}
    assert {"success", "rolled-back", "refused"} <= outcomes, outcomes
    assert all(r["user"] and r["run"] for r in history["runs"])
