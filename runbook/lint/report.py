"""How `runbook check` reports: text for people, JSON for tools, annotations for GitHub.

The report is built once (``CheckReport``) and turned into lines here; the CLI prints them.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field

from runbook.console import inert, inert_json
from runbook.errors import Problem
from runbook.lint.outputs import Issue

__all__ = [
    "CheckReport",
    "github_lines",
    "json_text",
    "problems_github",
    "problems_json",
    "shown_diff",
]


@dataclass
class CheckReport:
    """Everything one `runbook check` found, with what it looked at."""

    source: str
    issues: list[Issue] = field(default_factory=list)
    rules: int = 0
    generated: int = 0
    scripts: int = 0
    commands: int = 0
    playbooks: int = 0
    verified: bool = False
    #: Checks that ran on the monitoring files, and checks skipped for a missing tool.
    tools: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 1 if self.issues else 0

    def counts(self) -> dict[str, int]:
        by_kind = Counter(issue.kind for issue in self.issues)
        kinds = ["lint", "drift", "shellcheck", "monitoring", "history", "verify"]
        if self.playbooks:
            kinds.insert(3, "ansible")
        return {kind: by_kind.get(kind, 0) for kind in kinds}

    def summary(self) -> str:
        if not self.issues:
            parts = [
                f"{self.source} is valid",
                f"{self.rules} lint rules pass",
                f"{self.generated} generated files are up to date",
                f"shellcheck is clean on {self.scripts} scripts and {self.commands} commands",
            ]
            if self.tools:
                parts.append(f"{', '.join(self.tools)} pass")
            if self.playbooks:
                parts.append(f"Ansible's checks pass on {self.playbooks} playbooks")
            if self.verified:
                parts.append("the staging target verifies")
            return "; ".join(parts)
        counts = ", ".join(f"{n} {kind}" for kind, n in self.counts().items() if n)
        total = len(self.issues)
        return f"{total} problem{'s' if total != 1 else ''} in {self.source} ({counts})"


def json_text(report: CheckReport) -> str:
    """The report as one JSON document (stable keys, for tools and tests), inert in a CI log."""
    return _json(
        {
            "source": report.source,
            "ok": not report.issues,
            "exit_code": report.exit_code,
            "counts": report.counts(),
            "issues": [asdict(issue) for issue in report.issues],
            "notes": report.notes,
        },
        indent=2,
    )


def problems_json(source: str, problems: list[Problem]) -> str:
    """Unusable input, in the same JSON shape, with exit code 2."""
    issues = [
        {
            "kind": "invalid",
            "rule": "invalid",
            "message": p.message + (f" ({p.hint})" if p.hint else ""),
            "file": p.location.file if p.location else source,
            "line": p.location.line if p.location else None,
            "column": p.location.column if p.location else None,
            "path": p.path,
            "detail": "",
        }
        for p in problems
    ]
    counts = {"invalid": len(issues)}
    return _json(
        {"source": source, "ok": False, "exit_code": 2, "counts": counts, "issues": issues},
        indent=2,
    )


def _json(document: object, indent: int) -> str:
    return inert_json(json.dumps(document, indent=indent))


#: Diff lines shown per file on a terminal or in a CI log; JSON keeps the whole diff.
DIFF_LINES = 120


def shown_diff(detail: str, limit: int = DIFF_LINES) -> list[str]:
    """The first ``limit`` lines of a diff, and how many more there are."""
    lines = detail.splitlines()
    if len(lines) <= limit:
        return lines
    return [*lines[:limit], f"... {len(lines) - limit} more diff lines (`--format json` has all)"]


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(file: str, line: int | None, column: int | None, title: str, message: str) -> str:
    """One GitHub workflow command: `::error file=F,line=L,col=C,title=T::message`."""
    props = [f"file={_escape_property(file)}"]
    if line is not None:
        props.append(f"line={line}")
    if column is not None:
        props.append(f"col={column}")
    props.append(f"title={_escape_property(title)}")
    return f"::error {','.join(props)}::{_escape_data(message)}"


def github_lines(report: CheckReport) -> list[str]:
    """Annotations for every issue; a drift diff follows in a collapsed group."""
    lines = []
    for issue in report.issues:
        message = f"{issue.path}: {issue.message}" if issue.path else issue.message
        lines.append(annotation(issue.file, issue.line, issue.column, issue.rule, message))
        if issue.detail:
            diff = [inert(line) for line in shown_diff(issue.detail)]
            lines += [f"::group::diff {_escape_data(issue.file)}", *diff, "::endgroup::"]
    lines += [f"::notice title=skipped::{_escape_data(note)}" for note in report.notes]
    lines.append(inert(report.summary()))
    return lines


def problems_github(source: str, problems: list[Problem]) -> list[str]:
    """Unusable input as annotations."""
    lines = []
    for p in problems:
        loc = p.location
        message = str(Problem(p.message, None, p.path, p.hint))
        lines.append(
            annotation(
                loc.file if loc else source,
                loc.line if loc else None,
                loc.column if loc else None,
                "invalid runbook",
                message,
            )
        )
    return lines
