"""Set the target to a known state between scenarios, as root through `docker exec`.

The scenarios themselves only use SSH (fabric) and HTTP (httpx) on 127.0.0.1; this module
is the test harness's back door: wipe releases, backups, the lock and the database, and
install baseline releases quickly without going through the procedures under test.
"""

from __future__ import annotations

import io
import tarfile
import time
from typing import Any

import httpx

from runbook.target.container import Target

DEPLOY = "/srv/app"
RESET = f"""
supervisorctl stop app >/dev/null
rm -rf {DEPLOY}/.deploy.lock {DEPLOY}/releases/* {DEPLOY}/backups/* {DEPLOY}/current.next \
  {DEPLOY}/revisions.log {DEPLOY}/deploy.log.jsonl
su postgres -c 'dropdb --force --if-exists app && createdb --owner deploy app'
"""
INSTALL = """
release={deploy}/releases/{version}
mkdir -p "$release"
tar -xzf /tmp/{version}.tar.gz -C "$release" && rm -f /tmp/{version}.tar.gz
chown -R deploy:deploy "$release"
su deploy -c "bash $release/migrate.sh" >/dev/null
su deploy -c "ln -sfn $release {deploy}/current.next && mv -T {deploy}/current.next {deploy}/current"
su deploy -c "printf '%s {version} {environment}\\n' $(date -u +%Y%m%d-%H%M%S) >> {deploy}/revisions.log"
if supervisorctl status app >/dev/null; then
  kill -HUP "$(cat {deploy}/shared/gunicorn.pid)"
else
  supervisorctl start app >/dev/null
fi
"""


class TargetError(AssertionError):
    """The harness could not put the target in the state a scenario needs."""


class TargetControl:
    """Root access to the target container for resetting state between scenarios."""

    def __init__(self, client: Any, target: Target) -> None:
        self.target = target
        self.container = client.containers.get(target.container_id)

    def root(self, script: str, user: str = "root") -> str:
        code, output = self.container.exec_run(["bash", "-ec", script], user=user)
        text = str(output.decode(errors="replace"))
        if code != 0:
            raise TargetError(f"exit {code} from {script.strip()[:80]!r}: {text[-400:]}")
        return text

    def deploy_user(self, script: str) -> str:
        return self.root(script, user="deploy")

    def put(self, directory: str, name: str, data: bytes) -> None:
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as tar:
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, int(time.time())
            tar.addfile(info, io.BytesIO(data))
        self.container.put_archive(directory, buffer.getvalue())

    def reset(self) -> None:
        """No releases, no backups, no lock, an empty database `app`, the app stopped.

        The app is stopped first: gunicorn's master cannot reload once the release it runs
        in is deleted, and the reset deletes every release.
        """
        self.root(RESET)

    def install(self, version: str, tarball: bytes, environment: str = "staging") -> None:
        """Unpack, migrate, switch and reload: the state a past deploy would have left."""
        self.put("/tmp", f"{version}.tar.gz", tarball)
        self.root(INSTALL.format(deploy=DEPLOY, version=version, environment=environment))
        self.wait_serving(version)

    def wait_serving(self, version: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        seen = ""
        while time.monotonic() < deadline:
            try:
                body = httpx.get(self.target.http_url + "/health", timeout=3).json()
                seen = str(body.get("version"))
                if seen == version and body.get("status") == "ok":
                    return
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(0.2)
        raise TargetError(f"{version} does not serve after {timeout:.0f} s (seen: {seen})")

    def sql(self, query: str) -> str:
        return self.deploy_user(f"psql -X -q -d app -Atc {_quote(query)}").strip()

    def serving(self) -> str:
        return self.deploy_user(f'basename "$(readlink {DEPLOY}/current)"').strip()

    def releases(self) -> list[str]:
        return sorted(self.deploy_user(f"ls -1 {DEPLOY}/releases").split())

    def backups(self) -> list[str]:
        return sorted(self.deploy_user(f"ls -1 {DEPLOY}/backups").split())

    def exists(self, path: str) -> bool:
        code, _ = self.container.exec_run(["test", "-e", path])
        return bool(code == 0)


def _quote(text: str) -> str:
    import shlex

    return shlex.quote(text)
