"""`runbook check` on the playbooks: ``ansible-playbook --syntax-check``, and ansible-lint.

Like shellcheck on the scripts, the checks run on the rendered playbooks (not the committed
copies), written with their inventory into a temporary directory, so a generator change
that breaks a playbook is caught before anyone rebuilds. ``ansible-playbook`` comes with
``ansible-core`` (the ``fleet`` extra); without it a runbook with playbooks cannot be
checked (one line, exit 2). ansible-lint runs when it is installed, offline, with two rules
switched off for generated files, each for a stated reason (``LINT_SKIPS``). Its findings
are read from its JSON report; what it logs besides (it cannot match ``# noqa`` comments to
tasks whose names are ``!unsafe``, and says so) is not a finding.

Both tools take seconds to start; their findings depend only on the rendered files and the
tools' versions, so they are kept in the user's cache directory under a hash of those, and
an unchanged runbook is not checked twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, replace
from pathlib import Path

from runbook.errors import Problem, RunbookError
from runbook.lint.outputs import Issue

__all__ = ["LINT_SKIPS", "ansible_issues", "is_playbook"]

TIMEOUT_S = 300
#: Where the tools are looked for first: beside this Python (the same virtual environment).
BIN_DIR = Path(sys.executable).parent
#: ansible-lint rules that do not apply to generated playbooks, and why.
LINT_SKIPS = {
    "run-once[task]": "every play sets `strategy: linear`, under which run_once means once "
    "per batch, as the playbooks intend",
    "yaml[line-length]": "the runbook's own commands are kept as they are written",
}


def _tool(name: str, required: bool) -> str | None:
    beside = BIN_DIR / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which(name)
    if found is None and required:
        raise RunbookError(
            Problem(
                f"{name} is not installed: the runbook has fleet playbooks",
                hint="pip install 'runbook[fleet]'",
            )
        )
    return found


def _display(root: Path, rel: str) -> str:
    shown = os.path.relpath(root / rel)
    return shown if not shown.startswith("..") else str(root / rel)


def _syntax(binary: str, work: Path, playbook: str, inventory: str) -> str:
    try:
        done = subprocess.run(
            [binary, "--syntax-check", "-i", inventory, playbook],
            cwd=work,
            capture_output=True,
            text=True,
            check=False,
            timeout=TIMEOUT_S,
            env={**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_LOCALHOST_WARNING": "False"},
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RunbookError(Problem(f"ansible-playbook failed on {playbook}: {exc}")) from None
    if done.returncode == 0:
        return ""
    lines = [line for line in (done.stderr + done.stdout).splitlines() if line.strip()]
    return " ".join(lines[:3])[:400] or f"exit {done.returncode}"


def _lint(binary: str, work: Path, playbooks: list[str]) -> list[Issue]:
    config = work / ".ansible-lint-runbook.yml"
    config.write_text(
        "# Written by runbook check for generated playbooks.\n"
        "offline: true\n"
        "skip_list:\n" + "".join(f"  - {rule}  # {why}\n" for rule, why in LINT_SKIPS.items()),
        encoding="utf-8",
    )
    try:
        done = subprocess.run(
            [binary, "--offline", "--nocolor", "-q", "-f", "codeclimate", "-c", str(config),
             *playbooks],
            cwd=work,
            capture_output=True,
            text=True,
            check=False,
            timeout=TIMEOUT_S,
            env={**os.environ, "NO_COLOR": "1", "ANSIBLE_NOCOLOR": "1"},
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RunbookError(Problem(f"ansible-lint failed: {exc}")) from None
    try:
        found = json.loads(done.stdout or "[]")
    except ValueError:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise RunbookError(Problem(f"ansible-lint failed: {tail[0]}")) from None
    issues = []
    for item in found:
        rel = item.get("location", {}).get("path", "")
        line = item.get("location", {}).get("lines", {}).get("begin")
        issues.append(
            Issue(
                "ansible",
                str(item.get("check_name", "ansible-lint")),
                str(item.get("description", "")),
                f"playbooks/{Path(rel).name}",
                int(line) if isinstance(line, int) else None,
            )
        )
    return issues


def is_playbook(rel: str) -> bool:
    """Whether a generated file (path relative to the runbook) is a playbook."""
    return rel.startswith("playbooks/") and rel.endswith(".yml") and "/inventory-" not in rel


def ansible_issues(outputs: dict[str, str], root: Path, lint: bool = True) -> list[Issue]:
    """Syntax-check each rendered playbook with its inventory; ansible-lint them when present."""
    playbooks = {rel: text for rel, text in outputs.items() if is_playbook(rel)}
    if not playbooks:
        return []
    binary = _tool("ansible-playbook", required=True)
    assert binary is not None
    linter = _tool("ansible-lint", required=False) if lint else None
    files = {rel: text for rel, text in outputs.items() if rel.startswith("playbooks/")}
    cache = _cache_file(files, linter is not None)
    try:
        issues = [Issue(**item) for item in json.loads(cache.read_text(encoding="utf-8"))]
    except (OSError, ValueError, TypeError):
        issues = _run_checks(binary, linter, files, playbooks)
        _store(cache, issues)
    return [replace(issue, file=_display(root, issue.file)) for issue in issues]


def _versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for name in ("ansible-core", "ansible-lint"):
        try:
            found.append(f"{name}={version(name)}")
        except PackageNotFoundError:
            found.append(f"{name}=none")
    return ",".join(found)


def _cache_file(files: dict[str, str], linted: bool) -> Path:
    digest = hashlib.sha256(f"{_versions()}|lint={linted}|skips={LINT_SKIPS}".encode())
    for rel, text in sorted(files.items()):
        digest.update(f"\0{rel}\0{text}".encode())
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "runbook" / "ansible-checks" / f"{digest.hexdigest()[:32]}.json"


def _store(cache: Path, issues: list[Issue]) -> None:
    """Keep the findings (paths relative to the runbook, so any copy can reuse them)."""
    items = [asdict(issue) for issue in issues]
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(items), encoding="utf-8")
        tmp.replace(cache)
    except OSError:
        pass  # a cache that cannot be written only costs time


def _run_checks(
    binary: str,
    linter: str | None,
    files: dict[str, str],
    playbooks: dict[str, str],
) -> list[Issue]:
    """The findings, each on its file's path relative to the runbook."""
    issues: list[Issue] = []
    with tempfile.TemporaryDirectory(prefix="runbook-playbooks-") as tmp:
        work = Path(tmp)
        for rel, text in files.items():
            (work / Path(rel).name).write_text(text, encoding="utf-8")
        inventory = {rel: _inventory_for(text) for rel, text in playbooks.items()}
        names = sorted(playbooks)
        with ThreadPoolExecutor(max_workers=max(1, min(len(names), os.cpu_count() or 1))) as pool:
            results = pool.map(
                lambda rel: _syntax(binary, work, Path(rel).name, inventory[rel]), names
            )
            for rel, message in zip(names, results, strict=True):
                if message:
                    issues.append(Issue("ansible", "syntax-check", message, rel))
        if linter is not None and not issues:
            issues += _lint(linter, work, [Path(rel).name for rel in names])
    return issues


def _inventory_for(playbook: str) -> str:
    """The inventory a playbook's header names (``-i playbooks/inventory-ENV.yml``)."""
    for line in playbook.splitlines()[:8]:
        if "-i playbooks/" in line:
            return line.split("-i playbooks/", 1)[1].split()[0]
    return "localhost,"
