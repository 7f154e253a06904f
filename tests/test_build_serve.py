"""`runbook serve`: the site on 127.0.0.1 only, rebuilt when the YAML changes."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow  # `./dev quick` leaves these out; CI runs them

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(check: Callable[[], bool], seconds: float = 90) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    return False


def test_serve_reloads_when_the_runbook_changes(tmp_path: Path) -> None:
    source = tmp_path / "runbook.yaml"
    shutil.copy(ROOT / "runbook.yaml", source)
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    (tmp_path / "docs").mkdir()
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    proc = subprocess.Popen(
        [sys.executable, "-m", "runbook", "serve", str(source), "--port", str(port)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert wait_for(lambda: "items-api deployment runbook" in httpx.get(url, timeout=2).text)
        source.write_text(source.read_text().replace("name: items-api\n", "name: items-live\n"))
        assert wait_for(lambda: "items-live deployment runbook" in httpx.get(url, timeout=2).text)
    finally:
        proc.terminate()
        output = proc.communicate(timeout=10)[0]
    assert f"Serving on {url}" in output  # mkdocs bound to loopback, nothing else
    assert "Detected file changes" in output


def test_busy_port_is_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "runbook",
                "serve",
                str(ROOT / "runbook.yaml"),
                "--port",
                str(port),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == f"cannot serve on 127.0.0.1:{port}: Address already in use (try --port)"
    )
