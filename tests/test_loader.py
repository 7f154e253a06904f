"""The loader: positions, includes, safety limits, and the shipped example's contents."""

from __future__ import annotations

import typing
from pathlib import Path

import pytest
from pydantic import BaseModel

from runbook.errors import RunbookError
from runbook.loader import load
from runbook.model import CommandGroup, Runbook, RunsOn
from runbook.summary import count, present_sections
from runbook.yamlsrc import MAX_BYTES, format_path

ROOT = Path(__file__).resolve().parent.parent
MINIMAL = Path(__file__).parent / "data" / "minimal.yaml"


@pytest.fixture(scope="module")
def example():  # type: ignore[no-untyped-def]
    return load(ROOT / "runbook.yaml")


def test_example_has_all_twelve_sections(example) -> None:  # type: ignore[no-untyped-def]
    assert len(present_sections(example.runbook)) == 12


@pytest.mark.parametrize(
    ("checklist", "items"),
    [
        ("pre-deployment-staging", 6),
        ("pre-deployment-production", 11),
        ("security", 10),
        ("post-deployment", 7),
        ("maintenance-monthly", 5),
        ("maintenance-quarterly", 4),
        ("completion", 15),
    ],
)
def test_example_checklist_sizes_match_the_seed(example, checklist: str, items: int) -> None:  # type: ignore[no-untyped-def]
    assert len(example.runbook.checklists[checklist].items) == items


@pytest.mark.parametrize(
    ("procedure", "stages"),
    [
        ("deploy-staging", 5),
        ("deploy-production", 7),
        ("rollback-staging", 5),
        ("rollback-production", 6),
    ],
)
def test_example_procedure_stages_match_the_seed(example, procedure: str, stages: int) -> None:  # type: ignore[no-untyped-def]
    assert len(example.runbook.procedures[procedure].stages) == stages


def test_example_other_seed_figures(example) -> None:  # type: ignore[no-untyped-def]
    rb = example.runbook
    assert len(rb.emergencies) == 4
    assert len(rb.escalation) == 4
    assert [s.level for s in rb.severities] == ["P0", "P1", "P2", "P3"]
    assert {g: len(c.commands) for g, c in rb.commands.items()} == {
        "process-manager": 6,
        "database": 5,
        "nginx": 4,
    }
    assert len(rb.environments["staging"].endpoints) == 1
    assert len(rb.environments["production"].endpoints) == 7
    assert len(rb.procedures["rollback-production"].endpoints or []) == 3
    assert rb.environments["production"].confirmations == 2
    confirmations = [s for _, s in rb.procedure_steps("rollback-production") if s.confirm]
    assert len(confirmations) == 3
    assert rb.backups.retention_days == 14
    assert [t.display for t in rb.performance] == [
        "< 5 min",
        "< 10 min",
        "< 5 min",
        "> 95%",
        "= 0 s",
    ]
    c = count(rb)
    assert c.steps == len(rb.steps) and c.procedures == len(rb.procedures)
    # The seed's four procedures keep their scripts; the fleet's two have playbooks.
    assert [pid for pid, p in rb.procedures.items() if p.script] == [
        "deploy-staging",
        "deploy-production",
        "rollback-staging",
        "rollback-production",
    ]
    assert [p.playbook for p in rb.procedures.values() if p.playbook] == [
        "deploy-fleet.yml",
        "rollback-fleet.yml",
    ]


def test_positions_point_at_the_written_value(example) -> None:  # type: ignore[no-untyped-def]
    text = (ROOT / "runbook.yaml").read_text().splitlines()
    loc = example.locate("steps", "health-check", "command")
    assert loc is not None
    assert "curl" in text[loc.line - 1][loc.column - 1 :]
    key = example.locate("steps", "health-check", key=True)
    assert text[key.line - 1].strip() == "health-check:"


TEXTS = """\
a: |
  first
    second
b: plain on one line
c: 'quoted on one line'
d: >-
  folded
  lines
e: |2
    two spaces kept
f: |

  after a blank line
g: "two
  lines"
"""


@pytest.mark.parametrize(
    ("key", "line", "column", "expected"),
    [
        ("a", 0, 0, (2, 3)),
        ("a", 1, 2, (3, 5)),  # `second`, two columns into its line of text
        ("b", 0, 9, (4, 13)),
        ("c", 0, 7, (5, 12)),  # inside the quotes
        ("d", 1, 3, (7, 3)),  # folded: the text's first character
        ("e", 0, 2, (10, 5)),  # the explicit indentation is 2, not 4
        ("f", 1, 6, (13, 9)),
        ("g", 1, 0, (14, 5)),  # quoted over two lines: the first character
    ],
)
def test_a_position_in_a_text_value_is_its_place_in_the_file(
    tmp_path: Path, key: str, line: int, column: int, expected: tuple[int, int]
) -> None:
    from runbook.yamlsrc import load_document

    path = tmp_path / "texts.yaml"
    path.write_text(TEXTS)
    data, smap = load_document(path, "texts.yaml")
    loc = smap.locate((key,))
    assert loc is not None
    found = loc.in_text(line, column)
    assert (found.line, found.column) == expected
    text_line = TEXTS.splitlines()[found.line - 1]
    if key in "abcef":
        assert text_line[found.column - 1 :].startswith(data[key].splitlines()[line][column:])


def test_a_position_in_an_included_command_is_in_its_own_file(tmp_path: Path) -> None:
    loaded = load(_split(tmp_path))
    loc = loaded.locate("steps", "backup", "command")
    assert loc is not None
    assert loc.in_text(0).file.endswith("steps.yaml")


def test_digest_changes_with_the_source(tmp_path: Path) -> None:
    a = tmp_path / "a.yaml"
    a.write_text(MINIMAL.read_text())
    first = load(a).digest
    a.write_text(MINIMAL.read_text() + "# a comment\n")
    assert load(a).digest != first


def _split(tmp_path: Path, extra_steps: str = "") -> Path:
    text = MINIMAL.read_text()
    head, rest = text.split("steps:\n", 1)
    steps, tail = rest.split("procedures:\n", 1)
    (tmp_path / "parts").mkdir()
    (tmp_path / "parts" / "steps.yaml").write_text("steps:\n" + steps + extra_steps)
    main = tmp_path / "runbook.yaml"
    main.write_text("include: [parts/steps.yaml]\n" + head + "procedures:\n" + tail)
    return main


def test_include_merges_sections_and_keeps_their_positions(tmp_path: Path) -> None:
    loaded = load(_split(tmp_path))
    assert set(loaded.runbook.steps) == {"build", "backup", "switch", "restore"}
    assert len(loaded.files) == 2
    loc = loaded.locate("steps", "backup", "command")
    assert loc is not None and loc.file.endswith("steps.yaml")


def test_include_reports_errors_in_the_included_file(tmp_path: Path) -> None:
    main = _split(
        tmp_path, extra_steps="  broken:\n    title: Broken\n    timeout: soon\n    command: x\n"
    )
    with pytest.raises(RunbookError) as caught:
        load(main)
    assert "steps.yaml:" in caught.value.lines()[0]
    assert "steps.broken.timeout: expected an integer" in caught.value.lines()[0]


def test_duplicate_id_across_files_is_an_error(tmp_path: Path) -> None:
    main = _split(tmp_path)
    main.write_text(
        main.read_text().replace(
            "procedures:\n", "steps:\n  build: {title: B, command: x}\nprocedures:\n", 1
        )
    )
    with pytest.raises(RunbookError, match="step 'build' is defined twice"):
        load(main)


def test_anchors_and_merge_keys_are_plain_data(tmp_path: Path) -> None:
    text = MINIMAL.read_text().replace(
        "  restore:\n    title: Restore\n",
        "  restore:\n    <<: {timeout: 42, retries: 1}\n    title: Restore\n",
    )
    path = tmp_path / "r.yaml"
    path.write_text(text)
    step = load(path).runbook.steps["restore"]
    assert (step.timeout, step.retries) == (42, 1)


def test_many_problems_are_listed_at_once_and_capped(tmp_path: Path) -> None:
    text = MINIMAL.read_text()
    bad_steps = "".join(f"  s{i}: {{title: T, command: x, timeout: t{i}}}\n" for i in range(30))
    path = tmp_path / "r.yaml"
    path.write_text(text.replace("steps:\n", "steps:\n" + bad_steps, 1))
    with pytest.raises(RunbookError) as caught:
        load(path)
    assert len(caught.value.problems) == 30
    lines = caught.value.lines()
    assert len(lines) == 21
    assert lines[-1] == "... and 10 more problems"


def test_very_large_file_is_refused_without_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    with path.open("wb") as f:
        f.truncate(MAX_BYTES + 1)
    with pytest.raises(RunbookError, match="a runbook file may be at most"):
        load(path)


@pytest.mark.slow
def test_the_largest_file_allowed_gives_located_problems(tmp_path: Path) -> None:
    """The densest YAML under the size limit is read to the end (its speed: bench/loader.py)."""
    path = tmp_path / "dense.yaml"
    lines = (f"k{i}: {i}\n" for i in range(MAX_BYTES))
    with path.open("w", encoding="utf-8") as f:
        while f.tell() < MAX_BYTES - 20:
            f.write(next(lines))
    with pytest.raises(RunbookError) as caught:
        load(path)
    assert len(caught.value.problems) > 50_000
    assert caught.value.lines()[-1].startswith("... and ")


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ((), ""),
        (("a",), "a"),
        (("a", 0, "b"), "a[0].b"),
        (("p", "x", "stages", 2), "p.x.stages[2]"),
    ],
)
def test_format_path(path: tuple[str | int, ...], text: str) -> None:
    assert format_path(path) == text


def test_control_characters_in_keys_cannot_break_a_line(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(
        MINIMAL.read_text().replace("service:\n", 'service:\n  "bad\\nkey\\tx": 1\n', 1)
    )
    with pytest.raises(RunbookError) as caught:
        load(path)
    (line,) = caught.value.lines()
    assert "\n" not in line and "\t" not in line
    assert "unknown key 'bad\\nkey\\tx'" in line


@pytest.mark.parametrize("escape", ["\\e[31m", "\\x00", "\\r", "\\x7f", "\\u0085"])
def test_escaped_control_characters_are_refused_in_keys_and_values(
    tmp_path: Path, escape: str
) -> None:
    """They would reach terminals, pages and scripts; tab and newline are text."""
    for entry in (f'"bad{escape}key": 1', f'name: "items{escape}api"'):
        path = tmp_path / "r.yaml"
        path.write_text(MINIMAL.read_text().replace("service:\n", f"service:\n  {entry}\n", 1))
        with pytest.raises(
            RunbookError, match=r"r\.yaml:2:\d+: service(\.name)?: text holds control"
        ):
            load(path)


def _models(model: type[BaseModel], seen: set[type[BaseModel]]) -> set[type[BaseModel]]:
    """Every model reachable from ``model`` through its fields."""
    if model in seen:
        return seen
    seen.add(model)
    for info in model.model_fields.values():
        stack = [info.annotation]
        while stack:
            annotation = stack.pop()
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                _models(annotation, seen)
            stack.extend(typing.get_args(annotation))
    return seen


def test_every_field_carries_its_description() -> None:
    """The JSON Schema (editors) and the docs read the description declared with each field."""
    missing = [
        f"{model.__name__}.{name}"
        for model in _models(Runbook, set())
        for name, info in model.model_fields.items()
        if not info.description
    ]
    assert missing == []


def test_a_command_group_says_where_its_commands_run() -> None:
    group = CommandGroup.model_validate(
        {
            "title": "Local tools",
            "runs_on": "local",
            "commands": [
                {"title": "Inherits", "command": "git log -1"},
                {"title": "Overrides", "command": "uptime", "runs_on": "remote"},
            ],
        }
    )
    assert [c.runs_on for c in group.commands] == [RunsOn.local, RunsOn.remote]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "retries: 5",
            "retries: true",
            "steps.health-check.retries: expected an integer, got true",
        ),
        ("ssh_port: 22", "ssh_port: '22'", "environments.staging.ssh_port: expected an integer"),
        (
            "require_tag: true",
            "require_tag: 'yes'",
            "require_tag: expected true or false, got 'yes'",
        ),
        ("warning: 500", "warning: '500'", "warning: expected a number, got '500'"),
    ],
)
def test_values_are_not_coerced_silently(tmp_path: Path, old: str, new: str, expected: str) -> None:
    """`retries: true` is a mistake to point at, not one retry."""
    text = (ROOT / "runbook.yaml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "runbook.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(RunbookError) as caught:
        load(path)
    assert expected in caught.value.lines()[0]
