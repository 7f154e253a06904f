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

import bisect
import posixpath
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from runbook.cache import template_cache

Mode = Literal["site", "single"]
TEMPLATES = Path(__file__).parent / "templates"
#: Where markdown may end a paragraph (a line) or a table cell, cutting a code span short.
_BOUNDARY = re.compile(r"[\n|]")
#: Every character md_text may change or must look at: without one, a text is kept as it is.
_SPECIAL = re.compile(r"[`<&\[\]{>\\]")


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


_RUN = re.compile(r"`+")
#: A backtick as an HTML entity: shown as "`" by every renderer, never a code span delimiter.
_TICK_ENTITY = "&#96;"


@dataclass(frozen=True)
class _Runs:
    """The backtick runs of a text, indexed so that each lookup is a binary search.

    Markdown (Python-Markdown's ``find_code_spans`` and CommonMark alike) closes a code span
    at the next run of exactly as many backticks, counting backticks a backslash precedes.
    """

    starts: list[int]
    ends: list[int]
    by_length: dict[int, list[int]]

    @classmethod
    def of(cls, text: str) -> _Runs:
        starts: list[int] = []
        ends: list[int] = []
        by_length: dict[int, list[int]] = {}
        for index, run in enumerate(_RUN.finditer(text)):
            starts.append(run.start())
            ends.append(run.end())
            by_length.setdefault(run.end() - run.start(), []).append(index)
        return cls(starts, ends, by_length)

    def closer(self, after: int, length: int) -> int | None:
        """Index of the first run after run ``after`` that is ``length`` backticks long."""
        candidates = self.by_length.get(length, [])
        found = bisect.bisect_right(candidates, after)
        return candidates[found] if found < len(candidates) else None


def _backslashes_before(text: str, pos: int, floor: int) -> int:
    count = 0
    while pos - count - 1 >= floor and text[pos - count - 1] == "\\":
        count += 1
    return count


def md_text(value: Any, quote: bool = True) -> Any:
    """Escape HTML in YAML text, leaving backtick code spans for markdown to escape.

    A code span stays only when markdown is sure to pair it as we do: closed by the next run of
    as many backticks, before any line end (a new block may start there) or ``|`` (a table
    cell may end there). Every other backtick that could open a span becomes ``&#96;``, so no
    span can reach into the text around the value and nothing depends on how a renderer pairs
    leftovers. One pass with binary searches: linear in practice, however many backticks.

    ``quote=False`` leaves a leading ``>`` alone, for text that never starts a line.
    """
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    if not _SPECIAL.search(value):  # most titles and notes: nothing to escape
        return Markup(value)
    runs = _Runs.of(value)
    boundaries = [m.start() for m in _BOUNDARY.finditer(value)]
    out: list[str] = []
    last = index = 0
    while index < len(runs.starts):
        start, end = runs.starts[index], runs.ends[index]
        opening = start + _backslashes_before(value, start, last) % 2  # `\`` is a plain tick
        length = end - opening
        closer = runs.closer(index, length) if length else None
        if length and closer is not None:
            cut = bisect.bisect_right(boundaries, opening)
            if cut == len(boundaries) or boundaries[cut] >= runs.ends[closer]:
                out += [
                    _escape_html(value[last:opening], quote),
                    value[opening : runs.ends[closer]],
                ]
                last, index = runs.ends[closer], closer + 1
                continue
        out += [_escape_html(value[last:opening], quote), _TICK_ENTITY * length]
        last, index = end, index + 1
    tail = _escape_html(value[last:], quote)
    if _backslashes_before(tail, len(tail), 0) % 2:  # would escape what the template writes next
        tail = tail[:-1] + "&#92;"
    out.append(tail)
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
    """An inline code span around any text, whatever backticks it holds.

    Line breaks become spaces first: a blank line would end the paragraph and the span with it,
    leaving the rest of the text outside any code span, unescaped.
    """
    value = " ".join(value.split()) or " "
    longest = max((len(m) for m in re.findall(r"`+", value)), default=0)
    marks = "`" * (longest + 1)
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return Markup(f"{marks}{pad}{value}{pad}{marks}")


def code_cell(value: str) -> Markup:
    """A code span fit for one table cell; text with a ``|`` (which ends a cell on some code
    hosts even inside a span) is shown as escaped text instead."""
    return cell(value) if "|" in value else code(value)


#: Link targets a page may hold besides its own pages: a phone number, an email address, an
#: https URL, each of a shape that no markdown or HTML can hide in.
SAFE_HREF = re.compile(
    r"^(?:tel:\+?[0-9]{3,20}|mailto:[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,253}"
    r"|https://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~/?=&%+-]*)?)$"
)


def external_link(text: Any, href: str | None) -> Markup:
    """``[text](href)`` for a ``tel:``, ``mailto:`` or https target of a safe shape; the text
    alone otherwise. The text is escaped like a table cell, and its brackets become entities
    so that none can end the link text early."""
    label = str(cell(text)).replace("\\[", "&#91;").replace("[", "&#91;").replace("]", "&#93;")
    if href is None or not SAFE_HREF.match(href):
        return Markup(label)
    return Markup(f"[{label}]({href})")


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


@cache
def environment(templates: Path = TEMPLATES) -> Environment:
    """The jinja2 environment of every markdown page: autoescape on, every value that is not
    already markup escaped for markdown by the ``finalize`` hook (:func:`md_text`), strict
    undefined. The lint rules' pages use it too, with their own ``templates`` folder.

    Built once per folder, so each template is compiled once however many outputs use it."""
    env = Environment(
        loader=FileSystemLoader(str(templates)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        finalize=md_text,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        bytecode_cache=template_cache(__file__),
    )
    env.filters.update(
        cell=cell,
        code=code,
        code_cell=code_cell,
        external_link=external_link,
        fence=fence,
        mermaid_label=mermaid_label,
        yes_no=yes_no,
    )
    return env


def render(
    env: Environment,
    template: str,
    mode: Mode,
    current: str,
    depth: int | None = None,
    **context: Any,
) -> str:
    """Render one fragment for one output, with the link resolver and heading depth set.

    ``depth`` shifts every heading down (1: a page's title becomes ``##``); by default 0 for
    a site page, 1 in the single file, where the document has its own title.
    """
    depth = depth if depth is not None else (0 if mode == "site" else 1)
    text = env.get_template(template).render(
        mode=mode, link=Linker(mode, current), depth=depth, h=_heading(depth), **context
    )
    return _tidy(text)


_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")


def _tidy(text: str) -> str:
    """The blank lines the template's control blocks leave, collapsed: never more than one
    in a row, outside code blocks. Inside one (a command, a script listing) every line is
    kept, so a listing's line numbers are the script's."""
    out: list[str] = []
    closing = ""
    for line in text.strip().split("\n"):
        if closing:
            closing = "" if line.strip() == closing else closing
        elif match := _FENCE.match(line):
            closing = match.group(1)
        elif not line and out and not out[-1]:
            continue
        out.append(line)
    return "\n".join(out) + "\n"


def _heading(depth: int) -> Any:
    def h(level: int) -> Markup:
        return Markup("#" * (level + depth))

    return h
