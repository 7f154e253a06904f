"""The one user-facing error type.

A ``RunbookError`` carries every problem found, each with its file, line, column, path in the
document and an optional hint. Nothing here prints: the CLI alone turns an error into output
and an exit code (2: the input cannot be used).

Exception tree::

    RunbookError            unusable input (exit 2): invalid runbook, unreadable file, bad usage
    └── TargetError         the staging target cannot be had (Docker missing, image build failed)
"""

from __future__ import annotations

from dataclasses import dataclass, field

SCREENFUL = 20


@dataclass(frozen=True)
class TextPlacement:
    """Where the lines of a text value are in its file (1-based, like ``Location``).

    ``line`` and ``column`` are those of the text's first character; ``one_to_one`` says
    whether each line of the text is a line of the file (a literal block, or text on one
    line), which folded and multi-line quoted text are not.
    """

    line: int
    column: int
    one_to_one: bool


@dataclass(frozen=True, order=True)
class Location:
    """A place in a source file, 1-based like editors show it.

    A text value's location also knows where the text's own lines are (``text``), so that a
    finding about the third line of a command is shown on that line of the file.
    """

    file: str
    line: int
    column: int
    text: TextPlacement | None = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    def in_text(self, line: int, column: int = 0) -> Location:
        """Where ``column`` of ``line`` (both from 0) of the text written here is in the file.

        Without one-to-one lines that is the text's first character; without a placement
        (not a text value), this location itself.
        """
        if self.text is None:
            return self
        if not self.text.one_to_one:
            return Location(self.file, self.text.line, self.text.column)
        return Location(self.file, self.text.line + line, self.text.column + column)


def one_line(text: str) -> str:
    """Escape control characters, so text from the input can never break a line of output."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input."""

    message: str
    location: Location | None = None
    path: str = ""
    hint: str = ""

    def __post_init__(self) -> None:
        for name in ("message", "path", "hint"):
            object.__setattr__(self, name, one_line(getattr(self, name)))

    def __str__(self) -> str:
        parts = []
        if self.location is not None:
            parts.append(str(self.location))
        if self.path:
            parts.append(self.path)
        text = self.message if not self.hint else f"{self.message} ({self.hint})"
        return ": ".join([*parts, text])

    def sort_key(self) -> tuple[str, int, int, str]:
        loc = self.location
        return (loc.file, loc.line, loc.column, self.message) if loc else ("", 0, 0, self.message)


class RunbookError(Exception):
    """Unusable input: one or more located problems. Exit code 2."""

    exit_code = 2

    def __init__(self, problems: list[Problem] | Problem | str) -> None:
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = sorted(problems, key=Problem.sort_key)
        super().__init__(str(self.problems[0]) if self.problems else "invalid input")

    def lines(self, limit: int = SCREENFUL) -> list[str]:
        """The problems as one line each, capped at ``limit`` with a count of the rest."""
        shown = [str(p) for p in self.problems[:limit]]
        rest = len(self.problems) - len(shown)
        if rest > 0:
            shown.append(f"... and {rest} more problem{'s' if rest != 1 else ''}")
        return shown


class TargetError(RunbookError):
    """The staging target cannot be had: Docker missing, image build failed, container down."""
