"""A fleet target: one container per host of a fleet environment, on a private network.

Every container runs the team's target image (built once); each group's ``start`` replaces
the image's ``start`` through the entrypoint, with ``$RUNBOOK_GROUP`` and ``$HOSTS_<GROUP>``
set. The containers reach each other by the environment's host names (network aliases);
from this machine only their SSH ports and the ingress host's HTTP port are reachable, all
published on 127.0.0.1. Everything is labelled with the state directory, so a run removes
only its own containers and network, and orphans of an interrupted run are found.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from runbook.errors import TargetError
from runbook.target.container import LABEL as TARGET_LABEL
from runbook.target.container import make_key, ssh_config_text

LABEL = "runbook.fleet"
WRAP = (
    'printf "%s\\n" "$RUNBOOK_FLEET_START" > /etc/runbook/start.sh && '
    "unset RUNBOOK_FLEET_START && exec /etc/runbook/entrypoint.sh"
)


@dataclass(frozen=True)
class FleetHost:
    """One host of the fleet as a container: its name, group, and published SSH port."""

    name: str
    group: str
    container_id: str
    ssh_port: int


@dataclass(frozen=True)
class Fleet:
    """A running fleet target as the playbooks, the probe and the harness reach it."""

    environment: str
    network: str
    hosts: tuple[FleetHost, ...]
    http_port: int
    key_file: str
    ssh_config: str
    ssh_user: str
    health_path: str

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def health_url(self) -> str:
        return self.http_url + self.health_path

    def group(self, group: str) -> list[FleetHost]:
        return [h for h in self.hosts if h.group == group]

    def host(self, name: str) -> FleetHost:
        return next(h for h in self.hosts if h.name == name)


def variable_name(group: str) -> str:
    """``HOSTS_<GROUP>``: the group id upper-cased, dashes as underscores."""
    return "HOSTS_" + re.sub(r"[^A-Z0-9]", "_", group.upper())


def start(client: Any, image: str, state_dir: Path, rb: Any) -> Fleet:
    """Start one container per host (the ingress group last) and wait until each is ready."""
    spec = rb.target.fleet if rb.target is not None else None
    if spec is None:
        raise TargetError("the runbook's target declares no `fleet:`")
    env = rb.environments[spec.environment]
    state_dir = state_dir.resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    remove_orphans(client)
    key, public = make_key(state_dir)
    # The image carries the staging target's label; set it to this state directory too, so
    # that a single target's orphan sweep (which reads that label) leaves the fleet alone.
    label = {LABEL: str(state_dir), TARGET_LABEL: str(state_dir)}
    stamp = f"{os.getpid()}-{int(time.time())}"
    network = client.networks.create(f"runbook-fleet-{stamp}", labels=label)
    lists = {variable_name(g): " ".join(hosts) for g, hosts in env.groups.items()}
    order = sorted(env.groups, key=lambda g: g == spec.ingress)
    hosts: list[FleetHost] = []
    http_port = 0
    try:
        for group in order:
            for index, name in enumerate(env.groups[group]):
                ingress = group == spec.ingress and index == 0
                found = _run_host(
                    client, image, network, name, group, stamp, label,
                    {**lists, "AUTHORIZED_KEY": public, "RUNBOOK_GROUP": group,
                     "RUNBOOK_FLEET_START": spec.groups[group].start},
                    rb.target.http_port if ingress else None,
                )  # fmt: skip
                hosts.append(FleetHost(name, group, found.id, _port(found, 22)))
                if ingress:
                    http_port = _port(found, rb.target.http_port)
    except Exception as exc:
        _remove(client, [h.container_id for h in hosts], network.id)
        raise TargetError(f"cannot start the fleet target: {exc}") from None
    config = state_dir / "ssh_config"
    users = {h.name: env.ssh_user for h in hosts}
    config.write_text(_ssh_config(hosts, key, users), encoding="utf-8")
    fleet = Fleet(
        spec.environment,
        network.id,
        tuple(sorted(hosts, key=lambda h: env.all_hosts.index(h.name))),
        http_port,
        str(key),
        str(config),
        env.ssh_user,
        env.health_path,
    )
    (state_dir / "fleet.json").write_text(json.dumps(asdict(fleet), indent=2), encoding="utf-8")
    try:
        wait_ready(client, fleet, float(rb.target.ready_timeout))
    except TargetError:
        remove(client, state_dir)
        raise
    return fleet


def _run_host(
    client: Any,
    image: str,
    network: Any,
    name: str,
    group: str,
    stamp: str,
    label: dict[str, str],
    environment: dict[str, str],
    http_port: int | None,
) -> Any:
    ports: dict[str, Any] = {"22/tcp": ("127.0.0.1", None)}
    if http_port is not None:
        ports[f"{http_port}/tcp"] = ("127.0.0.1", None)
    short = name.split(".")[0][:63]
    created = client.containers.create(
        image,
        entrypoint=["/bin/bash", "-c", WRAP],
        hostname=short,
        environment=environment,
        ports=ports,
        labels={**label, "runbook.fleet.group": group, "runbook.fleet.host": name},
        name=f"runbook-fleet-{stamp}-{short}",
        network=network.name,
    )
    network.disconnect(created)
    network.connect(created, aliases=[name, short])
    created.start()
    created.reload()
    return created


def _port(found: Any, port: int) -> int:
    found.reload()
    return int(found.attrs["NetworkSettings"]["Ports"][f"{port}/tcp"][0]["HostPort"])


def _ssh_config(hosts: list[FleetHost], key: Path, users: dict[str, str]) -> str:
    """One Host block per fleet host, each on its own published port (the scripts' format)."""
    blocks = [
        ssh_config_text(h.ssh_port, key, {h.name: users[h.name]}).split("\n", 1)[1] for h in hosts
    ]
    return "# Written by runbook: the fleet target's SSH, published on 127.0.0.1.\n" + "".join(
        blocks
    )


def wait_ready(client: Any, fleet: Fleet, timeout: float) -> None:
    """Until every host's sshd greets and its group's start has run, or say which did not."""
    from runbook.target.layer import STARTED_MARKER

    deadline = time.monotonic() + timeout
    waiting = list(fleet.hosts)
    while waiting and time.monotonic() < deadline:
        for host in list(waiting):
            found = client.containers.get(host.container_id)
            if found.status == "exited":
                logs = found.logs(tail=5).decode(errors="replace").strip().replace("\n", " | ")
                raise TargetError(f"{host.name} exited during start: {logs}")
            code, _ = found.exec_run(["test", "-e", STARTED_MARKER])
            if code == 0 and _greets(host.ssh_port):
                waiting.remove(host)
        time.sleep(0.3)
    if waiting:
        names = ", ".join(h.name for h in waiting)
        raise TargetError(f"the fleet did not become ready within {timeout:.0f} s: {names}")


def _greets(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            return sock.recv(4).startswith(b"SSH-")
    except OSError:
        return False


def load(state_dir: Path) -> Fleet | None:
    """The fleet recorded in the state directory, if any."""
    try:
        data = json.loads((state_dir / "fleet.json").read_text(encoding="utf-8"))
        data["hosts"] = tuple(FleetHost(**h) for h in data["hosts"])
        return Fleet(**data)
    except (OSError, ValueError, TypeError, KeyError):
        return None


def _remove(client: Any, containers: list[str], network: str | None) -> None:
    import docker

    for container_id in containers:
        with contextlib.suppress(docker.errors.NotFound):
            client.containers.get(container_id).remove(force=True)
    if network is not None:
        with contextlib.suppress(docker.errors.NotFound):
            client.networks.get(network).remove()


def remove(client: Any, state_dir: Path) -> Fleet | None:
    """Remove the recorded fleet's containers and network, and forget the state."""
    fleet = load(state_dir)
    if fleet is not None:
        _remove(client, [h.container_id for h in fleet.hosts], fleet.network)
    for name in ("fleet.json", "ssh_config", "id_ed25519", "id_ed25519.pub"):
        (state_dir / name).unlink(missing_ok=True)
    return fleet


def remove_orphans(client: Any) -> list[str]:
    """Remove fleet containers and networks whose state directory is gone."""
    removed = []
    for found in client.containers.list(all=True, filters={"label": LABEL}):
        if not Path(found.labels.get(LABEL, "")).is_dir():
            found.remove(force=True)
            removed.append(found.name)
    for network in client.networks.list(filters={"label": LABEL}):
        if not Path(network.attrs.get("Labels", {}).get(LABEL, "")).is_dir():
            with contextlib.suppress(Exception):
                network.remove()
    return removed
