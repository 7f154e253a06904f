"""What text and numbers a runbook may hold: lengths, invisible characters, bash's ranges.

Each case edits the minimal runbook in one place and expects one located line naming the field.
"""

from __future__ import annotations

import re
import subprocess
import sys
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from runbook.errors import RunbookError
from runbook.loader import load
from runbook.model.ere import check_ere
from runbook.model.text import BASH_INT_MAX, LABEL_MAX, TEXT_MAX, invisible

MINIMAL = Path(__file__).parent / "data" / "minimal.yaml"
Edit = Callable[[dict[str, Any]], None]


def _problems(tmp_path: Path, edit: Edit) -> list[str]:
    data = yaml.safe_load(MINIMAL.read_text())
    edit(data)
    path = tmp_path / "runbook.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, width=10**9), encoding="utf-8")
    with pytest.raises(RunbookError) as info:
        load(path)
    return [str(p) for p in info.value.problems]


def _step(**values: Any) -> Edit:
    return lambda data: data["steps"]["build"].update(values)


RLO = "\u202e"
ZWSP = "\u200b"


@pytest.mark.parametrize(
    ("edit", "path", "message"),
    [
        (_step(command=f"echo ok{RLO}#/ fr- mr"), "steps.build.command", "U+202E (RIGHT-TO-LEFT OVERRIDE)"),
        (_step(command=f"rm{ZWSP} -rf /tmp/x"), "steps.build.command", "U+200B (ZERO WIDTH SPACE)"),
        (_step(title=f"Build{RLO}"), "steps.build.title", "U+202E"),
        (lambda d: d["procedures"]["deploy-staging"].update(title=f"Deploy{ZWSP}"), "procedures.deploy-staging.title", "U+200B"),
        (lambda d: d["checklists"]["before"]["items"][0].update(check=f"make{RLO} test"), "checklists.before.items[0].check", "U+202E"),
        (lambda d: d["emergencies"]["app-down"]["diagnosis"][0].update(command="ps\u2066 aux"), "emergencies.app-down.diagnosis[0].command", "U+2066"),
        (lambda d: d["service"].update(name="demo\ufeff"), "service.name", "U+FEFF"),
    ],
)  # fmt: skip
def test_invisible_characters_in_commands_and_titles_are_located_errors(
    tmp_path: Path, edit: Edit, path: str, message: str
) -> None:
    lines = _problems(tmp_path, edit)
    assert len(lines) == 1, lines
    assert f": {path}: holds the invisible character {message}" in lines[0]
    assert re.match(r".*runbook\.yaml:[0-9]+:[0-9]+: ", lines[0])


def test_an_invisible_character_in_a_step_id_is_an_invalid_id(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["steps"][f"build{ZWSP}"] = data["steps"].pop("build")

    lines = _problems(tmp_path, edit)
    assert any("steps.build\\u200b: invalid id 'build\\u200b'" in line for line in lines), lines


def test_prose_may_hold_right_to_left_marks(tmp_path: Path) -> None:
    data = yaml.safe_load(MINIMAL.read_text())
    data["steps"]["build"]["why"] = "\u05e9\u05dc\u05d5\u05dd\u200f (shalom)"
    path = tmp_path / "runbook.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert load(path).runbook.steps["build"].why.startswith("\u05e9")


def test_every_format_character_of_unicode_is_refused() -> None:
    missing = [
        f"U+{cp:04X}"
        for cp in range(sys.maxunicode + 1)
        if unicodedata.category(chr(cp)) == "Cf" and invisible(chr(cp)) is None
    ]
    assert missing == []


@pytest.mark.parametrize(
    ("edit", "path", "message"),
    [
        (_step(title="x" * (LABEL_MAX + 1)), "steps.build.title", f"at most {LABEL_MAX} characters"),
        (_step(why="x" * (TEXT_MAX + 1)), "steps.build.why", f"at most {TEXT_MAX} characters"),
        (_step(command="x" * (TEXT_MAX + 1)), "steps.build.command", f"at most {TEXT_MAX} characters"),
        (_step(title="Build\nnow"), "steps.build.title", "must be one line"),
        (lambda d: d["service"].update(name="demo\n::error::x"), "service.name", "must be one line"),
        (lambda d: d["environments"]["staging"].update(tag_pattern="v" * 257), "environments.staging.tag_pattern", "at most 256 characters"),
    ],
)  # fmt: skip
def test_text_fields_have_length_limits(
    tmp_path: Path, edit: Edit, path: str, message: str
) -> None:
    lines = _problems(tmp_path, edit)
    assert len(lines) == 1, lines
    assert f": {path}: " in lines[0] and message in lines[0], lines[0]


@pytest.mark.parametrize(
    ("edit", "path", "message"),
    [
        (_step(expect={"file": {"path": "$BACKUP_FILE", "min_bytes": 10**20}}), "steps.build.expect.file.min_bytes", f"at most {BASH_INT_MAX}"),
        (lambda d: d.update(backups={"min_bytes": 2**63}), "backups.min_bytes", f"at most {BASH_INT_MAX}"),
        (lambda d: d["escalation"][0].update(after_minutes=2**64), "escalation[0].after_minutes", f"at most {BASH_INT_MAX}"),
        (lambda d: d["procedures"]["deploy-staging"].update(target_minutes=float("inf")), "procedures.deploy-staging.target_minutes", "finite"),
        (lambda d: d["monitoring"]["metrics"]["errors"].update(warning=float("nan")), "monitoring.metrics.errors.warning", "finite"),
        (lambda d: d.update(performance=[{"title": "T", "comparison": "<", "value": float("-inf")}]), "performance[0].value", "finite"),
    ],
)  # fmt: skip
def test_numbers_are_in_bash_range_and_finite(
    tmp_path: Path, edit: Edit, path: str, message: str
) -> None:
    lines = _problems(tmp_path, edit)
    assert any(f": {path}: " in line and message in line for line in lines), lines


def test_the_largest_bash_integer_is_accepted(tmp_path: Path) -> None:
    data = yaml.safe_load(MINIMAL.read_text())
    data["backups"] = {"min_bytes": BASH_INT_MAX}
    path = tmp_path / "runbook.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert load(path).runbook.backups.min_bytes == BASH_INT_MAX


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        (r"^v\d+\.\d+$", r"'\d' is Python's syntax and a plain 'd' to bash: write [0-9]"),
        (r"^v\w+$", r"'\w' is Python's syntax"),
        (r"^(v)[0-9]+\1$", "back-reference"),
        (r"^v(?=[0-9])", "'(?'"),
        (r"^v(?:[0-9]+)$", "'(?'"),
        (r"^v[0-9]+?$", "repeats a repetition"),
        (r"^v[\d]+$", "a backslash inside [...]"),
        (r"^v[0-9]{1,1000}$", "at most 255"),
        (r"^v[9-0]$", "reversed"),
        (r"^v[[:digits:]]$", "unknown character class"),
        (r"^v[0-9", "unterminated '['"),
        (r"^v(1", "unbalanced '('"),
        (r"*v", "repeats nothing"),
    ],
)
def test_tag_pattern_must_be_posix_ere(pattern: str, reason: str) -> None:
    with pytest.raises(ValueError, match="not a POSIX extended regular expression") as info:
        check_ere(pattern)
    assert reason in str(info.value)


ERE_PIECES = [
    "a", "v", "1", ".", "^", "$", "|", "(", ")", "*", "+", "?", "{2}", "{1,3}", "{", "}",
    "[", "]", "[0-9]", "[^a]", "[[:digit:]]", "[:", "-", "\\.", "\\", "\\d", "\\1", "(?:",
]  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(ERE_PIECES), min_size=1, max_size=8))
def test_every_accepted_tag_pattern_compiles_in_bash(pieces: list[str]) -> None:
    """What the model accepts, bash's =~ accepts too (status 2 is bash refusing the regex)."""
    pattern = "".join(pieces)
    try:
        check_ere(pattern)
    except ValueError:
        return
    status = subprocess.run(
        ["bash", "-c", '[[ v1.2.3 =~ $1 ]]; echo $?', "bash", pattern],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert status in ("0", "1"), pattern
