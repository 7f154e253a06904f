"""RB013: a command reads only variables that are set: runtime ones, its own, the environment's.

The scripts run every command under ``set -u``, so a misspelt ``$VERISON`` stops a deploy
half-way with "unbound variable", and shellcheck cannot tell (it assumes an upper-case name
comes from the environment). The runtime variables are a fixed, documented list, so this rule
can: an upper-case variable that is not a runtime variable, not set in the command itself and
not one every shell has is a finding, with the closest known name as a suggestion.

The scan reads bash closely enough for commands: text in single quotes, quoted here-documents
and comments expand nothing; ``${NAME:-default}`` and its kin say the command expects the
variable may be unset, so they are not findings; inside ``$(( ))`` a bare name is a variable.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from runbook.lint.commands import Snippet, snippets
from runbook.lint.rule import Hit, rule
from runbook.model import RUNTIME_VARIABLES, Runbook, RunsOn
from runbook.suggest import closest
from scripts_gen.contract import ENVIRONMENT

__all__ = ["WELL_KNOWN", "Reference", "assigned", "readable", "references"]

_SHELL_VARIABLES = """
BASH BASHOPTS BASHPID COLUMNS CI DIRSTACK DISPLAY EDITOR EPOCHREALTIME EPOCHSECONDS EUID
FUNCNAME GROUPS HISTFILE HOME HOSTNAME HOSTTYPE IFS LANG LANGUAGE LINENO LINES LOGNAME
MACHTYPE MAIL OLDPWD OPTARG OPTERR OPTIND OSTYPE PAGER PATH PIPESTATUS PPID PS1 PS2 PS4 PWD
RANDOM REPLY SECONDS SHELL SHELLOPTS SHLVL SRANDOM TERM TMPDIR TZ UID USER VISUAL
"""
#: Environment variables a command may read without setting them: bash's own and the login's.
WELL_KNOWN: frozenset[str] = frozenset(_SHELL_VARIABLES.split())
#: Families of well-known variables (``BASH_REMATCH``, ``LC_ALL``, ``SSH_AUTH_SOCK``, ...).
WELL_KNOWN_PREFIXES = ("BASH_", "LC_", "SSH_", "XDG_")

_UPPER = re.compile(r"[A-Z][A-Z0-9_]*")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_GUARD = re.compile(r":?[-=?+]")
_HEREDOC = re.compile(r"<<(-?)[ \t]*(\\?)(['\"]?)([A-Za-z0-9_.-]+)\3")
_WORD_START = set(" \t\n;&|(){}")
_SIMPLE_ASSIGN = re.compile(r"(?:^|[\s;&|(){}!`])([A-Za-z_][A-Za-z0-9_]*)(?:\[[^\]\n]*\])?\+?=")
_DECLARE = re.compile(
    r"(?:^|[\s;&|(){}!`])(?:export|local|declare|typeset|readonly|read|mapfile|readarray)\b"
    r"([^;&|\n]*)"
)
_LOOP = re.compile(r"(?:^|[\s;&|(){}!`])(?:for|select)\s+([A-Za-z_][A-Za-z0-9_]*)\b")
_PRINTF_V = re.compile(r"\bprintf\s+-v\s+([A-Za-z_][A-Za-z0-9_]*)")
_GETOPTS = re.compile(r"\bgetopts\s+\S+\s+([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class Reference:
    """A variable a command reads: its name, its line and column (from 0), whether guarded."""

    name: str
    line: int
    column: int
    guarded: bool = False


class _Scanner:
    """Finds the variable references of a bash text, by a small lexer (see the module doc)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.found: list[Reference] = []
        self.stack: list[list[str | int]] = []  # ["dq"], ["cmd", depth], ["arith", depth]
        self.heredocs: list[tuple[str, bool, bool]] = []  # delimiter, quoted, strip tabs

    def position(self, index: int) -> tuple[int, int]:
        line = self.text.count("\n", 0, index)
        return line, index - (self.text.rfind("\n", 0, index) + 1)

    def add(self, name: str, index: int, guarded: bool = False) -> None:
        self.found.append(Reference(name, *self.position(index), guarded))

    def top(self) -> str:
        return str(self.stack[-1][0]) if self.stack else ""

    def skip_to(self, char: str, escapes: bool = False) -> None:
        """Move past the next ``char`` (after the current position)."""
        i = self.i + 1
        while i < len(self.text) and self.text[i] != char:
            i += 2 if escapes and self.text[i] == "\\" else 1
        self.i = i + 1

    def dollar(self) -> None:
        text, i = self.text, self.i
        nxt = text[i + 1 : i + 2]
        if nxt == "'" and self.top() != "dq":  # $'...': ANSI-C quoting, no expansion
            self.i += 1
            self.skip_to("'", escapes=True)
        elif text.startswith("$((", i):
            self.stack.append(["arith", 2])
            self.i += 3
        elif nxt == "(":
            self.stack.append(["cmd", 1])
            self.i += 2
        elif nxt == "{":
            start = i + 2 + (1 if text[i + 2 : i + 3] in ("#", "!") else 0)
            match = _NAME.match(text, start)
            if match and text[i + 2 : i + 3] != "!":
                guarded = bool(_GUARD.match(text, match.end()))
                self.add(match.group(0), i, guarded)
            self.i = match.end() if match else i + 2
        else:
            match = _NAME.match(text, i + 1)
            if match:
                self.add(match.group(0), i)
            self.i = match.end() if match else i + 1

    def close_paren(self) -> None:
        if self.top() in ("cmd", "arith"):
            self.stack[-1][1] = int(self.stack[-1][1]) - 1
            if int(self.stack[-1][1]) == 0:
                self.stack.pop()
        self.i += 1

    def heredoc_bodies(self) -> None:
        """After the line that opened them: skip or scan each here-document's lines."""
        for delimiter, quoted, strip in self.heredocs:
            while self.i < len(self.text):
                end = self.text.find("\n", self.i)
                end = len(self.text) if end < 0 else end
                line = self.text[self.i : end]
                if (line.lstrip("\t") if strip else line) == delimiter:
                    self.i = end + 1
                    break
                if not quoted:
                    for match in re.finditer(r"(?<!\\)\$\{?([A-Za-z_][A-Za-z0-9_]*)", line):
                        guarded = bool(_GUARD.match(line, match.end())) and "{" in match.group(0)
                        self.add(match.group(1), self.i + match.start(), guarded)
                self.i = end + 1
        self.heredocs = []

    def step(self) -> None:
        text, i, top = self.text, self.i, self.top()
        char = text[i]
        if char == "\\":
            self.i += 2
        elif char == "$":
            self.dollar()
        elif top == "dq":
            if char == '"':
                self.stack.pop()
            self.i += 1
        elif char == "'":
            self.skip_to("'")
        elif char == '"':
            self.stack.append(["dq"])
            self.i += 1
        elif char == "#" and top != "arith" and (i == 0 or text[i - 1] in _WORD_START):
            end = text.find("\n", i)
            self.i = len(text) if end < 0 else end
        elif char == "(" and top in ("cmd", "arith"):
            self.stack[-1][1] = int(self.stack[-1][1]) + 1
            self.i += 1
        elif char == ")":
            self.close_paren()
        elif char == "<" and (heredoc := _HEREDOC.match(text, i)) and text[i + 2 : i + 3] != "<":
            quoted = bool(heredoc.group(2) or heredoc.group(3))
            self.heredocs.append((heredoc.group(4), quoted, heredoc.group(1) == "-"))
            self.i = heredoc.end()
        elif char == "\n" and self.heredocs:
            self.i += 1
            self.heredoc_bodies()
        elif top == "arith" and (name := _NAME.match(text, i)) and text[i - 1 : i] != "$":
            self.add(name.group(0), i)
            self.i = name.end()
        else:
            self.i += 1

    def scan(self) -> list[Reference]:
        while self.i < len(self.text):
            self.step()
        return self.found


def references(text: str) -> list[Reference]:
    """Every variable the bash ``text`` reads, in order."""
    return _Scanner(text).scan()


def assigned(text: str) -> set[str]:
    """Names the command sets itself: assignments, ``export``/``read``/``local``, loops.

    Generous on purpose (``echo A=1`` counts): a name wrongly taken as set only means a
    finding missed, never a false one.
    """
    names = {m.group(1) for m in _SIMPLE_ASSIGN.finditer(text)}
    for pattern in (_LOOP, _PRINTF_V, _GETOPTS):
        names |= {m.group(1) for m in pattern.finditer(text)}
    for match in _DECLARE.finditer(text):
        names |= {m.group(0) for m in _NAME.finditer(match.group(1))}
    return names


def readable(snippet: Snippet, runs_on: RunsOn | None) -> set[str]:
    """What a command may read without setting it: its runtime variables, the shell's, and
    on the deploying machine the scripts' own environment variables (``RUNBOOK_SSH_CONFIG``)."""
    known = set(snippet.variables) | WELL_KNOWN
    if runs_on is RunsOn.local:  # the deploying machine's environment reaches local steps
        known |= set(ENVIRONMENT)
    return known


def _unknown(snippet: Snippet, runs_on: RunsOn | None) -> Iterator[tuple[Reference, str]]:
    known = readable(snippet, runs_on) | assigned(snippet.text)
    reported: set[str] = set()
    for ref in references(snippet.text):
        name = ref.name
        if ref.guarded or name in known or name in reported or not _UPPER.fullmatch(name):
            continue
        if name.startswith(WELL_KNOWN_PREFIXES):
            continue
        reported.add(name)
        if name in RUNTIME_VARIABLES:
            yield (
                ref,
                (
                    f"${name} is a runtime variable, set for step commands only: "
                    f"this {_what(snippet)} runs as written"
                ),
            )
            continue
        match = closest(name, known)
        if match:
            yield ref, f"unknown variable ${name} (did you mean ${match}?)"
        else:
            yield (
                ref,
                (
                    f"unknown variable ${name}: not a runtime variable and not set in this "
                    f"command (one the environment must provide is written ${{{name}:?}})"
                ),
            )


def _what(snippet: Snippet) -> str:
    return "checklist check" if snippet.path[0] == "checklists" else "diagnosis command"


@rule(
    "RB013",
    "known-variables",
    "Commands read only variables that are set",
    rationale="""
        Every command runs under `set -u`: a variable that is not set stops the script with
        "unbound variable", half-way through a deploy. Step commands may read the runtime
        variables (`$VERSION`, `$RELEASE_DIR`, ... on the runtime contract page), variables
        they set themselves, and those every shell has (`$HOME`, `$PATH`, `$USER`);
        checklist checks and diagnosis commands run as written, without the runtime
        variables. Any other upper-case `$NAME` is most likely a typo, and the finding names
        the closest known variable. A value the environment must provide is written
        `${NAME:?}` (or `${NAME:-default}`), which says so to the reader and is not a finding.
    """,
    example="""
        steps:
          tag:
            title: Tag the release
            command: git tag "$VERISON"
    """,
    fix="""
        steps:
          tag:
            title: Tag the release
            command: git tag "$VERSION"
    """,
)
def known_variables(rb: Runbook) -> Iterator[Hit]:
    for snippet in snippets(rb):
        step_id = str(snippet.path[1]) if snippet.path[0] == "steps" else None
        runs_on = rb.steps[step_id].runs_on if step_id else None
        for ref, message in _unknown(snippet, runs_on):
            yield Hit(snippet.path, message, step_id, at=(ref.line, ref.column))
