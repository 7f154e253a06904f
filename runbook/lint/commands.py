"""Each command of the runbook checked on its own: `bash -n`, then shellcheck, found in the YAML.

In the generated scripts a step's command is a quoted string, so shellcheck on the scripts
never parses it: a step such as ``if [ -f x ] then echo x; fi`` passed every check and failed
only when it ran. Here every step command, checklist check and emergency diagnosis command is
parsed by ``bash -n`` and linted by shellcheck as a script of its own, after the declarations
it really runs with: a step gets ``set -Eeuo pipefail``, the runtime variables and the helpers
of where it runs (``upload``, ``remote`` and ``check_endpoints`` on the deploying machine,
``check_endpoints`` on the target); a check or a diagnosis command runs as written, with none.

Each finding is placed on the line of the YAML file where the offending line of the command is
written. Shellcheck reads the commands in one process per core (one small file each, so a parse
error in one cannot hide the others); `bash -n` is cheap enough to run once per command. Both
results are kept in a ``ResultCache`` by the command's content hash, so a command that did not
change is not checked again, and a command written twice is checked once.

The useful commands (``commands:``) are not checked: they are shown for a person to adapt, and
often hold placeholders such as ``<version>`` that are not meant to parse.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runbook.cache import ResultCache, content_key
from runbook.errors import Location, Problem, RunbookError
from runbook.lint.outputs import (
    SHELLCHECK_TIMEOUT_S,
    Issue,
    checker_id,
    shellcheck_binary,
    workers,
)
from runbook.model import RUNTIME_VARIABLES, Runbook, RunsOn
from runbook.model.runtime import FLEET_VARIABLES
from runbook.yamlsrc import DocPath, format_path

if TYPE_CHECKING:
    from runbook.loader import LoadedRunbook

__all__ = ["EXCLUDED", "HELPERS", "Snippet", "check_commands", "snippets"]

#: Shellcheck comments not reported on commands, each with the reason a reviewer can weigh.
#: A command may switch off others for itself with a ``# shellcheck disable=SC....`` line.
EXCLUDED: dict[str, str] = {
    "SC2012": "`ls` to show files to the person running the runbook (`ls -1t backups | head`) "
    "is what runbooks do; it is not parsed by a program.",
    "SC2016": "text in single quotes is often meant to expand elsewhere: on the target "
    "(`remote 'echo $VERSION'`), or in `sqlite3` or `awk`.",
    "SC2153": "a misspelt upper-case variable is reported by rule RB013, which knows the "
    "runtime variables and suggests the right one.",
}
#: The helper functions defined for a step's command, by where it runs.
HELPERS: dict[RunsOn, tuple[str, ...]] = {
    RunsOn.local: ("upload", "remote", "check_endpoints"),
    RunsOn.remote: ("check_endpoints",),
}
_BASH_LINE = re.compile(r"^bash: (?:-c: )?line (\d+): (.*)$")
_BASH_WARNING = re.compile(r"^bash: warning: (.*?) at line (\d+) (.*)$")


@dataclass(frozen=True)
class Snippet:
    """One command as it is checked: where it is written, its text, what it runs after."""

    path: DocPath
    text: str
    variables: tuple[str, ...] = ()
    helpers: tuple[str, ...] = ()

    def lead(self) -> int:
        """How many lines the command starts with that are comments or blank.

        They go before the declarations, so that a ``# shellcheck disable=...`` line at the
        top of a command applies to the whole command, as at the top of a script.
        """
        count = 0
        for line in self.text.split("\n")[:-1]:
            if line.strip() and not line.lstrip().startswith("#"):
                break
            count += 1
        return count

    def header(self) -> str:
        """The declarations the command runs after, as shellcheck is shown them."""
        if not self.variables and not self.helpers:
            return ""
        lines = ["set -Eeuo pipefail"]
        if self.variables:
            lines.append("export " + " ".join(self.variables))
        for helper in self.helpers:
            lines += ["# shellcheck disable=SC2329", f"{helper}() {{ :; }}"]
        return "\n".join(lines) + "\n"

    def script(self) -> str:
        """What shellcheck reads: the command's leading comments, the declarations, the rest."""
        lines = self.text.split("\n")
        lead = self.lead()
        head = "".join(line + "\n" for line in lines[:lead])
        return "#!/usr/bin/env bash\n" + head + self.header() + "\n".join(lines[lead:])

    def command_line(self, script_line: int) -> int:
        """The line of the command (from 0) that line ``script_line`` of ``script()`` holds."""
        lead, declarations = self.lead(), self.header().count("\n")
        if script_line <= 1 + lead:
            return max(0, script_line - 2)
        return max(lead, script_line - 2 - declarations)


def snippets(rb: Runbook) -> Iterator[Snippet]:
    """Every command that runs as written: steps, checklist checks, diagnosis commands."""
    variables = tuple(RUNTIME_VARIABLES)
    in_fleet = (*variables, *FLEET_VARIABLES)  # a fleet's playbooks also set these
    fleet_steps = {
        sid
        for env in rb.environments.values()
        if env.is_fleet and env.rolling is not None
        for sid in (*env.rolling.drain, *env.rolling.undrain)
    }
    for sid, step in rb.steps.items():
        if step.command is not None:
            fleet = sid in fleet_steps or any(
                rb.environments[rb.procedures[pid].environment].is_fleet
                for pid in rb.procedures_using(sid)
            )
            names = in_fleet if fleet else variables
            yield Snippet(("steps", sid, "command"), step.command, names, HELPERS[step.runs_on])
    for cid, checklist in rb.checklists.items():
        for i, item in enumerate(checklist.items):
            if item.check is not None:
                yield Snippet(("checklists", cid, "items", i, "check"), item.check)
    for eid, emergency in rb.emergencies.items():
        for i, command in enumerate(emergency.diagnosis):
            yield Snippet(("emergencies", eid, "diagnosis", i, "command"), command.command)


def _run(args: list[str], text: str | None = None) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            args,
            input=text,
            capture_output=True,
            text=True,
            check=False,
            timeout=SHELLCHECK_TIMEOUT_S,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RunbookError(Problem(f"cannot check the commands: {args[0]}: {exc}")) from None


def syntax_errors(text: str) -> list[tuple[int, str]]:
    """What ``bash -n`` says about a command: (line from 0, message), nothing when it parses.

    ``bash -n`` only parses; nothing in the command runs. Its warnings count too: a
    here-document that is never closed parses, and swallows the rest of the command.
    """
    proc = _run(["bash", "-n", "-c", text])
    last = max(0, len(text.rstrip("\n").split("\n")) - 1)
    found: list[tuple[int, str]] = []
    for line in proc.stderr.splitlines():
        warning = _BASH_WARNING.match(line)
        match = _BASH_LINE.match(line)
        if warning:
            found.append((int(warning.group(2)) - 1, f"{warning.group(1)} {warning.group(3)}"))
        elif match and not match.group(2).startswith("`"):  # not bash's echo of the line
            found.append((int(match.group(1)) - 1, match.group(2)))
    if proc.returncode != 0 and not found:
        found.append((last, proc.stderr.strip() or f"bash -n exited {proc.returncode}"))
    return [(min(line, last), message) for line, message in found]


def _first_column(text: str, line: int) -> int:
    lines = text.split("\n")
    content = lines[line] if line < len(lines) else ""
    return len(content) - len(content.lstrip())


def _located(
    loaded: LoadedRunbook, snippet: Snippet, line: int, column: int
) -> tuple[str, int | None, int | None]:
    loc: Location | None = loaded.locate(*snippet.path)
    if loc is None:
        return loaded.display, None, None
    at = loc.in_text(line, column)
    return at.file, at.line, at.column


def _syntax_issues(
    loaded: LoadedRunbook, snippet: Snippet, errors: list[tuple[int, str]]
) -> list[Issue]:
    issues = []
    for line, message in errors:
        file, at_line, at_column = _located(
            loaded, snippet, line, _first_column(snippet.text, line)
        )
        where = format_path(snippet.path)
        issues.append(
            Issue("shellcheck", "bash", f"{message} (bash -n)", file, at_line, at_column, where)
        )
    return issues


def _shellcheck_args(binary: str) -> list[str]:
    return [binary, "--shell=bash", "--format=json1", f"--exclude={','.join(EXCLUDED)}"]


def _shellcheck_batch(binary: str, scripts: list[str]) -> list[list[dict[str, object]]]:
    """Shellcheck's comments on each script, from one process reading one file each."""
    with tempfile.TemporaryDirectory(prefix="runbook-commands-") as tmp:
        names: dict[str, int] = {}
        for index, text in enumerate(scripts):
            name = str(Path(tmp) / f"{index:05d}.sh")
            Path(name).write_text(text, encoding="utf-8")
            names[name] = index
        proc = _run([*_shellcheck_args(binary), *names])
    if proc.returncode not in (0, 1):
        raise RunbookError(Problem(f"shellcheck failed on the commands: {proc.stderr.strip()}"))
    found: list[list[dict[str, object]]] = [[] for _ in scripts]
    for comment in json.loads(proc.stdout or '{"comments": []}')["comments"]:
        found[names[comment["file"]]].append(
            {k: comment[k] for k in ("code", "message", "level", "line", "column")}
        )
    return found


def _shellcheck_comments(
    found: list[Snippet], cache: ResultCache, pool: ThreadPoolExecutor
) -> dict[str, list[dict[str, Any]]]:
    """Shellcheck's comments by each command's script; those not in ``cache`` from one
    batch per core, run at the same time."""
    binary = shellcheck_binary()
    prefix = (checker_id(binary), *_shellcheck_args("shellcheck"))
    keys = {script: content_key(*prefix, script) for script in {s.script() for s in found}}
    missing = [script for script, key in keys.items() if cache.get(key) is None]
    count = workers(len(missing))
    batches = [batch for batch in (missing[i::count] for i in range(count)) if batch]
    for batch, comments in zip(
        batches, pool.map(lambda b: _shellcheck_batch(binary, b), batches), strict=True
    ):
        for script, script_comments in zip(batch, comments, strict=True):
            cache.put(keys[script], script_comments)
    return {script: cache.get(key) or [] for script, key in keys.items()}


def _shellcheck_issues(
    loaded: LoadedRunbook, snippet: Snippet, comments: list[dict[str, Any]]
) -> list[Issue]:
    issues = []
    for comment in comments:
        line = snippet.command_line(comment["line"])
        file, at_line, at_column = _located(loaded, snippet, line, comment["column"] - 1)
        issues.append(
            Issue(
                "shellcheck",
                f"SC{comment['code']}",
                f"{comment['message']} ({comment['level']})",
                file,
                at_line,
                at_column,
                format_path(snippet.path),
            )
        )
    return issues


def _syntax(
    found: list[Snippet], cache: ResultCache, pool: ThreadPoolExecutor
) -> dict[str, list[tuple[int, str]]]:
    """``bash -n``'s errors by each command's text; those not in ``cache`` in ``pool``."""
    bash = shutil.which("bash")
    ident = checker_id(bash) if bash else "bash"
    keys = {text: content_key(ident, "-n", text) for text in {s.text for s in found}}
    missing = [text for text, key in keys.items() if cache.get(key) is None]
    for text, errors in zip(missing, pool.map(syntax_errors, missing), strict=True):
        cache.put(keys[text], [list(error) for error in errors])
    return {
        text: [(int(e[0]), str(e[1])) for e in cache.get(key) or []] for text, key in keys.items()
    }


def check_commands(
    loaded: LoadedRunbook, cache: ResultCache | None = None
) -> tuple[list[Issue], int]:
    """``bash -n`` and shellcheck findings on every command, and how many commands there are.

    Results come from ``cache`` when a command's text was checked before.
    """
    found = list(snippets(loaded.runbook))
    cache = cache if cache is not None else ResultCache(None, "commands")
    with ThreadPoolExecutor(max_workers=workers(len(found))) as pool:
        syntax = _syntax(found, cache, pool)
        comments = _shellcheck_comments(found, cache, pool)
    issues = []
    for snippet in found:
        issues += _syntax_issues(loaded, snippet, syntax[snippet.text])
        issues += _shellcheck_issues(loaded, snippet, comments[snippet.script()])
    issues.sort(key=lambda i: (i.file, i.line or 0, i.column or 0, i.rule))
    return issues, len(found)
