"""RB013: the variables a command reads, found by a small bash lexer, and the finding's words."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from test_lint_rules import base, validated

from runbook.lint import lint, lint_loaded
from runbook.lint.variables import assigned, references
from runbook.loader import load

MINIMAL = Path(__file__).parent / "data" / "minimal.yaml"


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ('echo "$VERSION" $A ${B} ${#C}', ["VERSION", "A", "B", "C"]),
        ("echo '$SINGLE' $'$ANSI' \\$ESCAPED", []),
        ("echo ok # $COMMENT\necho $NEXT", ["NEXT"]),
        ('echo "it\'s $X"', ["X"]),  # a quote inside double quotes opens nothing
        ('x="$(basename "$(readlink "$CURRENT_LINK")")"', ["CURRENT_LINK"]),
        ('echo "$((KEEP_RELEASES - 1))"', ["KEEP_RELEASES"]),  # a bare name in arithmetic
        ("cat <<'EOF'\n$QUOTED\nEOF\ncat <<EOF\n$OPEN\nEOF\necho $AFTER", ["OPEN", "AFTER"]),
        ("cat <<-\\EOF\n\t$QUOTED\n\tEOF\necho $AFTER", ["AFTER"]),
        ("awk '{print $NF}' file", []),
        ("echo ${!INDIRECT} url#$FRAGMENT", ["FRAGMENT"]),  # `#` inside a word is no comment
    ],
)
def test_references(text: str, names: list[str]) -> None:
    assert [r.name for r in references(text)] == names


def test_references_know_their_line_column_and_guard() -> None:
    found = references('echo ok\n  echo "${A:-x}" ${B:?} ${C-} ${D} $E\n')
    assert [(r.name, r.line, r.column, r.guarded) for r in found] == [
        ("A", 1, 8, True),
        ("B", 1, 17, True),
        ("C", 1, 24, True),
        ("D", 1, 30, False),
        ("E", 1, 35, False),
    ]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("DIR=/tmp", "DIR"),
        ("export DIR", "DIR"),
        ("local -r DIR=1", "DIR"),
        ("read -r FIRST SECOND", "SECOND"),
        ("for NAME in a b; do :; done", "NAME"),
        ("printf -v OUT %s x", "OUT"),
        ("mapfile -t LINES < f", "LINES"),
        ("COUNT+=1", "COUNT"),
        ("ARR[0]=x", "ARR"),
    ],
)
def test_assigned(text: str, name: str) -> None:
    assert name in assigned(text)


def _fired(command: str, runs_on: str = "local") -> list[str]:
    data = copy.deepcopy(base())
    data["steps"]["build"].update(command=command, runs_on=runs_on)
    return [f.message for f in lint(validated(data)) if f.rule == "RB013"]


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ('echo "$VERISON"', "unknown variable $VERISON (did you mean $VERSION?)"),
        ('echo "$RELEASE_DIRS"', "unknown variable $RELEASE_DIRS (did you mean $RELEASE_DIR?)"),
        ("DEST=/tmp; cp x $DESTT", "unknown variable $DESTT (did you mean $DEST?)"),
        (
            'curl -H "Authorization: $CHAT_TOKEN" x',
            "unknown variable $CHAT_TOKEN: not a runtime variable and not set in this command "
            "(one the environment must provide is written ${CHAT_TOKEN:?})",
        ),
    ],
)
def test_the_finding_names_the_closest_known_variable(command: str, message: str) -> None:
    assert _fired(command) == [message]


@pytest.mark.parametrize(
    "command",
    [
        'echo "$HOME" "$PATH" "$USER" "$BASH_VERSION" "$LC_ALL"',
        'echo "$VERSION" "$BACKUP_FILE" "$HEALTH_URL"',
        'echo "${CHAT_TOKEN:?set CHAT_TOKEN}" "${REGION:-eu}"',
        "echo $lower_case_is_shellchecks_business",
    ],
)
def test_known_and_guarded_variables_are_quiet(command: str) -> None:
    assert _fired(command) == []


def test_a_misspelling_repeated_is_one_finding() -> None:
    assert len(_fired('echo "$VERISON"; git tag "$VERISON"')) == 1


def test_the_scripts_environment_reaches_local_steps_only() -> None:
    command = 'echo "$RUNBOOK_SSH_CONFIG"'
    assert _fired(command, "local") == []
    assert _fired(command, "remote") != []


def test_the_finding_is_at_the_variable_in_the_file(tmp_path: Path) -> None:
    steps = '  tag:\n    title: Tag\n    command: |\n      git fetch\n      git tag "$VERISON"\n'
    path = tmp_path / "runbook.yaml"
    path.write_text(MINIMAL.read_text().replace("steps:\n", "steps:\n" + steps, 1))
    [finding] = [f for f in lint_loaded(load(path)) if f.rule == "RB013"]
    line = path.read_text().splitlines().index('      git tag "$VERISON"') + 1
    assert finding.location is not None
    assert (finding.location.line, finding.location.column) == (line, 16)  # the `$`
    assert finding.path == "steps.tag.command" and finding.step == "tag"


def test_a_diagnosis_command_has_no_runtime_variables(tmp_path: Path) -> None:
    text = MINIMAL.read_text().replace(
        "command: supervisorctl status}", 'command: ls "$DEPLOY_PATH"}'
    )
    path = tmp_path / "runbook.yaml"
    path.write_text(text)
    [finding] = [f for f in lint_loaded(load(path)) if f.rule == "RB013"]
    assert finding.message == (
        "$DEPLOY_PATH is a runtime variable, set for step commands only: "
        "this diagnosis command runs as written"
    )
    assert finding.path == "emergencies.app-down.diagnosis[0].command"


def test_a_step_may_switch_the_rule_off_with_a_reason() -> None:
    data = copy.deepcopy(base())
    data["steps"]["build"].update(
        command='echo "$CI_COMMIT"',
        ignore=[{"rule": "RB013", "reason": "CI sets CI_COMMIT"}],
    )
    assert lint(validated(data)) == []
