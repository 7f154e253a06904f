"""libyaml's parser and PyYAML's own load every file alike: the same data, the same positions
(text placements included), the same messages, and the same files accepted at all.

The loader parses with libyaml when it is installed (about 25 times faster) and lets PyYAML's
parser decide wherever the two could differ (see ``runbook.yamlsrc.compose``). Each case here
is loaded under both; the invalid runbooks of tests/invalid/ run under both too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import PARSERS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runbook import yamlsrc
from runbook.errors import RunbookError
from runbook.loader import load

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(PARSERS["libyaml"] is None, reason="no libyaml to compare")


def outcome(path: Path, parser: str, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, ...]:
    """What loading one file gives: its data and every position, or its error lines."""
    with monkeypatch.context() as patch:
        patch.setattr(yamlsrc, "_FAST_LOADER", PARSERS[parser])
        try:
            data, smap = yamlsrc.load_document(path, path.name)
        except RunbookError as exc:
            return ("error", exc.lines(limit=100))
    values = {p: (loc, loc.text) for p, loc in smap.values.items()}
    return ("loaded", data, values, smap.keys)


def both(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, ...]:
    fast, python = (outcome(path, p, monkeypatch) for p in ("libyaml", "python"))
    assert fast == python
    return fast


@pytest.mark.parametrize(
    "source", ["runbook.yaml", "examples/shop/runbook.yaml", "tests/data/minimal.yaml"]
)
def test_the_examples_load_alike(source: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert both(ROOT / source, monkeypatch)[0] == "loaded"


def test_the_example_is_parsed_by_libyaml_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast path is taken: PyYAML's parser is not asked about a file with no tab."""
    asked: list[str] = []
    monkeypatch.setattr(yamlsrc, "_FAST_LOADER", PARSERS["libyaml"])
    monkeypatch.setattr(yamlsrc, "_compose_python", lambda text, display: asked.append(display))
    assert load(ROOT / "runbook.yaml").runbook.steps
    assert asked == []


#: Text where libyaml and PyYAML's parser differ (the first three), or could: what is
#: accepted, the wording and place of each error, the columns of text after wide characters.
CASES: dict[str, tuple[str, str]] = {
    "tab-after-colon": ("a:\tb\n", "1:3: YAML syntax error: found character '\\t' that cannot"),
    "tab-in-header": ("a: |\t\n  x\n", "1:5: YAML syntax error: expected chomping or indentation"),
    "question-in-flow": ("a: [b?c]\n", "1:6: YAML syntax error: expected ',' or ']', but got '?'"),
    "colon-in-flow": ("a: [b:]\n", ""),
    "url-in-flow": ("a: {b: curl http://127.0.0.1/, c: [x:y]}\n", ""),
    "tab-in-text": ('a: "x\\ty"\nb: |\n  \tindented by a tab\n', ""),
    "mark-in-key": ("a\ufeffb: 1\nc: 2\n", ""),
    "mark-at-start": ("\ufeffa: 1\n", ""),
    "wide-characters": ("a: é€😀 x\nb: [é, 😀, {c: ü}]\nd: |\n  ééé\n", ""),
    "error-after-wide-characters": ("a: é€😀 x\nb: [1, 2\nc: 3\n", "3:2: YAML syntax error"),
    "error-past-a-quote": ('a: "x\nb: [1\nc: 2\nd: 3\ne: 4\n', "6:1: YAML syntax error"),
    "line-breaks": ("a: 1\r\nb: |\r\n  x\r\n  y\r\nc: 'x\u2028y'\nd: 2\x85e: 3\n", ""),
    "bad-indentation": ("a:\n  b: 1\n c: 2\n", "3:2: YAML syntax error: expected <block end>"),
    "unclosed-quote": ('a: "abc\nb: 1\n', "3:1: YAML syntax error: found unexpected end"),
    "two-documents": ("a: 1\n---\nb: 2\n", "2:1: a runbook file holds one YAML document"),
    "undefined-alias": ("a: &x 1\nb: *x\nc: *y\n", "3:4: YAML syntax error: found undefined alias"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_tricky_text_loads_alike(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text, error = CASES[name]
    path = tmp_path / "case.yaml"
    path.write_text(text, encoding="utf-8")
    result = both(path, monkeypatch)
    if error:
        assert result[0] == "error" and result[1][0].startswith(f"case.yaml:{error}")
    else:
        assert result[0] == "loaded"


EXAMPLE = (ROOT / "runbook.yaml").read_text(encoding="utf-8")
PIECES = [*":-[]{}'\"|>\n\t #&*!?,%@`\\", "  ", "\n  ", "---", "é€", "\r\n", "\x85", "\ufeff"]
PIECES += ["{a: [b, c]}", "[x?y, a:b]", "? ", "&a ", "*a", "<<: ", "|2-", ">+", "\u2028", "😀"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    start=st.integers(0, max(0, len(EXAMPLE) - 3000)),
    edits=st.lists(
        st.tuples(st.floats(0, 1), st.sampled_from(["insert", "delete", "replace"])),
        min_size=1,
        max_size=5,
    ),
    pieces=st.lists(st.sampled_from(PIECES), min_size=5, max_size=5),
)
def test_mutated_text_loads_alike(
    tmp_path_factory: pytest.TempPathFactory,
    start: int,
    edits: list[tuple[float, str]],
    pieces: list[str],
) -> None:
    chars = list(EXAMPLE[start : start + 3000])
    for (where, edit), piece in zip(edits, pieces, strict=False):
        at = int(where * (len(chars) - 1))
        if edit == "insert":
            chars.insert(at, piece)
        elif edit == "delete":
            del chars[at]
        else:
            chars[at] = piece
    path = tmp_path_factory.mktemp("mutated") / "case.yaml"
    path.write_text("".join(chars), encoding="utf-8")
    with pytest.MonkeyPatch.context() as monkeypatch:
        both(path, monkeypatch)


def test_libyaml_alone_would_differ() -> None:
    """Why PyYAML's parser decides these cases: libyaml alone accepts them."""
    for name in ("tab-after-colon", "tab-in-header", "question-in-flow"):
        assert isinstance(yaml.load(CASES[name][0], Loader=PARSERS["libyaml"]), dict)
