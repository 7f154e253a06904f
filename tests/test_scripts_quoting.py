"""Enforced quoting: a script template writes only values that passed through a filter of
``scripts_gen.quoting``; every template, given hostile values in every field, runs none of them."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jinja2
import jinja2.meta
import pytest

from scripts_gen import quoting
from scripts_gen.environment import UnquotedValue, environment
from scripts_gen.quoting import Shell

TEMPLATES = Path(quoting.__file__).parent / "templates"
#: Every shell metacharacter, a line that would close a here-document, and no way out.
EVIL = "$(touch pwned)`touch pwned`'\"; touch pwned; \nCOMMAND\n touch pwned #{x}$VERSION\\"
TYPED = ("integer", "id", "name", "template", "comment")


def render_string(source: str, **context: object) -> str:
    return environment().from_string(source).render(**context)


@pytest.mark.parametrize("value", ["plain", EVIL, 3, None, Shell("x").lower()])
def test_a_value_without_a_filter_is_refused(value: object) -> None:
    with pytest.raises(UnquotedValue, match="without a quoting or typed filter"):
        render_string("x={{ value }}\n", value=value)


def test_a_literal_without_a_filter_is_refused_too() -> None:
    with pytest.raises(UnquotedValue):
        render_string("x={{ 'a' if flag else 'b' }}\n", flag=True)


def test_filtered_values_are_written() -> None:
    text = render_string(
        "{{ a | q }} {{ n | integer }} {{ i | id }} {{ v | name }} {{ t | template }} {{ c | comment }}",
        a="it's",
        n=42,
        i="deploy-staging",
        v="KEEP_RELEASES",
        t="${DEPLOY_PATH}/releases",
        c="runbook.yaml",
    )
    assert (
        text
        == """'it'"'"'s' 42 deploy-staging KEEP_RELEASES "${DEPLOY_PATH}/releases" runbook.yaml"""
    )


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("tag $VERSION exists", '"tag ${VERSION} exists"'),
        ("Restore '$BACKUP_FILE'?", "\"Restore '${BACKUP_FILE}'?\""),
        ('"v": "${VERSION}" $(id) `id` \\', '"\\"v\\": \\"${VERSION}\\" \\$(id) \\`id\\` \\\\"'),
        ("no variable, it's plain", "'no variable, it'\"'\"'s plain'"),
    ],
)
def test_a_text_with_runtime_variables_reads_as_one_double_quoted_word(
    text: str, word: str
) -> None:
    assert quoting.q(text, variables=True) == word


@pytest.mark.parametrize(
    ("filter_name", "value"),
    [
        ("integer", "x[$(touch pwned)]"),
        ("integer", True),
        ("integer", EVIL),
        ("id", "x\ntouch pwned"),
        ("id", EVIL),
        ("name", "X;touch pwned"),
        ("name", "lower"),
        ("template", "${DEPLOY_PATH}/$(touch pwned)"),
        ("template", "${HOME}/x"),
        ("template", "${DEPLOY_PATH}\n/x"),
        ("comment", "runbook.yaml\ntouch pwned"),
        ("comment", "a\rb"),
    ],
)
def test_typed_filters_refuse_what_is_not_of_their_type(filter_name: str, value: object) -> None:
    with pytest.raises(ValueError):
        quoting.FILTERS[filter_name](value)


@pytest.mark.parametrize(
    ("command", "delimiter", "body"),
    [
        ("echo hi\n", "COMMAND", "echo hi\n"),
        ("echo hi", "COMMAND", "echo hi\n"),
        ("", "COMMAND", ""),
        ("echo a\nCOMMAND\necho b\n", "COMMAND_2", "echo a\nCOMMAND\necho b\n"),
        ("COMMAND\nCOMMAND_2", "COMMAND_3", "COMMAND\nCOMMAND_2\n"),
    ],
)
def test_heredoc_keeps_the_command_and_closes_after_it(
    command: str, delimiter: str, body: str
) -> None:
    assert quoting.heredoc(command) == f"<<'{delimiter}'\n{body}{delimiter}"


@pytest.mark.parametrize("command", ["echo hi\n", EVIL, "a\nCOMMAND\n\n", "x 'y' \"$z\" \\\n"])
def test_bash_reads_the_heredoc_back_exactly(command: str, tmp_path: Path) -> None:
    script = tmp_path / "read.sh"
    script.write_text(f"IFS= read -r -d '' c {quoting.heredoc(command)}\nprintf %s \"$c\"\n")
    result = subprocess.run(["bash", str(script)], capture_output=True, text=True, cwd=tmp_path)
    assert result.stdout == (command if command.endswith("\n") else command + "\n")
    assert not (tmp_path / "pwned").exists()


def test_heredoc_refuses_a_nul() -> None:
    with pytest.raises(ValueError, match="NUL"):
        quoting.heredoc("echo a\0b")


class Hostile:
    """Any field of any template's context: hostile text, and whatever a template asks of it
    (attributes, items, iteration, calls, comparisons), hostile again."""

    def __init__(self, truthy: bool) -> None:
        self.truthy = truthy

    def __str__(self) -> str:
        return EVIL

    def __getattr__(self, name: str) -> Hostile:
        if name.startswith(("_", "jinja")):
            raise AttributeError(name)
        return Hostile(self.truthy)

    def __getitem__(self, key: object) -> Hostile:
        return Hostile(self.truthy)

    def __iter__(self) -> Iterator[Hostile]:
        return iter([Hostile(self.truthy), Hostile(self.truthy)])

    def __len__(self) -> int:
        return 2

    def __call__(self, *args: object, **kwargs: object) -> Hostile:
        return Hostile(self.truthy)

    def __bool__(self) -> bool:
        return self.truthy

    def __eq__(self, other: object) -> bool:
        return self.truthy

    __hash__ = object.__hash__


PLACEHOLDER = {
    "integer": "7",
    "id": "an-id",
    "name": "A_NAME",
    "template": '"${VERSION}"',
    "comment": "one line",
}


@pytest.fixture
def hostile_environment(monkeypatch: pytest.MonkeyPatch) -> tuple[jinja2.Environment, list[str]]:
    """The script environment, whose typed filters must refuse every hostile value they get;
    each refusal is recorded and a value of the filter's type stands in, so the rendering goes
    on to every other field."""
    env = environment()
    refused: list[str] = []

    def typed(filter_name: str) -> Any:
        real = quoting.FILTERS[filter_name]

        def check(value: object) -> Shell:
            if EVIL not in str(value):  # a hostile value, or text made with one
                return real(value)
            with pytest.raises(ValueError):
                real(value)
            refused.append(filter_name)
            return Shell(PLACEHOLDER[filter_name])

        return check

    for filter_name in TYPED:
        monkeypatch.setitem(env.filters, filter_name, typed(filter_name))
    return env, refused


def context_names(env: jinja2.Environment) -> set[str]:
    """Every name any script template reads from its context."""
    names: set[str] = set()
    for path in TEMPLATES.glob("*.j2"):
        names |= jinja2.meta.find_undeclared_variables(env.parse(path.read_text()))
    return names


def without_heredocs(text: str) -> str:
    return re.sub(r"<<'(COMMAND(?:_\d+)?)'\n.*?^\1$", "<<heredoc", text, flags=re.S | re.M)


@pytest.mark.parametrize("truthy", [True, False])
@pytest.mark.parametrize("template", sorted(p.name for p in TEMPLATES.glob("*.j2")))
def test_every_template_with_hostile_values_in_every_field_runs_none_of_them(
    hostile_environment: tuple[jinja2.Environment, list[str]],
    tmp_path: Path,
    template: str,
    truthy: bool,
) -> None:
    env, refused = hostile_environment
    context = {name: Hostile(truthy) for name in context_names(env)}
    text = env.get_template(template).render(**context)
    assert EVIL not in without_heredocs(text), "a hostile value stands in the script unquoted"
    for body in re.findall(r"<<'(COMMAND(?:_\d+)?)'\n(.*?)^\1$", text, flags=re.S | re.M):
        assert body[1] == EVIL + "\n"
    script = tmp_path / "rendered.sh"
    script.write_text(text)
    syntax = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert syntax.returncode == 0, syntax.stderr
    # Run it: definitions and assignments only, or the whole script's --help.
    subprocess.run(
        ["bash", str(script), "--help"], capture_output=True, cwd=tmp_path, timeout=60, check=False
    )
    assert not (tmp_path / "pwned").exists()
    if template == "script.sh.j2":
        assert set(refused) == set(TYPED)
