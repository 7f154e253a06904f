"""RB008: no secret is written literally in a command; commands reference the environment.

A runbook is published as a site, committed to a repository and copied into scripts, so a
password in a command leaks three times. The patterns are deliberately narrow: they look for a
value written out, and accept any value that starts with `$` (a variable reference).

Every repetition that could run on is bounded (a name part of 32 characters, a value of 256):
an unbounded one let a 128 KB command of near misses take minutes, each start scanning to the
end of the text; bounded, each start looks at a few hundred characters and a search is linear.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from runbook.lint.rule import Hit, rule
from runbook.model import Runbook
from runbook.yamlsrc import DocPath

_NOT_VAR = r"(?!\$)(?!<)"
_VALUE = rf"""["']?{_NOT_VAR}[^\s"'$;&|)]{{4,}}"""
_NAMES = (
    r"[A-Za-z_]{0,32}(?:password|passwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key"
    r"|client[_-]?secret)[A-Za-z_]{0,32}"
)

#: (what it is, pattern). Each pattern matches only a literal value, never `$NAME`.
PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a private key", re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----")),
    ("an AWS access key", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("a GitHub token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}\b")),
    ("a Slack token", re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}")),
    ("a bearer token", re.compile(rf"\bBearer\s+{_NOT_VAR}[A-Za-z0-9._~+/=-]{{8,}}", re.I)),
    (
        "a password in a URL",
        re.compile(
            rf"\b[a-z][a-z0-9+.-]{{0,32}}://[^\s/:@$]{{1,256}}:{_NOT_VAR}[^\s/@$]{{1,256}}@", re.I
        ),
    ),
    (
        "a password in a --user option",
        re.compile(
            rf"""(?:\s-u|--user)[\s=]{{1,8}}["']?[^\s:$"']{{1,256}}:{_NOT_VAR}[^\s"'$]{{3,}}"""
        ),
    ),
    ("a password for sshpass", re.compile(rf"""\bsshpass\s+-p\s*["']?{_NOT_VAR}[^\s"'$]{{3,}}""")),
    ("a literal secret", re.compile(rf"(?<![\w-]){_NAMES}\s{{0,8}}[=:]\s{{0,8}}{_VALUE}", re.I)),
    ("a literal secret", re.compile(rf"--{_NAMES}(?:=|\s+){_VALUE}", re.I)),
)


def find_secret(text: str) -> str | None:
    """What kind of secret ``text`` writes out literally, or None."""
    for what, pattern in PATTERNS:
        if pattern.search(text):
            return what
    return None


def _commands(rb: Runbook) -> Iterator[tuple[DocPath, str, str | None]]:
    """Every command the runbook holds: (path, text, step id when it is a step's)."""
    for sid, step in rb.steps.items():
        if step.command:
            yield ("steps", sid, "command"), step.command, sid
    for cid, checklist in rb.checklists.items():
        for i, item in enumerate(checklist.items):
            if item.check:
                yield ("checklists", cid, "items", i, "check"), item.check, None
    for gid, group in rb.commands.items():
        for i, command in enumerate(group.commands):
            yield ("commands", gid, "commands", i, "command"), command.command, None
    for eid, emergency in rb.emergencies.items():
        for i, command in enumerate(emergency.diagnosis):
            yield ("emergencies", eid, "diagnosis", i, "command"), command.command, None


@rule(
    "RB008",
    "no-literal-secrets",
    "No secret is written literally in a command",
    rationale="""
        The runbook is published as a site, committed to a repository and copied into the
        generated scripts: a secret written in a command leaks everywhere at once and cannot
        be rotated without editing the runbook. Step commands, checklist checks, useful
        commands and diagnosis commands must read secrets from environment variables,
        written `${DB_PASSWORD:?}` so that an unset one stops the command with its name
        (rule RB013). The rule flags assignments and options such as `password=...`,
        `--token ...`, `API_KEY=...` whose value is not a `$` reference, bearer tokens,
        URLs with a password (`mysql://app:pw@db`), AWS access key ids, GitHub and Slack
        tokens, and private key headers.
    """,
    example="""
        steps:
          notify:
            command: 'curl -H "Authorization: Bearer 9f8e7d6c5b4a" https://chat.example.com/hook'
    """,
    fix="""
        steps:
          notify:
            command: 'curl -H "Authorization: Bearer ${CHAT_TOKEN:?}" https://chat.example.com/hook'
    """,
)
def no_literal_secrets(rb: Runbook) -> Iterator[Hit]:
    for path, text, step_id in _commands(rb):
        what = find_secret(text)
        if what:
            yield Hit(
                path,
                f"{what} is written in this command; read it from an environment variable instead",
                step_id,
            )
