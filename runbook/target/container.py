"""Start, find and remove the staging target container; its key pair and ssh_config.

The key pair is made per run in the state directory and the public half reaches the
container through its environment at start, so no key is ever baked into the image. Ports
are published on 127.0.0.1 only; everything talks to the target there.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import time
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from runbook.errors import TargetError

DEFAULT_STATE_DIR = Path(".runbook/target")
READY_TIMEOUT_S = 90.0
LABEL = "runbook.target"


@dataclass(frozen=True)
class Target:
    """A running target as the tests and the scripts reach it."""

    container_id: str
    name: str
    image: str
    ssh_port: int
    http_port: int
    key_file: str
    ssh_config: str
    hosts: tuple[str, ...] = ()
    ssh_user: str = ""
    health_path: str = "/"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def health_url(self) -> str:
        return self.http_url + self.health_path

    @property
    def ssh_endpoint(self) -> str:
        return f"{self.ssh_user}@127.0.0.1 -p {self.ssh_port}"


def make_key(state_dir: Path) -> tuple[Path, str]:
    """A fresh ed25519 key pair for this run; returns the private key path and public key."""
    state_dir.mkdir(parents=True, exist_ok=True)
    key = state_dir / "id_ed25519"
    for old in (key, key.with_suffix(".pub")):
        old.unlink(missing_ok=True)
    try:
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "runbook-target", "-f", str(key)],
            check=True,
            capture_output=True,
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        raise TargetError(f"cannot make an SSH key pair with ssh-keygen: {exc}") from None
    return key, key.with_suffix(".pub").read_text(encoding="utf-8").strip()


def ssh_config_text(ssh_port: int, key_file: Path, hosts: dict[str, str]) -> str:
    """Every environment's host name, as an alias of the published SSH port, with its user."""
    blocks = ["# Written by runbook: the staging target's SSH, published on 127.0.0.1.\n"]
    for host, user in hosts.items():
        blocks.append(
            f"Host {host}\n"
            "  HostName 127.0.0.1\n"
            f"  Port {ssh_port}\n"
            f"  User {user}\n"
            f"  IdentityFile {key_file}\n"
            "  IdentitiesOnly yes\n"
            "  StrictHostKeyChecking no\n"
            "  UserKnownHostsFile /dev/null\n"
            "  LogLevel ERROR\n"
            "  ConnectTimeout 10\n"
        )
    return "".join(blocks)


@dataclass(frozen=True)
class Shape:
    """What the runbook says of the target's outside: host names, users, ports, health."""

    hosts: dict[str, str]  # environment host -> its SSH user
    http_port: int
    health_path: str
    ready_timeout: float = READY_TIMEOUT_S

    @classmethod
    def of(cls, rb: Any) -> Shape:
        if rb.target is None:
            raise TargetError("the runbook declares no `target:`")
        first = next(iter(rb.environments.values()))
        hosts = {env.host: env.ssh_user for env in rb.environments.values() if env.host}
        return cls(hosts, rb.target.http_port, first.health_path, float(rb.target.ready_timeout))

    @property
    def ssh_user(self) -> str:
        return next(iter(self.hosts.values()))


def free_ports(count: int) -> list[int]:
    """Distinct TCP ports of 127.0.0.1 that nothing listens on now."""
    with contextlib.ExitStack() as stack:
        socks = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in socks]


def start(client: Any, image: str, state_dir: Path, shape: Shape) -> Target:
    """Run a new target container from ``image`` and wait until sshd greets."""
    state_dir = state_dir.resolve()
    remove_orphans(client)
    key, public = make_key(state_dir)
    ssh_host_port, http_host_port = free_ports(2)
    try:
        container = client.containers.run(
            image,
            detach=True,
            hostname=next(iter(shape.hosts)).split(".")[0][:63],
            environment={"AUTHORIZED_KEY": public},
            # Host ports chosen here, not by Docker: a restarted container (a fault scenario)
            # keeps them, where Docker would give it new ones.
            ports={
                "22/tcp": ("127.0.0.1", ssh_host_port),
                f"{shape.http_port}/tcp": ("127.0.0.1", http_host_port),
            },
            labels={LABEL: str(state_dir)},
            # a small disk of its own, which the full-disk fault scenario fills
            tmpfs={"/var/lib/runbook-full": "size=1m"},
            name=f"runbook-target-{os.getpid()}-{int(time.time())}",
        )
    except Exception as exc:
        raise TargetError(f"cannot start the target container: {exc}") from None
    container.reload()
    ports = container.attrs["NetworkSettings"]["Ports"]
    ssh_port, http_port = (
        int(ports[p][0]["HostPort"]) for p in ("22/tcp", f"{shape.http_port}/tcp")
    )
    config = state_dir / "ssh_config"
    config.write_text(ssh_config_text(ssh_port, key, shape.hosts), encoding="utf-8")
    target = Target(
        container.id,
        container.name,
        image,
        ssh_port,
        http_port,
        str(key),
        str(config),
        tuple(shape.hosts),
        shape.ssh_user,
        shape.health_path,
    )
    (state_dir / "target.json").write_text(json.dumps(asdict(target), indent=2), encoding="utf-8")
    wait_ready(client, target, shape.ready_timeout)
    return target


def wait_ready(client: Any, target: Target, timeout: float = READY_TIMEOUT_S) -> None:
    """Until sshd greets and the team's start has run, or say why not.

    The service itself answers only once a release is installed: the harness waits for
    ``health_path`` after each install, and `runbook target up` after the first one.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        container = client.containers.get(target.container_id)
        if container.status == "exited":
            logs = container.logs(tail=5).decode(errors="replace").strip().replace("\n", " | ")
            raise TargetError(f"the target container exited during start: {logs}")
        if _ssh_greets(target.ssh_port) and _started(container):
            return
        time.sleep(0.3)
    raise TargetError(f"the target did not become ready within {timeout:.0f} s")


def _started(container: Any) -> bool:
    from runbook.target.layer import STARTED_MARKER

    code, _ = container.exec_run(["test", "-e", STARTED_MARKER])
    return bool(code == 0)


def _ssh_greets(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            return sock.recv(4).startswith(b"SSH-")
    except OSError:
        return False


def healthy(url: str) -> bool:
    """Whether the service answers ``url`` with 200 through the published HTTP port."""
    try:
        with urllib.request.urlopen(url, timeout=2) as reply:
            return bool(reply.status == 200)
    except OSError:
        return False


def load(state_dir: Path) -> Target | None:
    """The target recorded in the state directory, if any."""
    try:
        data = json.loads((state_dir / "target.json").read_text(encoding="utf-8"))
        data["hosts"] = tuple(data.get("hosts", ()))
        return Target(**data)
    except (OSError, ValueError, TypeError):
        return None


def running(client: Any, target: Target) -> bool:
    import docker

    try:
        return bool(client.containers.get(target.container_id).status == "running")
    except docker.errors.NotFound:
        return False


def remove(client: Any, state_dir: Path) -> Target | None:
    """Remove the recorded container (if it still exists) and forget the state."""
    import docker

    target = load(state_dir)
    if target is not None:
        with contextlib.suppress(docker.errors.NotFound):
            client.containers.get(target.container_id).remove(force=True)
    for name in ("target.json", "ssh_config", "id_ed25519", "id_ed25519.pub"):
        (state_dir / name).unlink(missing_ok=True)
    return target


def remove_orphans(client: Any) -> list[str]:
    """Remove targets whose state directory is gone (an interrupted session left them)."""
    removed = []
    for found in client.containers.list(all=True, filters={"label": LABEL}):
        if not Path(found.labels.get(LABEL, "")).is_dir():
            found.remove(force=True)
            removed.append(found.name)
    return removed
