"""Superfences in linear time: the same HTML as superfences alone, for any mix of blocks."""

from __future__ import annotations

import markdown
import pytest

from runbook.site import fences

EXTENSIONS = ["admonition", "pymdownx.details", "pymdownx.highlight", "pymdownx.superfences"]

PAGES = [
    "no code at all\n",
    "text\n\n```bash\necho 1\n```\n\nmore\n\n```bash\necho 2\n\n\necho 3\n```\n",
    "> quoted\n>\n> ```bash\n> echo q\n> ```\n\n````md\n```bash\nnested\n```\n````\n",
    "- item\n\n    ```bash\n    echo in a list\n    ```\n\n!!! note\n\n    ```yaml\n    a: 1\n    ```\n",
    "```bash\nunclosed\n",
    "".join(f"## step {i}\n\n```bash\necho {i}\n```\n\n" for i in range(300)),
]


@pytest.mark.parametrize("page", PAGES)
def test_the_html_is_superfences_own(page: str) -> None:
    plain = markdown.markdown(page, extensions=EXTENSIONS)
    linear = markdown.markdown(page, extensions=[*EXTENSIONS, "runbook.site.fences"])
    assert linear == plain


def test_superfences_uses_the_linear_reassemble(monkeypatch: pytest.MonkeyPatch) -> None:
    """The extension is really in the path: every block of the page goes through it."""
    calls: list[int] = []
    original = fences.reassemble

    def counted(self: object, lines: list[str]) -> list[str]:
        calls.append(len(self.stack))  # type: ignore[attr-defined]
        return original(self, lines)

    monkeypatch.setattr(fences, "reassemble", counted)
    markdown.markdown(PAGES[-1], extensions=[*EXTENSIONS, "runbook.site.fences"])
    assert sum(calls) == 300
