"""Set a fleet target to a known state between scenarios, and look at it, through `docker exec`.

The fleet scenarios themselves reach the hosts only as Ansible does (SSH) and the service
only through the load balancer (HTTP); this is the harness's back door, one host at a time.
It runs the team's hooks (each group's ``reset`` and ``activate``, the target's ``install``)
and the generic resets of ``control``: no release, backup, ``current`` or lock.
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from runbook.model import Runbook
from runbook.scenarios.control import (
    DEFAULT_INSTALL,
    LOCK_NAME,
    SWITCH,
    WIPE,
    HarnessError,
    names_version,
)
from runbook.target.fleet import Fleet, FleetHost

T = TypeVar("T")
#: The serving release's health body, asked of the host itself with bash alone.
LOCAL_HEALTH = (
    'exec 3<>"/dev/tcp/127.0.0.1/$RB_PORT" && '
    'printf "GET %s HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n" "$RB_PATH" >&3 && cat <&3'
)
#: sshd and its sessions gone (bounded), and nothing listening on port 22 any more.
CUT_SSH = (
    "for _ in $(seq 1 25); do pkill -9 -x sshd || break; sleep 0.2; done\n"
    "! (exec 3<>/dev/tcp/127.0.0.1/22) 2>/dev/null\n"
)
#: sshd running again (a scenario may have stopped it to make the host unreachable).
SSHD_UP = "pgrep -x sshd >/dev/null || /usr/sbin/sshd"


def _each(action: Callable[[T], None], items: list[T]) -> None:
    """``action`` on every item at once; the first error is raised once all have ended."""
    with ThreadPoolExecutor(max_workers=max(1, len(items))) as pool:
        for future in [pool.submit(action, item) for item in items]:
            future.result()


class FleetControl:
    """Root access to each container of the fleet, for the hooks and the generic resets."""

    def __init__(self, client: Any, fleet: Fleet, runbook: Runbook) -> None:
        assert runbook.target is not None and runbook.target.fleet is not None
        self.fleet = fleet
        self.runbook = runbook
        self.spec = runbook.target
        self.fleet_spec = runbook.target.fleet
        self.env = runbook.environments[fleet.environment]
        assert self.env.rolling is not None
        self.rolling_group = self.env.rolling.group
        self.containers = {h.name: client.containers.get(h.container_id) for h in fleet.hosts}

    # ------------------------------------------------------------------ running things
    def run(self, host: str, script: str, user: str = "root", **extra: str) -> str:
        env = {
            "ENVIRONMENT": self.fleet.environment,
            "DEPLOY_PATH": self.env.deploy_path,
            "DEPLOY_USER": self.env.ssh_user,
            "HOST": host,
            **extra,
        }
        if "VERSION" in extra:
            env["RELEASE_DIR"] = f"{self.env.deploy_path}/releases/{extra['VERSION']}"
        exports = "".join(f"export {k}={shlex.quote(v)}\n" for k, v in env.items())
        code, output = self.containers[host].exec_run(
            ["bash", "-c", "set -Eeuo pipefail\n" + exports + script], user=user
        )
        text = str(output.decode(errors="replace"))
        if code != 0:
            raise HarnessError(f"{host}: exit {code} from {script.strip()[:100]!r}: {text[-600:]}")
        return text

    def as_user(self, host: str, script: str, **extra: str) -> str:
        return self.run(host, script, user=self.env.ssh_user, **extra)

    def hosts(self, group: str | None = None) -> list[FleetHost]:
        return list(self.fleet.hosts) if group is None else self.fleet.group(group)

    @property
    def app_hosts(self) -> list[str]:
        return [h.name for h in self.fleet.group(self.rolling_group)]

    # ------------------------------------------------------------------ states
    def reset(self) -> None:
        """sshd up, each group's reset, then no release, backup, lock or log on any host.

        The hosts are reset at the same time: each is its own container.
        """

        def one(host: FleetHost) -> None:
            self.run(host.name, SSHD_UP)
            group = self.fleet_spec.groups.get(host.group)
            if group is not None and group.reset:
                self.run(host.name, group.reset)
            self.run(host.name, WIPE)

        _each(one, list(self.fleet.hosts))

    def install(self, version: str, artifact: bytes, hosts: list[str] | None = None) -> None:
        """On each host of the rolling group: unpack, switch, record, activate, answer healthy.

        The first host alone first (its activation migrates the shared database), then the
        others at the same time.
        """
        group = self.fleet_spec.groups.get(self.rolling_group)
        activate = (group.activate if group else None) or self.spec.activate

        def one(host: str) -> None:
            name = f"runbook-artifact-{version}"
            self._put(host, name, artifact)
            extra = {"VERSION": version, "ARTIFACT": f"/tmp/{name}"}
            self.as_user(host, self.spec.install or DEFAULT_INSTALL, **extra)
            self.as_user(host, SWITCH + 'rm -f "$ARTIFACT"\n', **extra)
            self.run(host, activate, **extra)
            self.wait_serving(host, version)

        chosen = hosts or self.app_hosts
        one(chosen[0])
        _each(one, chosen[1:])

    def _put(self, host: str, name: str, data: bytes) -> None:
        import io
        import tarfile

        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as tar:
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, int(time.time())
            info.uname = info.gname = self.env.ssh_user
            tar.addfile(info, io.BytesIO(data))
        self.containers[host].put_archive("/tmp", buffer.getvalue())
        self.run(host, f"chown {shlex.quote(self.env.ssh_user)} /tmp/{shlex.quote(name)}")

    def health(self, host: str) -> str:
        """The health body the host itself answers (bash, /dev/tcp: no tool of the image)."""
        try:
            return self.run(
                host, LOCAL_HEALTH, RB_PORT=str(self.spec.http_port), RB_PATH=self.env.health_path
            )
        except HarnessError as exc:
            return str(exc)

    def wait_serving(self, host: str, version: str, timeout: float | None = None) -> None:
        limit = float(timeout or self.spec.ready_timeout)
        deadline = time.monotonic() + limit
        seen = ""
        while time.monotonic() < deadline:
            seen = self.health(host)
            if " 200 " in seen.split("\n", 1)[0] and names_version(seen, version):
                return
            time.sleep(0.3)
        raise HarnessError(f"{host}: {version} does not serve after {limit:.0f} s: {seen[-200:]}")

    def unreachable(self, host: str) -> None:
        """Stop sshd and every SSH session on ``host``: the service keeps serving."""
        self.run(host, CUT_SSH)

    # ------------------------------------------------------------------ observations
    def serving(self, host: str) -> str:
        return self.as_user(host, 'basename "$(readlink "$DEPLOY_PATH/current")"').strip()

    def releases(self, host: str) -> list[str]:
        return sorted(self.as_user(host, 'ls -1 "$DEPLOY_PATH/releases"').split())

    def revisions(self, host: str) -> str:
        return self.as_user(host, 'cat "$DEPLOY_PATH/revisions.log" 2>/dev/null || true')

    def locked(self, host: str) -> bool:
        code, _ = self.containers[host].exec_run(
            ["test", "-e", f"{self.env.deploy_path}/{LOCK_NAME}"]
        )
        return bool(code == 0)

    def hold_lock(self, host: str, owner: str) -> None:
        """A lock as another run (a script, another operator) holds it right now."""
        self.as_user(
            host,
            f'mkdir "$DEPLOY_PATH/{LOCK_NAME}" && printf "%s\\nstarted=%s\\n" '
            f'{shlex.quote(owner)} "$(date +%s)" > "$DEPLOY_PATH/{LOCK_NAME}/owner"',
        )

    def snapshot(self) -> dict[str, str]:
        """Per host: what a refused run must leave exactly as it was."""
        return {
            h.name: self.as_user(
                h.name,
                'cd "$DEPLOY_PATH"; readlink current || true; ls -1 releases backups; '
                "cat revisions.log 2>/dev/null || true; "
                f"cat {LOCK_NAME}/owner 2>/dev/null || echo no-lock",
            )
            for h in self.fleet.hosts
        }

    def ingress_serves(self, version: str) -> bool:
        import httpx

        try:
            reply = httpx.get(self.fleet.health_url, timeout=3)
        except httpx.HTTPError:
            return False
        return reply.status_code == 200 and names_version(reply.text, version)
