"""The one jinja2 environment of the site, its filters, and how links resolve per output.

Templates write markdown. Text from the YAML is untrusted as far as HTML goes: autoescape is
on and every ``{{ value }}`` passes through :func:`md_text`, which escapes what markdown would
read as HTML (``<`` opening a tag, ``&`` opening an entity, ``>`` opening a quote), as a
link or image (``](``, a ``[`` opening a reference definition, even inside a list item) or
as an attribute list (``{: onclick=...}``) outside backtick code spans (markdown escapes the
inside of code spans itself, so escaping there would show ``&lt;`` literally). Code spans are found with markdown's
own rule, and only while markdown is sure to see the same span: from one whose pairing
depends on what follows a line end (a new block may start there) or a ``|`` (a table cell may
end there), the text is escaped to its end. A step title ``<script>alert(1)</script>`` therefore shows as text.
Commands go through :func:`fence`, which picks a fence longer than any backtick run in the
command, so no command can close its own code block.

The same fragments render two outputs: the mkdocs site (``mode="site"``: one page per
section, attr_list anchors, admonitions) and the single file ``DEPLOYMENT-RUNBOOK.md``
(``mode="single"``: one document, HTML anchors and alerts a code host renders).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

Mode = Literal["site", "single"]
TEMPLATES = Path(__file__).parent / "templates"
#: Where Python-Markdown (and pymdownx.inlinehilite) looks for a code span: escaped
#: backslashes before a backtick, or an unescaped backtick.
_TICK = re.compile(r"(?<!\\)((?:\\{2})+)(?=`+)|(?<!\\)`")
#: Where markdown may end a paragraph (a line) or a table cell, cutting a code span short.
_BOUNDARY = re.compile(r"[\n|]")


_HTML_LIKE = re.compile(r"&(?=#?\w+;)|<(?=[A-Za-z/!?])")
_ATTR_LIST = re.compile(r"\{")
_QUOTE = re.compile(r"^(\s*)>", re.MULTILINE)
_LINK = re.compile(r"\]\(|\[(?=[^\[\]]*\][ ]*:)")  # a link, or a reference definition


def _escape_html(text: str, quote: bool = True) -> str:
    """Escape what markdown would take as HTML (a tag, an entity), a link or image (which
    could point off the machine or at ``javascript:``), or a quote marker.

    ``< 5 min`` and ``a & b`` stay as written, so the single file reads well as plain text.
    """
    text = _HTML_LIKE.sub(lambda m: "&amp;" if m.group(0) == "&" else "&lt;", text)
    text = _LINK.sub(lambda m: "]\\(" if m.group(0) == "](" else "\\[", text)
    text = _ATTR_LIST.sub(r"\\{", text)
    return _QUOTE.sub(r"\1&gt;", text) if quote else text


def _pair(text: str, begin: int) -> tuple[int, bool]:
    """Where markdown's ``find_code_spans`` ends the span opened at ``begin``, and whether it
    found one: the next run of as many backticks, else the first longest shorter run. For an
    unpaired opening it skips twice the opening's length; so do we, to stay in step."""
    opening = len(text[begin:]) - len(text[begin:].lstrip("`"))
    longest, longest_end = 0, 0
    for run in re.finditer(r"`+", text[begin + opening :]):
        size, end = len(run.group(0)), begin + opening + run.end()
        if size == opening:
            return end, True
        if size > longest:
            longest, longest_end = size, end
    if 0 < longest < opening:
        return longest_end, True
    return min(begin + 2 * opening, len(text)), False


def _code_spans(text: str) -> Iterator[tuple[int, int, bool]]:
    """What markdown's backtick pattern takes from ``text``, in order: ``(start, end, paired)``
    for each code span, or each unpaired opening and what it skips."""
    pos, escaped = 0, False
    while True:
        if not escaped:
            match = _TICK.search(text, pos)
            if match is None:
                return
            if match.group(1):  # escaped backslashes: the backtick after them opens a span
                pos, escaped = match.end(), True
                continue
            pos = match.start()
        escaped = False
        end, paired = _pair(text, pos)
        yield pos, end, paired
        pos = end


def md_text(value: Any, quote: bool = True) -> Any:
    """Escape HTML in YAML text, leaving backtick code spans for markdown to escape.

    ``quote=False`` leaves a leading ``>`` alone, for text that never starts a line.
    """
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    out: list[str] = []
    last = 0
    for start, end, paired in _code_spans(value):
        boundary = _BOUNDARY.search(value, start)
        stop = boundary.start() if boundary else len(value)
        if end > stop or _pair(value[:stop], start) != (end, paired):
            break  # a block or table cell may end before markdown's span does: escape the rest
        if not paired:
            continue
        out.append(_escape_html(value[last:start], quote))
        out.append(value[start:end])
        last = end
    out.append(_escape_html(value[last:], quote))
    return Markup("".join(out))


def cell(value: Any) -> Markup:
    """Text fit for one table cell: escaped, on one line, pipes escaped."""
    if not isinstance(value, Markup):  # one line first, so markdown sees the spans md_text sees
        value = " ".join(str(value if value is not None else "").split())
    text = str(md_text(value, quote=False))
    return Markup(" ".join(text.split()).replace("|", "\\|"))


def fence(command: str, lang: str = "bash") -> Markup:
    """A fenced code block that no backtick run in ``command`` can close."""
    longest = max((len(m) for m in re.findall(r"`+", command)), default=0)
    marks = "`" * max(3, longest + 1)
    return Markup(f"{marks}{lang}\n{command.rstrip()}\n{marks}")


def code(value: str) -> Markup:
    """An inline code span around any text, whatever backticks it holds."""
    longest = max((len(m) for m in re.findall(r"`+", value)), default=0)
    marks = "`" * (longest + 1)
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return Markup(f"{marks}{pad}{value}{pad}{marks}")


def mermaid_label(value: str) -> Markup:
    """Text safe inside a quoted mermaid node label."""
    text = re.sub(r"[<>\"`{}\[\]|#;]", " ", value)
    return Markup(" ".join(text.split()))


def yes_no(value: bool) -> str:
    """Yes or No, as the tables read."""
    return "Yes" if value else "No"


@dataclass(frozen=True)
class Linker:
    """Resolves a link to a page (and anchor) from the page being rendered, per output mode."""

    mode: Mode
    current: str

    def __call__(self, page: str, anchor: str | None = None) -> Markup:
        if self.mode == "single":
            return Markup("#" + (anchor or page_anchor(page)))
        if page == self.current:
            target = ""
        else:
            target = posixpath.relpath(page, posixpath.dirname(self.current) or ".")
        return Markup(target + (f"#{anchor}" if anchor else ""))

    def script(self, name: str, line: int) -> Markup:
        """Link to a line of a generated script: its listing page, or the file on a code host."""
        if self.mode == "single":
            return Markup(f"../../scripts/{name}#L{line}")
        return self(f"scripts/{name}.md", f"__codelineno-0-{line}")

    def anchor(self, anchor: str) -> Markup:
        """Heading suffix that gives it a stable id: attr_list (site) or an HTML anchor (single)."""
        if self.mode == "site":
            return Markup(f" {{ #{anchor} }}")
        return Markup(f' <a id="{anchor}"></a>')


def page_anchor(page: str) -> str:
    """The anchor a site page gets inside the single file."""
    return "page-" + page.removesuffix(".md").replace("/", "-")


def environment() -> Environment:
    """The jinja2 environment: autoescape on, YAML text escaped for markdown, strict undefined."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        finalize=md_text,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        cell=cell, fence=fence, code=code, mermaid_label=mermaid_label, yes_no=yes_no
    )
    return env


def render(env: Environment, template: str, mode: Mode, current: str, **context: Any) -> str:
    """Render one fragment for one output, with the link resolver and heading depth set."""
    depth = 0 if mode == "site" else 1
    text = env.get_template(template).render(
        mode=mode, link=Linker(mode, current), depth=depth, h=_heading(depth), **context
    )
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def _heading(depth: int) -> Any:
    def h(level: int) -> Markup:
        return Markup("#" * (level + depth))

    return h
