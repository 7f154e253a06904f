"""Every field of `expect` is checked by the scripts and the scenario runner, and shown on the site.

The test walks ``Expect.model_fields``: a new field without a case here fails, so no
expectation can be documented that the automation does not check. For each field, a step
whose command misses only that expectation must fail in the generated script, be reported
by the scenario runner, and be stated on its procedure page; the same step with a command
that meets it must pass, so the failure is that field's doing.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from test_scripts_support import loaded_from
from test_scripts_target import Target, runbook

from runbook.model import Expect
from runbook.scenarios.runner import StepContext, expectation_problems, run_step
from runbook.site.pages import pages
from scripts_gen import render_scripts, runtime_variables


@dataclass(frozen=True)
class Case:
    """A step's expectation, a command that misses it and one that meets it, and the words."""

    expect: dict[str, Any]
    misses: str
    meets: str
    script_says: str
    runner_says: str
    page_says: str


CASES: dict[str, Case] = {
    "exit_code": Case(
        {"exit_code": 4},
        "echo hello; exit 3",
        "echo hello; exit 4",
        "exit code 3, expected 4",
        "exit code 3, expected 4",
        "exits with code 4",
    ),
    "output_contains": Case(
        {"output_contains": "ready $VERSION"},
        "echo not ready",
        'echo "ready $VERSION"',
        "the output does not contain: ready v2",
        "output lacks 'ready v2'",
        "output contains `ready $VERSION`",
    ),
    "http_status": Case(
        {"http_status": 503},
        "echo 'HTTP/1.1 200 OK'",
        "echo 'HTTP/1.1 503 Service Unavailable'",
        "expected HTTP status 503, the output reports 200",
        "output reports HTTP status 200, expected 503",
        "reports HTTP status 503",
    ),
    "file": Case(
        {"file": {"path": "build/out.txt", "min_bytes": 10}},
        "mkdir -p build && echo hi >build/out.txt",
        "mkdir -p build && head -c 20 /dev/zero >build/out.txt",
        "expected the file build/out.txt of at least 10 bytes, found 3 bytes",
        "file build/out.txt is 3 bytes, expected >= 10",
        "leaves `build/out.txt` of at least 10 bytes",
    ),
}


def test_every_field_of_expect_has_a_case() -> None:
    assert set(CASES) == set(Expect.model_fields)


def _target(tmp_path: Path, case: Case, command: str) -> Target:
    hello = {"title": "Hello", "command": command, "expect": case.expect}
    return Target(tmp_path, runbook(tmp_path, hello=hello))


@pytest.mark.parametrize("field", sorted(CASES))
def test_the_script_fails_the_step_that_misses_the_expectation(tmp_path: Path, field: str) -> None:
    case = CASES[field]
    missed = _target(tmp_path / "missed", case, case.misses)
    result = missed.run("deploy.sh", "v2")
    assert result.returncode == 2, result.stdout + result.stderr  # failed before the target
    assert f"warning: {case.script_says}" in result.stderr
    assert "step hello failed" in result.stderr
    met = _target(tmp_path / "met", case, case.meets)
    met.serve("v1")
    result = met.run("deploy.sh", "v2")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("field", sorted(CASES))
def test_the_scenario_runner_reports_the_missed_expectation(tmp_path: Path, field: str) -> None:
    case = CASES[field]
    for name, command, problems in (
        ("missed", case.misses, [case.runner_says]),
        ("met", case.meets, []),
    ):
        checkout = tmp_path / name  # a local step runs in the release engineer's checkout
        checkout.mkdir()
        hello = {"title": "Hello", "command": command, "expect": case.expect}
        loaded = loaded_from(runbook(tmp_path, hello=hello))
        variables = runtime_variables(loaded, "deploy", "v2", "v1", "20260101-000000")
        ctx = StepContext(loaded, "deploy", variables, checkout, ssh=None, ssh_config="")
        assert run_step(ctx, "hello").problems == problems


@pytest.mark.parametrize("field", sorted(CASES))
def test_the_procedure_page_states_the_expectation(tmp_path: Path, field: str) -> None:
    case = CASES[field]
    hello = {"title": "Hello", "command": case.misses, "expect": case.expect}
    page = pages(loaded_from(runbook(tmp_path, hello=hello)))["procedures/deploy.md"]
    [line] = [ln for ln in page.splitlines() if ln.lstrip().startswith("- **Expect:**")][:1]
    assert case.page_says in line


OUTPUTS = [
    "200",
    "200\n",
    '{"status": "ok"}\n200',
    "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n",
    "000",
    "no status here",
    "",
    "1234 12 2000",
    "body 404\n\tretry after 120 s",
    "200ms 201",
    "٢٠٠",  # Arabic-Indic digits are not a status
]


@pytest.mark.parametrize("output", OUTPUTS)
def test_the_scripts_and_the_runner_read_the_same_status(tmp_path: Path, output: str) -> None:
    script = render_scripts(loaded_from(runbook(tmp_path)))["deploy.sh"]
    function = re.search(r"^_rb_reported_status\(\) \{.*?^\}$", script, re.M | re.S)
    assert function is not None
    (tmp_path / "out").write_text(output, encoding="utf-8")
    done = subprocess.run(
        [
            "bash",
            "-c",
            f'set -Eeuo pipefail\n{function.group(0)}\n_rb_reported_status "$1"',
            "-",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"},
    )
    bash = done.stdout.strip()
    assert (int(bash) if bash else None) == Expect.reported_status(output)


@pytest.mark.parametrize(
    ("output", "problems"),
    [
        ("HTTP/1.1 200 OK\n", []),
        ("200", []),
        ("connection refused", ["output reports no HTTP status, expected 200"]),
        ("000", ["output reports HTTP status 000, expected 200"]),
    ],
)
def test_the_runner_names_the_status_it_read(output: str, problems: list[str]) -> None:
    assert expectation_problems(Expect(http_status=200), {}, 0, output, None) == problems
