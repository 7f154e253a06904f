"""The escaping and link helpers every site template relies on."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import markdown
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runbook.loader import load
from runbook.site.pages import pages
from runbook.site.render import (
    Linker,
    _tidy,
    cell,
    code,
    environment,
    fence,
    md_text,
    mermaid_label,
)
from scripts_gen import render_scripts

ROOT = Path(__file__).resolve().parents[1]

#: What a page of the site renders YAML text with (mkdocs.yml's extensions).
EXTENSIONS = [
    "admonition",
    "attr_list",
    "tables",
    "toc",
    "pymdownx.details",
    "pymdownx.highlight",
    "pymdownx.inlinehilite",
    "pymdownx.superfences",
    "pymdownx.tasklist",
]
PIECES = [
    "`", "``", "```", "\\`", "\\\\`", "\\", "|", "\n", "\n\n", " ", "x", ">", "#", "- ",
    "<b>", "<img src=x onerror=alert(1)>", "&#60;", "{: onclick=alert(1) }", "{ #id }",
    "[a]: javascript:alert(1)\n", "[x][a]", "](javascript:alert(1))", "<http://x.test>",
    "![i](http://x.test/i.png)", "**b**", "\n--|--\n", "\n1. ", "\n    ",
]  # fmt: skip
CONTEXTS = [
    "{}",
    "- {}",
    "### 1. {} {{ #anchor }}",
    "| a |\n|---|\n| {} |",
    '!!! warning "Dangerous step"\n\n    {}',
]
ALLOWED_TAGS = {
    "p", "code", "strong", "em", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "hr",
    "table", "thead", "tbody", "tr", "th", "td", "blockquote", "pre", "span", "div", "br",
    "details", "summary", "label", "input",
}  # fmt: skip


class _Tags(HTMLParser):
    """Every element, attribute or comment the HTML holds that YAML text must not create."""

    def __init__(self) -> None:
        super().__init__()
        self.unsafe: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {k for k, _ in attrs}
        href = dict(attrs).get("href") or "#"
        if tag == "a" and href.startswith("#") and names <= {"href", "class", "title"}:
            return
        if tag not in ALLOWED_TAGS or names - {"id", "class", "title", "type", "disabled"}:
            self.unsafe.append(f"<{tag} {attrs}>")

    def handle_comment(self, data: str) -> None:
        self.unsafe.append(f"<!--{data}-->")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<script>alert(1)</script>", "&lt;script>alert(1)&lt;/script>"),
        ("<!-- x -->", "&lt;!-- x -->"),
        ("a &amp; b &#60;", "a &amp;amp; b &amp;#60;"),
        ("a & b < 5 min", "a & b < 5 min"),
        ("> quoted\nnot > quoted", "&gt; quoted\nnot > quoted"),
        ("keep `<raw>` in code", "keep `<raw>` in code"),
        ("``a ` b`` then <b>", "``a ` b`` then &lt;b>"),
        ("plain", "plain"),
        ("a [x](javascript:alert(1))", "a [x]\\(javascript:alert(1))"),
        ("![i](https://cdn.test/i.png)", "![i]\\(https://cdn.test/i.png)"),
        ("[ref]: https://x.test", "\\[ref]: https://x.test"),
        ("see [P0] now", "see [P0] now"),
        ("run it [VERSION]", "run it [VERSION]"),
        ("- [ref]: javascript:x", "- \\[ref]: javascript:x"),
        ("**x**{: onclick=alert(1) }", "**x**\\{: onclick=alert(1) }"),
        ("keep `${VERSION}` in code", "keep `${VERSION}` in code"),
        # a span stays only where markdown closes it: the next run of as many backticks
        ("`a``<b>`", "`a``<b>`"),
        ("`<b>``x", "&#96;&lt;b>&#96;&#96;x"),
        ("``<b>` <i>`", "&#96;&#96;&lt;b>` <i>`"),
        # escaped backslashes before a backtick leave it free to open a span
        ("``\\\\`<b>`", "&#96;&#96;\\\\`<b>`"),
        # a span that a line end or a table cell could cut short is no span: its ticks are
        # entities, so nothing around the value can pair with them
        ("`a\n<b>`", "&#96;a\n&lt;b>&#96;"),
        ("`a|<b>` `<i>`", "&#96;a|&lt;b>` `&lt;i>&#96;"),
        ("``x\n`<b>`", "&#96;&#96;x\n`<b>`"),
        ("a ` (check: ", "a &#96; (check: "),
        ("ends in a backslash \\", "ends in a backslash &#92;"),
    ],
)
def test_md_text_escapes_html_outside_code_spans(text: str, expected: str) -> None:
    assert str(md_text(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("a | b", "a \\| b"), ("two\nlines", "two lines"), ("<i>", "&lt;i>"), (None, "")],
)
def test_cell_is_one_escaped_line(text: str | None, expected: str) -> None:
    assert str(cell(text)) == expected


@pytest.mark.parametrize(
    ("command", "marks"),
    [("echo hi", "```"), ("echo ```", "````"), ("a ````` b", "``````")],
)
def test_fence_is_longer_than_any_backtick_run(command: str, marks: str) -> None:
    block = str(fence(command))
    assert block.startswith(marks + "bash\n")
    assert block.endswith("\n" + marks)
    assert block.count("\n") == 2


@pytest.mark.parametrize(
    ("text", "expected"), [("x", "`x`"), ("a`b", "``a`b``"), ("`x", "`` `x ``")]
)
def test_code_span_holds_any_backticks(text: str, expected: str) -> None:
    assert str(code(text)) == expected


def test_mermaid_label_drops_syntax_characters() -> None:
    assert str(mermaid_label('Deploy "now" <b>[x]</b>')) == "Deploy now b x /b"


@pytest.mark.parametrize(
    ("mode", "current", "page", "anchor", "expected"),
    [
        ("site", "procedures/a.md", "steps.md", "step-x", "../steps.md#step-x"),
        ("site", "steps.md", "procedures/a.md", None, "procedures/a.md"),
        ("site", "steps.md", "steps.md", "step-x", "#step-x"),
        ("single", "steps.md", "procedures/a.md", None, "#page-procedures-a"),
        ("single", "steps.md", "procedures/a.md", "a-x", "#a-x"),
    ],
)
def test_linker_resolves_per_output(
    mode: str, current: str, page: str, anchor: str | None, expected: str
) -> None:
    assert str(Linker(mode, current)(page, anchor)) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("site", "../scripts/deploy.sh.md#__codelineno-0-42"),
        ("single", "../../scripts/deploy.sh#L42"),
    ],
)
def test_script_line_links(mode: str, expected: str) -> None:
    assert str(Linker(mode, "procedures/a.md").script("deploy.sh", 42)) == expected  # type: ignore[arg-type]


def test_templates_escape_yaml_text_and_keep_commands_raw() -> None:
    template = environment().from_string("# {{ title }}\n\n{{ command|fence }}\n")
    out = template.render(title="<script>x</script>", command="echo '<ok>' && true")
    assert "# &lt;script>x&lt;/script>" in out
    assert "echo '<ok>' && true" in out


@settings(max_examples=300, deadline=None)
@given(
    pieces=st.lists(st.sampled_from(PIECES), min_size=1, max_size=14),
    context=st.sampled_from(CONTEXTS),
    as_cell=st.booleans(),
)
def test_no_yaml_text_becomes_html_in_a_real_markdown_render(
    pieces: list[str], context: str, as_cell: bool
) -> None:
    """Whatever the text, markdown (with the site's extensions) makes no tag, attribute or link."""
    text = "".join(pieces)
    escaped = str(cell(text) if as_cell else md_text(text))
    if not as_cell:
        escaped = escaped.replace("\n", "\n    ") if context.startswith("!!!") else escaped
    source = ("| a |\n|---|\n| {} |" if as_cell else context).format(escaped)
    parser = _Tags()
    parser.feed(markdown.markdown(source, extensions=EXTENSIONS))
    assert parser.unsafe == [], source


@pytest.mark.parametrize(
    ("text", "tidy"),
    [
        ("a\n\n\n\nb\n", "a\n\nb\n"),
        ("a\n\n\n```bash\nx\n\n\n\ny\n```\n\n\nb", "a\n\n```bash\nx\n\n\n\ny\n```\n\nb\n"),
        ("````bash\nx\n```\n\n\ny\n````\n\n\nb", "````bash\nx\n```\n\n\ny\n````\n\nb\n"),
        (
            "- item\n    ```bash\n    x\n\n\n    ```\n\n\nb",
            "- item\n    ```bash\n    x\n\n\n    ```\n\nb\n",
        ),
    ],
)
def test_blank_lines_collapse_outside_code_blocks_only(text: str, tidy: str) -> None:
    """A script listing keeps every line, so its line numbers are the script's."""
    assert _tidy(text) == tidy


def test_a_script_listing_holds_the_script_line_for_line() -> None:
    loaded = load(ROOT / "runbook.yaml")
    site = pages(loaded)
    for name, text in render_scripts(loaded).items():
        assert text.rstrip("\n") in site[f"scripts/{name}.md"], name
