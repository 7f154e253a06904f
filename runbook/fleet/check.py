"""`runbook check` on the playbooks: ``ansible-playbook --syntax-check``, and ansible-lint.

Like shellcheck on the scripts, the checks run on the rendered playbooks (not the committed
copies), written with their inventory into a temporary directory, so a generator change
that breaks a playbook is caught before anyone rebuilds. ``ansible-playbook`` comes with
``ansible-core`` (the ``fleet`` extra); without it a runbook with playbooks cannot be
checked (one line, exit 2). ansible-lint runs when it is installed, offline, with two rules
switched off for generated files, each for a stated reason (``LINT_SKIPS``). Its findings
are read from its JSON report; what it logs besides (it cannot match ``# noqa`` comments to
tasks whose names are ``!unsafe``, and says so) is not a finding.

Both tools take a second or more to start, and ansible-lint about a second per playbook
besides: the syntax check reads the playbooks of an inventory in one run per core, ansible-lint
reads one share of them per core, and each playbook's findings are kept in the project's
``.runbook/cache/`` under a hash of its text, its inventory and the tools' versions, so only a
playbook that changed is checked again.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, replace
from pathlib import Path

from runbook.cache import ResultCache, content_key
from runbook.errors import Problem, RunbookError
from runbook.lint.outputs import Issue, workers

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


def _syntax(binary: str, work: Path, playbooks: list[str], inventory: str) -> str:
    """Why ``ansible-playbook --syntax-check`` refused the playbooks, or "" when it did not."""
    try:
        done = subprocess.run(
            [binary, "--syntax-check", "-i", inventory, *playbooks],
            cwd=work,
            capture_output=True,
            text=True,
            check=False,
            timeout=TIMEOUT_S + len(playbooks),
            env={**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_LOCALHOST_WARNING": "False"},
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RunbookError(
            Problem(f"ansible-playbook failed on {', '.join(playbooks)}: {exc}")
        ) from None
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
            timeout=TIMEOUT_S + 5 * len(playbooks),
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


def ansible_issues(
    outputs: dict[str, str], root: Path, lint: bool = True, cache: ResultCache | None = None
) -> list[Issue]:
    """Syntax-check each rendered playbook with its inventory; ansible-lint them when present.

    Each playbook's findings are kept in ``cache`` under a hash of its text, its inventory's
    and the tools' versions: only the playbooks that changed are checked again.
    """
    playbooks = {rel: text for rel, text in outputs.items() if is_playbook(rel)}
    if not playbooks:
        return []
    binary = _tool("ansible-playbook", required=True)
    assert binary is not None
    linter = _tool("ansible-lint", required=False) if lint else None
    cache = cache if cache is not None else ResultCache(None, "ansible")
    files = {rel: text for rel, text in outputs.items() if rel.startswith("playbooks/")}
    inventory = {rel: _inventory_for(text) for rel, text in playbooks.items()}
    ident = f"{_versions()}|lint={linter is not None}|skips={LINT_SKIPS}"
    keys = {
        rel: content_key(ident, rel, text, files.get(f"playbooks/{inventory[rel]}", ""))
        for rel, text in playbooks.items()
    }
    missing = sorted(rel for rel in playbooks if cache.get(keys[rel]) is None)
    if missing:
        found = _run_checks(binary, linter, files, missing, inventory)
        for rel in missing:
            cache.put(keys[rel], [asdict(issue) for issue in found.get(rel, [])])
    return [
        replace(Issue(**item), file=_display(root, item["file"]))
        for rel in sorted(playbooks)
        for item in cache.get(keys[rel]) or []
    ]


def _versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for name in ("ansible-core", "ansible-lint"):
        try:
            found.append(f"{name}={version(name)}")
        except PackageNotFoundError:
            found.append(f"{name}=none")
    return ",".join(found)


def _shares(names: list[str]) -> list[list[str]]:
    """``names`` in one share per core: each tool takes a second or more to start."""
    count = workers(len(names))
    return [names[i::count] for i in range(count) if names[i::count]]


def _syntax_group(binary: str, work: Path, inventory: str, names: list[str]) -> dict[str, str]:
    """The syntax check of playbooks sharing an inventory, in one run of ansible-playbook;
    only when that run fails is each one checked alone, to tell which failed and why."""
    if not _syntax(binary, work, names, inventory):
        return {}
    found = {name: _syntax(binary, work, [name], inventory) for name in names}
    return {name: message for name, message in found.items() if message}


def _run_checks(
    binary: str,
    linter: str | None,
    files: dict[str, str],
    names: list[str],
    inventory: dict[str, str],
) -> dict[str, list[Issue]]:
    """The findings on the playbooks ``names``, by playbook (paths relative to the runbook).

    Each share of the playbooks is linted in a folder of its own (ansible-lint keeps state
    beside the files it reads), all shares at once."""
    issues: dict[str, list[Issue]] = {}
    with tempfile.TemporaryDirectory(prefix="runbook-playbooks-") as tmp:
        work = Path(tmp)
        for rel, text in files.items():
            (work / Path(rel).name).write_text(text, encoding="utf-8")
        groups = [
            (inv, share)
            for inv in sorted({inventory[rel] for rel in names})
            for share in _shares([Path(rel).name for rel in names if inventory[rel] == inv])
        ]
        with ThreadPoolExecutor(max_workers=workers(len(groups))) as pool:
            for result in pool.map(lambda group: _syntax_group(binary, work, *group), groups):
                for name, message in result.items():
                    rel = f"playbooks/{name}"
                    issues[rel] = [Issue("ansible", "syntax-check", message, rel)]
        passed = [Path(rel).name for rel in names if rel not in issues]
        if linter is None or not passed:
            return issues
        shares = _shares(passed)
        for index, share in enumerate(shares):
            folder = work / f"lint-{index}"
            folder.mkdir()
            for name in {*share, *(inventory[f"playbooks/{n}"] for n in share)}:
                if (work / name).is_file():
                    shutil.copy(work / name, folder / name)
        with ThreadPoolExecutor(max_workers=len(shares)) as pool:
            runs = pool.map(
                lambda item: _lint(linter, work / f"lint-{item[0]}", item[1]), enumerate(shares)
            )
            for found in runs:
                for issue in found:
                    issues.setdefault(issue.file, []).append(issue)
    return issues


def _inventory_for(playbook: str) -> str:
    """The inventory a playbook's header names (``-i playbooks/inventory-ENV.yml``)."""
    for line in playbook.splitlines()[:8]:
        if "-i playbooks/" in line:
            return line.split("-i playbooks/", 1)[1].split()[0]
    return "localhost,"
