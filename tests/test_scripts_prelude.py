"""The preludes and runtime variables: the environment a step's command runs in."""

from __future__ import annotations

import http.server
import os
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_scripts_support import install_fakes, loaded_from, small_runbook, ssh_calls

from runbook.model import RUNTIME_VARIABLES
from scripts_gen import local_prelude, remote_prelude, runtime_variables, step_variables
from scripts_gen.quoting import expand, q

HOSTILE = "$(touch pwned) `touch pwned2`; ' \" \n rm -rf x"


def bash(
    script: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, env=env, cwd=cwd, timeout=60
    )


@pytest.fixture
def loaded():
    return loaded_from(small_runbook())


@pytest.fixture
def variables(loaded):
    return runtime_variables(loaded, "deploy", "v1.2.3", "v1.2.2", "20260101-120000", None)


def test_runtime_variables_are_exactly_the_documented_names(variables) -> None:
    assert list(variables) == list(RUNTIME_VARIABLES)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ENVIRONMENT", "staging"),
        ("DEPLOY_PATH", "/srv/app"),
        ("RELEASES_DIR", "/srv/app/releases"),
        ("RELEASE_DIR", "/srv/app/releases/v1.2.3"),
        ("CURRENT_LINK", "/srv/app/current"),
        ("BACKUP_DIR", "/srv/app/backups"),
        ("BACKUP_FILE", "/srv/app/backups/staging-20260101-120000.dump"),
        ("ARTIFACT", "build/app-v1.2.3.tar.gz"),
        ("HEALTH_URL", "http://127.0.0.1:8080/health"),
        ("KEEP_RELEASES", "5"),
        ("BACKUP_RETENTION_DAYS", "14"),
        ("BACKUP_MIN_BYTES", "1024"),
        ("BRANCH", ""),
        ("PREVIOUS_VERSION", "v1.2.2"),
    ],
)
def test_runtime_variable_values(variables, name: str, value: str) -> None:
    assert variables[name] == value


def test_named_backup_file_wins(loaded) -> None:
    values = runtime_variables(loaded, "deploy", "v1", "v0", "T", "/srv/app/backups/x.dump")
    assert values["BACKUP_FILE"] == "/srv/app/backups/x.dump"


def test_rollback_restores_nothing_by_default_and_safety_backup_is_separate() -> None:
    data = small_runbook()
    data["steps"]["dump"] = {
        "title": "Dump",
        "runs_on": "remote",
        "command": "touch $BACKUP_FILE",
        "expect": {"file": {"path": "$BACKUP_FILE", "min_bytes": 0}},
    }
    data["procedures"]["back"] = {
        "title": "Back",
        "kind": "rollback",
        "environment": "staging",
        "stages": [{"title": "All", "steps": ["dump", "there"]}],
    }
    loaded = loaded_from(data)
    chosen = runtime_variables(loaded, "back", "v1", "v2", "T", "/srv/app/backups/chosen.dump")
    assert runtime_variables(loaded, "back", "v1", "v2", "T")["BACKUP_FILE"] == ""
    assert step_variables(loaded, "back", "there", chosen)["BACKUP_FILE"].endswith("chosen.dump")
    assert step_variables(loaded, "back", "dump", chosen)["BACKUP_FILE"] == (
        "/srv/app/backups/staging-T-safety.dump"
    )
    # In a deploy the same step writes the run's own backup.
    assert step_variables(loaded, "deploy", "there", chosen) == chosen


@pytest.mark.parametrize(
    "text",
    [
        "tag $VERSION exists",
        '"version": "${VERSION}"',
        "$PREVIOUS_VERSION then $VERSION",
        "$VERSIONX is not a variable, nor $HOME",
        HOSTILE,
        "",
        "it's $RELEASES_DIR and $RELEASE_DIR",
    ],
)
def test_q_with_variables_expands_only_runtime_variables(
    variables, text: str, tmp_path: Path
) -> None:
    result = bash(
        remote_prelude_like(variables) + f"printf '%s' {q(text, variables=True)}", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == expand(text, variables)
    assert not list(tmp_path.iterdir())


def remote_prelude_like(variables: dict[str, str]) -> str:
    from scripts_gen.prelude import assignments

    return assignments(variables)


def test_remote_prelude_sets_variables_and_strict_mode(loaded, variables) -> None:
    script = remote_prelude(loaded, "deploy", variables) + 'echo "$RELEASE_DIR|$-"\nfalse\necho no'
    result = bash(script)
    assert result.returncode == 1
    assert result.stdout.splitlines()[0].startswith("/srv/app/releases/v1.2.3|")
    assert "e" in result.stdout.split("|")[1]
    assert "no" not in result.stdout


def test_hostile_values_stay_literal(loaded, variables, tmp_path: Path) -> None:
    hostile = {**variables, "VERSION": HOSTILE}
    result = bash(remote_prelude(loaded, "deploy", hostile) + 'printf %s "$VERSION"', cwd=tmp_path)
    assert result.stdout == HOSTILE
    assert not list(tmp_path.iterdir())


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status, body = (200, b"ok v1.2.3") if self.path == "/health" else (404, b"no")
        self.send_response(status)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[int]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize(
    ("endpoint", "ok", "line"),
    [
        (
            {"path": "/health", "contains": "ok $VERSION"},
            True,
            "endpoint /health: ok (200, contains ok v1.2.3)",
        ),
        (
            {"path": "/health", "contains": "ok $PREVIOUS_VERSION"},
            False,
            "lacks: ok v1.2.2; body: ok v1.2.3",
        ),
        ({"path": "/gone", "status": 404}, True, "endpoint /gone: ok (404)"),
        ({"path": "/gone"}, False, "status 404, expected 200; body: no"),
    ],
)
def test_check_endpoints(server: int, endpoint: dict[str, object], ok: bool, line: str) -> None:
    data = small_runbook()
    data["environments"]["staging"]["base_url"] = f"http://127.0.0.1:{server}"
    data["procedures"]["deploy"]["endpoints"] = [endpoint, {"path": "/never"}]
    loaded = loaded_from(data)
    values = runtime_variables(loaded, "deploy", "v1.2.3", "v1.2.2", "T")
    result = bash(remote_prelude(loaded, "deploy", values) + "check_endpoints")
    assert (result.returncode == 0) is False  # /never answers 404: the check fails either way
    first = result.stdout.splitlines()[0]
    assert line in first
    assert len(result.stdout.splitlines()) == (2 if ok else 1)


@pytest.mark.parametrize("config", [None, "ssh_config"])
def test_local_prelude_remote_and_upload(
    loaded, variables, tmp_path: Path, config: str | None
) -> None:
    log = tmp_path / "calls.log"
    env = install_fakes(tmp_path / "bin", log)
    if config:
        env["RUNBOOK_SSH_CONFIG"] = str(tmp_path / config)
    (tmp_path / "artifact").write_text("payload")
    command = (
        'remote \'echo "$VERSION at $RELEASE_DIR"; '
        "type check_endpoints >/dev/null && echo helpers'\n"
        f"upload {tmp_path}/artifact {tmp_path}/uploaded\n"
    )
    result = bash(local_prelude(loaded, "deploy", variables) + command, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["v1.2.3 at /srv/app/releases/v1.2.3", "helpers"]
    assert (tmp_path / "uploaded").read_text() == "payload"
    ssh, scp = ssh_calls(log)
    assert "-o BatchMode=yes" in ssh and "deploy@staging.example.internal bash -s" in ssh
    assert "-o BatchMode=yes" in scp and "deploy@staging.example.internal:" in scp
    if config:
        assert f"-F {tmp_path / config}" in ssh and "-p " not in ssh
        assert f"-F {tmp_path / config}" in scp and "-P " not in scp
    else:
        assert "-p 2222" in ssh and "-P 2222" in scp and "-F" not in ssh


def test_remote_failure_fails_the_local_command(loaded, variables, tmp_path: Path) -> None:
    env = install_fakes(tmp_path / "bin", tmp_path / "calls.log")
    result = bash(local_prelude(loaded, "deploy", variables) + "remote false\necho after", env=env)
    assert result.returncode != 0
    assert "after" not in result.stdout


_PIECES = st.sampled_from(
    [
        "$VERSION",
        "${VERSION}",
        "$PREVIOUS_VERSION",
        "$(touch pwned)",
        "`id`",
        "'",
        '"',
        "\\",
        "\n",
        "$",
        "{",
        "}",
        ";",
    ]
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(_PIECES, st.text(max_size=5)), max_size=8).map("".join))
def test_q_with_variables_property(text: str) -> None:
    """For any text, bash makes of the quoted word exactly what ``expand`` says."""
    values = {"VERSION": "v1.2.3", "PREVIOUS_VERSION": "v1.2.2"}
    if "\x00" in text or any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        return  # bash arguments cannot hold NUL bytes; lone surrogates are not text
    script = "VERSION=v1.2.3 PREVIOUS_VERSION=v1.2.2\n" + f"printf '%s' {q(text, variables=True)}"
    with tempfile.TemporaryDirectory() as cwd:
        result = subprocess.run(["bash", "-c", script], capture_output=True, timeout=10, cwd=cwd)
        assert os.listdir(cwd) == []
    assert result.stdout.decode("utf-8", "surrogateescape") == expand(text, values)
