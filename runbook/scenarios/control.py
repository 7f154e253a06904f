"""Set the target to a known state between scenarios, through `docker exec`.

The scenarios themselves only use SSH (fabric), HTTP (httpx) and the generated scripts on
127.0.0.1; this module is the harness's back door. It runs the team's own hooks from the
runbook's `target:` (reset, install, activate, data) and does the generic rest itself:
remove releases, backups, `current`, `revisions.log` and the lock; switch `current`
atomically; record the release in `revisions.log` as the scripts do.
"""

from __future__ import annotations

import io
import re
import shlex
import tarfile
import time
from datetime import UTC, datetime
from typing import Any

import httpx

from runbook.model import Environment, Runbook
from runbook.target.container import Target

DEFAULT_INSTALL = 'mkdir -p "$RELEASE_DIR" && tar -xzf "$ARTIFACT" -C "$RELEASE_DIR"'
LOCK_NAME = ".deploy.lock"
WIPE = (
    f'rm -rf "$DEPLOY_PATH/{LOCK_NAME}" "$DEPLOY_PATH/current" "$DEPLOY_PATH/current.next" '
    '"$DEPLOY_PATH/revisions.log" "$DEPLOY_PATH/deploy.log.jsonl" '
    '"$DEPLOY_PATH"/releases/* "$DEPLOY_PATH"/backups/*\n'
    'install -d -o "$DEPLOY_USER" -g "$DEPLOY_USER" "$DEPLOY_PATH/releases" "$DEPLOY_PATH/backups"\n'
)
SWITCH = (
    'ln -sfn "$RELEASE_DIR" "$DEPLOY_PATH/current.next" && '
    'mv -T "$DEPLOY_PATH/current.next" "$DEPLOY_PATH/current"\n'
    'printf \'%s %s %s\\n\' "$(date -u +%Y%m%d-%H%M%S)" "$VERSION" "$ENVIRONMENT" '
    '>> "$DEPLOY_PATH/revisions.log"\n'
)


END = "__runbook_harness_end__"


class HarnessError(AssertionError):
    """The harness could not put the target in the state a scenario needs."""


def names_version(body: str, version: str) -> bool:
    """Whether a response body names ``version`` as a whole token (1.5.0 is not 1.5.01)."""
    return re.search(rf"(?<![\w.+-]){re.escape(version)}(?![\w.+-]*\w)", body) is not None


class TargetControl:
    """Root access to the target container, for the team's hooks and the generic resets."""

    def __init__(self, client: Any, target: Target, runbook: Runbook) -> None:
        assert runbook.target is not None, "the runbook declares no target"
        self.target = target
        self.runbook = runbook
        self.spec = runbook.target
        self.container = client.containers.get(target.container_id)

    # ------------------------------------------------------------------ running things
    def run(
        self, script: str, user: str = "root", env: dict[str, str] | None = None, read: bool = False
    ) -> str:
        """Run bash in the container; ``read``: an idempotent read, whose output must arrive.

        Docker 20.10 can lose the output of a process that exits quickly under load, so a
        read ends with a sentinel line and is repeated (at most 5 times) until it arrives.
        """
        exports = "".join(f"export {k}={shlex.quote(v)}\n" for k, v in (env or {}).items())
        body = "set -Eeuo pipefail\n" + exports + script
        argv, environment = ["bash", "-c", body], None
        if read:  # the body in a bash of its own, so that `set -e` holds in it
            argv = ["bash", "-c", f'bash -c "$RUNBOOK_BODY" && printf "\\n%s\\n" {END}']
            environment = {"RUNBOOK_BODY": body}
        for _ in range(5 if read else 1):
            code, output = self.container.exec_run(argv, user=user, environment=environment)
            text = str(output.decode(errors="replace"))
            if code != 0:
                raise HarnessError(f"exit {code} from {script.strip()[:120]!r}: {text[-600:]}")
            if not read:
                return text
            if text.rstrip().endswith(END):
                return text.rstrip()[: -len(END)].rstrip("\n") + "\n"
            time.sleep(0.2)
        raise HarnessError(f"no output arrived from {script.strip()[:120]!r} in 5 tries")

    def environment(self, env_id: str | None = None) -> tuple[str, Environment]:
        if env_id is None:
            env_id = next(iter(self.runbook.environments))
        return env_id, self.runbook.environments[env_id]

    def hook_env(self, env_id: str | None = None, **extra: str) -> dict[str, str]:
        env_id, env = self.environment(env_id)
        values = {
            "ENVIRONMENT": env_id,
            "DEPLOY_PATH": env.deploy_path,
            "DEPLOY_USER": env.ssh_user,
        }
        if "VERSION" in extra:
            values["RELEASE_DIR"] = f"{env.deploy_path}/releases/{extra['VERSION']}"
        return {**values, **extra}

    def as_user(self, script: str, env_id: str | None = None, **extra: str) -> str:
        env = self.hook_env(env_id, **extra)
        return self.run(script, user=env["DEPLOY_USER"], env=env)

    def read(self, script: str, env_id: str | None = None, **extra: str) -> str:
        """An idempotent read as the deploy user, whose output is sure to arrive."""
        env = self.hook_env(env_id, **extra)
        return self.run(script, user=env["DEPLOY_USER"], env=env, read=True)

    def as_root(self, script: str, env_id: str | None = None, **extra: str) -> str:
        return self.run(script, env=self.hook_env(env_id, **extra))

    def put(self, directory: str, name: str, data: bytes, owner: str = "root") -> None:
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as tar:
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, int(time.time())
            info.uname = info.gname = owner
            tar.addfile(info, io.BytesIO(data))
        self.container.put_archive(directory, buffer.getvalue())

    # ------------------------------------------------------------------ states
    def reset(self) -> None:
        """The team's reset (service stopped, data empty), then no release, backup or lock."""
        if self.spec.reset:
            self.as_root(self.spec.reset)
        for env_id in self.runbook.environments:
            self.as_root(WIPE, env_id)

    def install(self, version: str, artifact: bytes, env_id: str | None = None) -> None:
        """Unpack, switch, record, activate: the state a past deploy would have left."""
        env_id, env = self.environment(env_id)
        name = f"runbook-artifact-{version}"
        self.put("/tmp", name, artifact, owner=env.ssh_user)
        self.run(f"chown {shlex.quote(env.ssh_user)} /tmp/{shlex.quote(name)}")
        extra = {"VERSION": version, "ARTIFACT": f"/tmp/{name}"}
        self.as_user(self.spec.install or DEFAULT_INSTALL, env_id, **extra)
        self.as_user(SWITCH + 'rm -f "$ARTIFACT"\n', env_id, **extra)
        self.as_root(self.spec.activate, env_id, **extra)
        self.wait_serving(version)

    def wait_serving(self, version: str, timeout: float | None = None) -> None:
        limit = float(timeout or self.spec.ready_timeout)
        deadline = time.monotonic() + limit
        seen = ""
        while time.monotonic() < deadline:
            try:
                reply = httpx.get(self.target.health_url, timeout=3)
                seen = f"{reply.status_code} {reply.text[:200]}"
                if reply.status_code == 200 and names_version(reply.text, version):
                    return
            except httpx.HTTPError as exc:
                seen = type(exc).__name__
            time.sleep(0.2)
        raise HarnessError(
            f"{version} does not serve on {self.target.health_path} after {limit:.0f} s "
            f"(last answer: {seen})"
        )

    # ------------------------------------------------------------------ observations
    def serving(self, env_id: str | None = None) -> str:
        return self.read('basename "$(readlink "$DEPLOY_PATH/current")"', env_id).strip()

    def listing(self, sub: str, env_id: str | None = None) -> list[str]:
        return sorted(self.read(f'ls -1 "$DEPLOY_PATH/{sub}"', env_id).split())

    def snapshot(self, env_id: str | None = None) -> dict[str, str]:
        """What a refused run must leave exactly as it was."""
        state = {
            "deploy": self.read(
                'cd "$DEPLOY_PATH"; readlink current; ls -1 releases backups; cat revisions.log;'
                f" test ! -e {LOCK_NAME} && echo no-lock",
                env_id,
            )
        }
        if self.spec.data is not None:
            state["data"] = self.read_data(env_id)
        return state

    def write_data(self, mark: str, env_id: str | None = None) -> None:
        assert self.spec.data is not None, "the target declares no `data` hooks"
        self.as_user(self.spec.data.write, env_id, MARK=mark)

    def read_data(self, env_id: str | None = None) -> str:
        assert self.spec.data is not None, "the target declares no `data` hooks"
        return self.read(self.spec.data.read, env_id)

    def exists(self, path: str) -> bool:
        code, _ = self.container.exec_run(["test", "-e", path])
        return bool(code == 0)

    def lock_path(self, env_id: str | None = None) -> str:
        return f"{self.environment(env_id)[1].deploy_path}/{LOCK_NAME}"


def timestamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
