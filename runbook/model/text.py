"""What text from a runbook may hold, checked once when the model is validated.

Every text field has a length limit, so no renderer, lint rule or page ever works on more than
a bounded amount of text per field. Commands, titles and other one-line labels may not hold
invisible characters: bidirectional controls (U+202E turns ``rm -rf /tmp/x`` into something a
reviewer reads backwards) and zero-width characters make the site and the review show one
thing while the script runs another (the "Trojan source" class). Prose fields (``why``,
``description``) allow them explicitly, because right-to-left languages need the marks; prose
is never run.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

#: Longest prose, command or list item (the example's longest text is under 1,000 characters).
TEXT_MAX = 20_000
#: Longest title, name or other one-line label.
LABEL_MAX = 200
#: Largest integer bash arithmetic and `[ -lt ]` can compare (64-bit signed).
BASH_INT_MAX = 2**63 - 1

#: Format characters (Unicode category Cf: bidi controls, zero-width spaces and joiners, the
#: byte order mark, tag characters), Hangul fillers that render as nothing, and the line and
#: paragraph separators some viewers break lines at. ``tests/test_model_text.py`` proves that
#: every Cf character of this Python's Unicode database is in the class.
_INVISIBLE = re.compile(
    "[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u115f\u1160\u180e"
    "\u200b-\u200f\u2028-\u202e\u2060-\u206f\u3164\ufeff\uffa0\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001345f\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001-\U000e007f]"
)


def invisible(text: str) -> tuple[int, str] | None:
    """The first invisible character of ``text`` as (offset, character), or None."""
    match = _INVISIBLE.search(text)
    return (match.start(), match.group(0)) if match else None


def describe_char(char: str) -> str:
    """``U+202E (RIGHT-TO-LEFT OVERRIDE)``: a character named the way a reader can look up."""
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" ({name})" if name else "")


def _visible(value: str) -> str:
    found = invisible(value)
    if found is not None:
        offset, char = found
        raise ValueError(
            f"holds the invisible character {describe_char(char)} at character {offset + 1}: "
            "a reader would see something other than what is there"
        )
    return value


def _one_line(value: str) -> str:
    value = _visible(value)
    if "\n" in value or "\t" in value:
        raise ValueError("must be one line (it holds a line break or a tab)")
    return value


def _relative(value: str) -> str:
    value = _one_line(value)
    if value.startswith(("/", "\\", "~")) or re.match(r"[A-Za-z]:", value):
        raise ValueError("must be a path relative to this file, not an absolute one")
    return value


#: Prose for the reader: may be empty; invisible marks allowed (right-to-left text needs them).
Prose = Annotated[str, StringConstraints(max_length=TEXT_MAX)]
#: Prose that must say something.
Text = Annotated[str, StringConstraints(min_length=1, max_length=TEXT_MAX)]
#: A title, name or label: one line, nothing invisible.
Label = Annotated[
    str, StringConstraints(min_length=1, max_length=LABEL_MAX), AfterValidator(_one_line)
]
#: A one-line label that may be empty (a unit, a hint, a cadence).
ShortText = Annotated[str, StringConstraints(max_length=LABEL_MAX), AfterValidator(_one_line)]
#: A shell command, or text a script compares or shows verbatim: nothing invisible.
Code = Annotated[
    str, StringConstraints(min_length=1, max_length=TEXT_MAX), AfterValidator(_visible)
]
#: Code that may be empty.
OptionalCode = Annotated[str, StringConstraints(max_length=TEXT_MAX), AfterValidator(_visible)]
#: A file path relative to the runbook file (an ``include``).
RelativePath = Annotated[
    str, StringConstraints(min_length=1, max_length=1024), AfterValidator(_relative)
]
