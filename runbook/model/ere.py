"""POSIX extended regular expressions, as the generated scripts' ``[[ $VERSION =~ $pattern ]]``
reads them (glibc ``regcomp`` with ``REG_EXTENDED``), checked when the runbook is validated.

Python's ``re`` accepts a superset that bash reads differently: ``\\d`` is a plain ``d`` to
bash, so a ``tag_pattern`` of ``^v\\d+`` passed validation and then refused every tag. Back-
references are refused too: they are the one ERE feature glibc matches by backtracking, which
takes exponential time on a crafted version. Repetition counts are bounded, so a pattern cannot
compile into an enormous automaton. What remains matches in time linear in the version.
"""

from __future__ import annotations

import re

__all__ = ["MAX_REPEAT", "check_ere"]

#: Largest count in ``{m,n}``.
MAX_REPEAT = 255
_PERL = {
    "d": "[0-9]",
    "D": "[^0-9]",
    "w": "[[:alnum:]_]",
    "W": "[^[:alnum:]_]",
    "s": "[[:space:]]",
    "S": "[^[:space:]]",
}
_LITERAL_ESCAPES = set("^.[]$()|*+?{}\\/-")
_CLASSES = {
    "alnum", "alpha", "blank", "cntrl", "digit", "graph",
    "lower", "print", "punct", "space", "upper", "xdigit",
}  # fmt: skip
_INTERVAL = re.compile(r"\{([0-9]{1,6})(,([0-9]{0,6}))?\}")


class _Scanner:
    """Walks a pattern once, left to right; every refusal names what bash would do instead."""

    def __init__(self, pattern: str) -> None:
        self.p = pattern
        self.i = 0
        self.depth = 0
        self.repeatable = False  # whether a repetition may follow what was just read

    def fail(self, message: str) -> ValueError:
        return ValueError(f"not a POSIX extended regular expression (bash's =~): {message}")

    def run(self) -> None:
        p = self.p
        while self.i < len(p):
            c = p[self.i]
            if c == "\\":
                self._escape()
            elif c == "[":
                self._bracket()
            elif c == "(":
                self._open()
            elif c == ")":
                if self.depth == 0:
                    raise self.fail(f"unbalanced ')' at character {self.i + 1}")
                self.depth -= 1
                self.i += 1
                self.repeatable = True
            elif c in "*+?{":
                self._repeat()
            else:  # a literal, `.`, or `^ $ |`, after which nothing may repeat
                self.repeatable = c not in "^$|"
                self.i += 1
        if self.depth:
            raise self.fail("unbalanced '('")

    def _escape(self) -> None:
        if self.i + 1 >= len(self.p):
            raise self.fail("it ends with a lone backslash")
        e = self.p[self.i + 1]
        if e.isdigit():
            raise self.fail(f"'\\{e}' is a back-reference, which can take exponential time")
        if e in _PERL:
            raise self.fail(
                f"'\\{e}' is Python's syntax and a plain '{e}' to bash: write {_PERL[e]}"
            )
        if e not in _LITERAL_ESCAPES:
            raise self.fail(f"'\\{e}' is not an escape bash knows")
        self.i += 2
        self.repeatable = True

    def _open(self) -> None:
        if self.p.startswith("(?", self.i):
            raise self.fail(
                "'(?' (a lookaround, a non-capturing or named group, or a flag) is Python's syntax"
            )
        self.depth += 1
        self.i += 1
        self.repeatable = False

    def _repeat(self) -> None:
        start = self.i
        if not self.repeatable:
            raise self.fail(f"'{self.p[start]}' at character {start + 1} repeats nothing")
        if self.p[start] == "{":
            match = _INTERVAL.match(self.p, start)
            if match is None:
                raise self.fail("'{' must start a count such as {1,3} (write \\{ for a brace)")
            low = int(match.group(1))
            high = low if match.group(2) is None else int(match.group(3) or MAX_REPEAT)
            if low > high or high > MAX_REPEAT:
                raise self.fail(f"a count must be in order and at most {MAX_REPEAT}")
            self.i = match.end()
        else:
            self.i += 1
        if self.i < len(self.p) and self.p[self.i] in "*+?{":
            raise self.fail(
                f"'{self.p[start : self.i + 1]}' repeats a repetition (lazy or possessive "
                "repetition is Python's syntax)"
            )
        self.repeatable = False

    def _bracket(self) -> None:
        p, j = self.p, self.i + 1
        if p.startswith("^", j):
            j += 1
        if p.startswith("]", j):
            j += 1
        previous = ""
        while j < len(p) and p[j] != "]":
            if p.startswith(("[:", "[.", "[="), j):
                close = p.find(p[j + 1] + "]", j + 2)
                if close < 0:
                    raise self.fail(f"unterminated '{p[j : j + 2]}' in a bracket expression")
                if p[j + 1] == ":" and p[j + 2 : close] not in _CLASSES:
                    raise self.fail(f"unknown character class '{p[j : close + 2]}'")
                j, previous = close + 2, ""
                continue
            if p[j] == "\\":
                raise self.fail(
                    "a backslash inside [...] is a plain backslash to bash: "
                    "use [[:digit:]] or put the character itself in the brackets"
                )
            if p[j] == "-" and previous and j + 1 < len(p) and p[j + 1] != "]":
                if ord(p[j + 1]) < ord(previous):
                    raise self.fail(f"the range '{previous}-{p[j + 1]}' is reversed")
                j, previous = j + 2, ""
                continue
            previous = p[j]
            j += 1
        if j >= len(p):
            raise self.fail("unterminated '['")
        self.i = j + 1
        self.repeatable = True


def check_ere(pattern: str) -> str:
    """Return ``pattern`` when bash reads it as intended; raise ValueError saying why not."""
    _Scanner(pattern).run()
    return pattern
