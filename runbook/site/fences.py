"""A markdown extension that keeps pymdownx.superfences linear on pages with many code blocks.

After finding the fenced blocks of a page, superfences puts each one back into the page's
list of lines by rebuilding the whole list once per block (``reassemble``), which is
quadratic: a page with 10,000 commands (the step library or the print page of a runbook with
10,000 steps) spent minutes there. This extension gives superfences' preprocessors a
``reassemble`` that builds the list once; the HTML is the same. It changes nothing else and
falls back to superfences' own when the blocks are not in order (which its scan never does).
"""

from __future__ import annotations

import itertools
import types
from typing import Any

from markdown import Extension, Markdown
from markdown.preprocessors import Preprocessor

__all__ = ["LinearFencesExtension", "makeExtension"]

#: The names under which superfences registers its block preprocessors.
_SUPERFENCES = ("fenced_code_block", "fenced_raw_block")


def reassemble(self: Any, lines: list[str]) -> list[str]:
    """The page's lines with each found block (``self.stack``) in place, in one pass."""
    blocks = list(self.stack)
    ordered = all(a[2] <= b[1] for a, b in itertools.pairwise(blocks))
    if not ordered or any(start > end for _, start, end in blocks):
        return type(self).reassemble(self, lines)  # type: ignore[no-any-return]
    self.stack.clear()
    out: list[str] = []
    at = 0
    for fenced, start, end in blocks:
        out += lines[at:start]
        out.append(fenced)
        at = end
    out += lines[at:]
    return out


class _Install(Preprocessor):  # type: ignore[misc]
    """Runs before superfences (every extension is loaded by then) and sets its reassemble."""

    def run(self, lines: list[str]) -> list[str]:
        for name in _SUPERFENCES:
            if name in self.md.preprocessors:
                found = self.md.preprocessors[name]
                if hasattr(type(found), "reassemble") and hasattr(type(found), "search_nested"):
                    found.reassemble = types.MethodType(reassemble, found)
        return lines


class LinearFencesExtension(Extension):  # type: ignore[misc]
    """Register the installer ahead of superfences' preprocessors (priorities 25 and 31.05)."""

    def extendMarkdown(self, md: Markdown) -> None:
        md.preprocessors.register(_Install(md), "runbook_linear_fences", 40)


def makeExtension(**kwargs: Any) -> LinearFencesExtension:
    return LinearFencesExtension(**kwargs)
