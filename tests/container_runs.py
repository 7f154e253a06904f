"""The container suites, run at once in the background, each on containers of its own.

Proving the projects on their targets is most of the suite's time, and much of that time is
waiting: for a container, a health check, a probe, a pause between batches. So `conftest.py`
runs the container tests last, and the first of them starts every selected suite here, in two
lanes balanced by their usual times (this machine has two cores, and the probes of a deploy
must not starve):

- the bundled example (`-m "not fleet"`), then a project fresh from `runbook init` (after its
  `build` and `check`), both from a wheel built from this checkout into a fresh venv, each in
  a copy far from the checkout;
- the shop, from the same wheel, then the example's fleet (`-m fleet`: five containers), from
  this venv, which has ansible-core.

Each run's output goes to a log file; the figures (scenarios, probe counts, time) are printed
by the tests that read them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VERIFY_TIMEOUT_S = 2400
#: The files of each project, relative to the repository: copied alone to a directory.
PROJECTS = {
    "example": ["runbook.yaml", "example", "specs", "steps"],
    "shop": ["examples/shop/runbook.yaml", "examples/shop/service", "examples/shop/target"],
    "fleet": ["runbook.yaml", "example", "specs", "steps"],
}
#: What each verification selects: the example's fleet scenarios need ansible-core and five
#: containers, so they run on their own lane.
PYTEST_ARGS = {"example": ["-m", "not fleet"], "fleet": ["-m", "fleet", "-v"]}
#: The lanes, run at once; the projects of a lane one after the other.
LANES = (("example", "init"), ("shop", "fleet"))
#: Which test module needs which projects.
MODULES = {
    "test_verify_projects.py": {"example", "shop", "init"},
    "test_fleet_verify.py": {"fleet"},
}


@dataclass
class Verified:
    """One project's `runbook verify`: how it ended, what it printed, what it recorded."""

    name: str
    directory: Path
    log: Path
    returncode: int
    seconds: float

    @property
    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def record(self) -> dict[str, object]:
        path = self.directory / "verification.json"
        assert path.is_file(), f"{self.name}: no verification.json\n{self.output[-4000:]}"
        return dict(json.loads(path.read_text(encoding="utf-8")))


@dataclass
class _Result:
    """A value made by a background thread, or the error that stopped it."""

    done: threading.Event = field(default_factory=threading.Event)
    value: Any = None
    error: BaseException | None = None

    def set(self, make: Callable[[], Any]) -> None:
        try:
            self.value = make()
        except BaseException as exc:  # re-raised in the test that waits for it
            self.error = exc
        finally:
            self.done.set()

    def get(self, what: str) -> Any:
        if not self.done.wait(VERIFY_TIMEOUT_S * 2):
            raise AssertionError(f"{what} did not finish")
        if self.error is not None:
            raise AssertionError(f"{what} failed: {self.error}") from self.error
        return self.value


class Background:
    """The wheel, the new project and the verifications, made in threads started at once."""

    def __init__(self, names: set[str]) -> None:
        self.work = Path(tempfile.mkdtemp(prefix="runbook-containers-"))
        self.names = names
        self.results: dict[str, _Result] = {
            name: _Result() for name in ("installed", "new-project", "init", *PROJECTS)
        }
        self.processes: list[subprocess.Popen[str]] = []
        self.threads: list[threading.Thread] = []

    def start(self) -> None:
        from runbook.target import daemon

        daemon.client()  # start dockerd once, before three processes race for it
        self._thread(lambda: self.results["installed"].set(self._install))
        for lane in LANES:
            if self.names & set(lane):
                self._thread(lambda lane=lane: self._lane(lane))

    def _thread(self, run: Callable[[], None]) -> None:
        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        self.threads.append(thread)

    def installed(self) -> Path:
        """The `bin` directory of a fresh venv with the wheel built from this checkout."""
        return Path(self.results["installed"].get("installing the wheel"))

    def new_project(self) -> Path:
        """A project made by `runbook init`, built and checked, from the installed wheel."""
        return Path(self.results["new-project"].get("`runbook init`, build and check"))

    def __getitem__(self, name: str) -> Verified:
        result: Verified = self.results[name].get(f"verifying {name}")
        return result

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait()
        shutil.rmtree(self.work, ignore_errors=True)

    def _install(self) -> Path:
        wheels = self.work / "wheel"
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(ROOT)],
            check=True,
            capture_output=True,
        )
        wheel = next(wheels.glob("runbook-*.whl"))
        venv = self.work / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)],
            check=True,
            capture_output=True,
        )
        return venv / "bin"

    def _init(self) -> Path:
        bin_dir = self.installed()
        directory = self.work / "init" / "fresh-service"
        directory.parent.mkdir()
        done = cli(bin_dir, "init", str(directory), "--name", "fresh-service", cwd=directory.parent)
        assert done.returncode == 0, done.stdout + done.stderr
        for args in (["build", "runbook.yaml"], ["check", "runbook.yaml"]):
            done = cli(bin_dir, *args, cwd=directory)
            assert done.returncode == 0, f"runbook {' '.join(args)}:\n{done.stdout}{done.stderr}"
        return directory

    def _lane(self, names: tuple[str, ...]) -> None:
        for name in names:
            self.results[name].set(lambda name=name: self._verify(name))

    def _verify(self, name: str) -> Verified:
        if name == "init":
            self.results["new-project"].set(self._init)
            directory = self.new_project()
        else:
            directory = copy_project(PROJECTS[name], self.work / name)
        if name == "fleet":  # ansible-core is in this venv (the `fleet` extra), not the wheel's
            bin_dir = Path(sys.executable).parent
            if not (bin_dir / "ansible-playbook").exists():
                raise AssertionError("ansible-core is not installed: pip install -e '.[test]'")
        else:
            bin_dir = self.installed()
        log = self.work / f"{name}.log"
        env = {**os.environ, "NO_COLOR": "1", "PATH": f"{bin_dir}:{os.environ['PATH']}"}
        started = time.monotonic()
        with log.open("w", encoding="utf-8") as handle:
            process = subprocess.Popen(
                [str(bin_dir / "runbook"), "verify", "runbook.yaml", *PYTEST_ARGS.get(name, [])],
                cwd=directory,
                env=env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                text=True,
            )
            self.processes.append(process)
            try:
                code = process.wait(timeout=VERIFY_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                code = process.wait()
        return Verified(name, directory, log, code, time.monotonic() - started)


def copy_project(parts: list[str], into: Path) -> Path:
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


def cli(bin_dir: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`runbook ARGS` from ``bin_dir``, without colour, as a user would run it in ``cwd``."""
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
