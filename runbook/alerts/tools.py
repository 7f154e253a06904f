"""promtool and amtool on the monitoring files, for `runbook check`.

The files checked are the ones the runbook renders now (like shellcheck on the scripts), in a
scratch directory, so a generator change that breaks them is caught before anyone rebuilds.
Four checks run when the tools are installed (Debian's ``prometheus`` and
``prometheus-alertmanager`` packages):

- ``promtool check rules``: the rules and every PromQL query parse;
- ``promtool test rules``: the generated unit tests pass (each alert fires at its threshold
  held for its ``for``, and not just short of it);
- ``amtool check-config``: the Alertmanager configuration loads;
- ``amtool config routes test``: each kind of alert reaches the receivers of the escalation
  levels the runbook says it reaches.

A missing tool is not a failure of the runbook: its checks are skipped with a note that says
which and how to install it, and the rest still run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from runbook.alerts.files import ALERTMANAGER_FILE, MONITORING_DIR, RULES_FILE, TESTS_FILE
from runbook.alerts.routing import routing_expectations
from runbook.cache import ResultCache, content_key
from runbook.lint.outputs import Issue
from runbook.model import Runbook

TOOL_TIMEOUT_S = 120
PACKAGES = {"promtool": "prometheus", "amtool": "prometheus-alertmanager"}


@dataclass
class ToolReport:
    """What the monitoring tools found, which checks ran, and which were skipped and why."""

    issues: list[Issue] = field(default_factory=list)
    ran: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def find_tool(name: str) -> str | None:
    """The tool on PATH, or None when it is not installed."""
    return shutil.which(name)


def _display(path: Path) -> str:
    rel = os.path.relpath(path)
    return rel if not rel.startswith("..") else str(path)


def _run(argv: list[str], cwd: Path) -> tuple[int, str]:
    try:
        proc = subprocess.run(
            argv,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=TOOL_TIMEOUT_S,
            check=False,
            env={**os.environ, "NO_COLOR": "1"},
        )
    except subprocess.TimeoutExpired:
        return 124, f"{argv[0]} did not finish within {TOOL_TIMEOUT_S} s"
    except OSError as exc:
        return 126, f"{argv[0]} could not run: {exc}"
    return proc.returncode, (proc.stdout + proc.stderr).strip()


def _failure(tool: str, what: str, shown: str, output: str) -> Issue:
    """One issue for a failed check: its first lines in the message, all of it as detail."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    lines = [line for line in lines if not line.startswith(("Checking ", "Unit Testing:"))]
    head = "; ".join(lines[:3]) if lines else "failed without saying why"
    return Issue("monitoring", tool, f"{what} failed: {head}", shown, detail=output)


class _Checker:
    def __init__(self, rb: Runbook, files: dict[str, str], root: Path, scratch: Path) -> None:
        self.rb = rb
        self.files = files
        self.root = root
        self.scratch = scratch
        self.report = ToolReport()

    def shown(self, name: str) -> str:
        return _display(self.root / MONITORING_DIR / name)

    def missing(self, tool: str, checks: str, names: list[str]) -> None:
        self.report.notes.append(
            f"{tool} is not installed: skipped {checks} on "
            f"{', '.join(f'{MONITORING_DIR}/{n}' for n in names)} "
            f"(Debian: apt-get install {PACKAGES[tool]})"
        )

    def step(self, tool: str, argv: list[str], what: str, name: str) -> bool:
        code, output = _run(argv, self.scratch)
        if code != 0:
            self.report.issues.append(_failure(Path(tool).name, what, self.shown(name), output))
            return False
        self.report.ran.append(what)
        return True

    def rules(self) -> None:
        if RULES_FILE not in self.files:
            return
        promtool = find_tool("promtool")
        if promtool is None:
            self.missing("promtool", "`promtool check rules` and `test rules`", [RULES_FILE])
            return
        if self.step(
            promtool, [promtool, "check", "rules", RULES_FILE], "promtool check rules", RULES_FILE
        ):
            self.step(
                promtool, [promtool, "test", "rules", TESTS_FILE], "promtool test rules", TESTS_FILE
            )

    def routing(self) -> None:
        if ALERTMANAGER_FILE not in self.files:
            return
        amtool = find_tool("amtool")
        if amtool is None:
            self.missing(
                "amtool", "`amtool check-config` and the routing tests", [ALERTMANAGER_FILE]
            )
            return
        config = ALERTMANAGER_FILE
        if not self.step(amtool, [amtool, "check-config", config], "amtool check-config", config):
            return
        expectations = routing_expectations(self.rb)
        for labels, receivers in expectations:
            argv = [
                amtool,
                "config",
                "routes",
                "test",
                f"--config.file={config}",
                f"--verify.receivers={','.join(receivers)}",
                *(f"{k}={v}" for k, v in labels.items()),
            ]
            code, output = _run(argv, self.scratch)
            if code != 0:
                said = " ".join(f"{k}={v}" for k, v in labels.items())
                got = output.splitlines()[0] if output else "nothing"
                message = (
                    f"amtool routes an alert with {said} to {got}; the escalation path "
                    f"says {','.join(receivers)}"
                )
                self.report.issues.append(
                    Issue("monitoring", "amtool", message, self.shown(config), detail=output)
                )
        if expectations:
            self.report.ran.append(f"amtool config routes test ({len(expectations)} label sets)")


def check_monitoring(
    rb: Runbook, outputs: dict[str, str], root: Path, cache: ResultCache | None = None
) -> ToolReport:
    """Run the tools on the monitoring files among ``outputs`` (paths relative to ``root``).

    With ``cache``, what the tools said is kept under everything it depends on (the files,
    the routing expectations, which tools are installed and which build of each), so an
    unchanged runbook runs neither tool again."""
    prefix = f"{MONITORING_DIR}/"
    files = {
        rel.removeprefix(prefix): text for rel, text in outputs.items() if rel.startswith(prefix)
    }
    if not files:
        return ToolReport()
    key = content_key(
        _display(root),
        *(f"{name}\0{text}" for name, text in sorted(files.items())),
        *(_identity(tool) for tool in PACKAGES),
        repr(routing_expectations(rb)),
    )
    found = cache.get(key) if cache is not None else None
    if isinstance(found, dict):
        try:
            return ToolReport(
                [Issue(**item) for item in found["issues"]],
                list(found["ran"]),
                list(found["notes"]),
            )
        except (KeyError, TypeError):
            pass
    report = _check(rb, files, root)
    if cache is not None:
        cache.put(
            key,
            {
                "issues": [asdict(i) for i in report.issues],
                "ran": report.ran,
                "notes": report.notes,
            },
        )
    return report


def _identity(tool: str) -> str:
    """Which build of ``tool`` is installed (path, size, time), or that none is."""
    path = find_tool(tool)
    if path is None:
        return f"{tool} -"
    try:
        stat = Path(path).stat()
    except OSError:
        return f"{tool} {path}"
    return f"{tool} {path} {stat.st_size} {stat.st_mtime_ns}"


def _check(rb: Runbook, files: dict[str, str], root: Path) -> ToolReport:
    with tempfile.TemporaryDirectory(prefix="runbook-monitoring-") as tmp:
        scratch = Path(tmp)
        for name, text in files.items():
            (scratch / name).write_text(text, encoding="utf-8")
        checker = _Checker(rb, files, root, scratch)
        checker.rules()
        checker.routing()
        return checker.report
