"""The escaping and link helpers every site template relies on."""

from __future__ import annotations

import pytest

from runbook.site.render import Linker, cell, code, environment, fence, md_text, mermaid_label


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
