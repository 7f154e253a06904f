"""Reach the Docker daemon, starting it when it is installed but not running.

On a fresh CI machine nothing starts ``dockerd`` for us, so whoever needs Docker starts it:
as root, in the background, logging to a file, and waiting (bounded) for its socket.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from runbook.errors import TargetError

SOCKET = Path("/var/run/docker.sock")
DOCKERD_LOG = Path("/var/log/runbook-dockerd.log")
START_TIMEOUT_S = 60.0


def client(start: bool = True) -> Any:
    """A docker SDK client that answers ``ping``; start ``dockerd`` first when allowed."""
    try:
        import docker
    except ImportError:  # pragma: no cover - a declared dependency
        raise TargetError("the Python package `docker` is missing (pip install docker)") from None
    try:
        found = docker.from_env(timeout=300)
        found.ping()
        return found
    except docker.errors.DockerException as exc:
        if not start:
            raise TargetError(f"Docker is not reachable: {exc}") from None
    start_dockerd()
    return _wait_for_daemon(docker)


def start_dockerd() -> None:
    """Launch ``dockerd`` in the background; explain what is missing when it cannot be."""
    if shutil.which("dockerd") is None:
        raise TargetError(
            "Docker is not installed: `dockerd` not found (install Debian's docker.io: "
            "apt-get install docker.io)"
        )
    if os.geteuid() != 0:
        raise TargetError(
            "Docker is not running and starting `dockerd` needs root "
            "(start it yourself, e.g. `sudo dockerd &`, or run as root)"
        )
    with DOCKERD_LOG.open("ab") as log:
        subprocess.Popen(
            ["dockerd"],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def _wait_for_daemon(docker: Any) -> Any:
    deadline = time.monotonic() + START_TIMEOUT_S
    last: Exception | None = None
    while time.monotonic() < deadline:
        if SOCKET.exists():
            try:
                found = docker.from_env(timeout=300)
                found.ping()
                return found
            except docker.errors.DockerException as exc:
                last = exc
        time.sleep(0.5)
    raise TargetError(
        f"dockerd did not answer within {START_TIMEOUT_S:.0f} s ({last or 'no socket'}); "
        f"see {DOCKERD_LOG}"
    )
