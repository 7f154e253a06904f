"""What the tool adds to every team's target image: sshd, the deploy users, the entrypoint.

The team's image knows its own stack; this layer knows only what the runbook says of every
environment: the SSH users and the deploy paths they own. The entrypoint starts sshd with
the per-run public key (never baked into the image), marks the container as started, then
sources the team's `start` script, which may `exec` its process manager.
"""

from __future__ import annotations

from shlex import quote
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runbook.model import Runbook

TOOL_PACKAGES = ("openssh-server", "sudo", "ca-certificates", "procps")
STARTED_MARKER = "/run/runbook-target-started"

SSHD_CONFIG = """\
# Written by runbook: key authentication only; the key is injected per run.
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
PubkeyAuthentication yes
AllowUsers {users}
UseDNS no
"""

ENTRYPOINT = """\
#!/bin/bash
# Written by runbook: authorized key for each deploy user, sshd, then the team's own start.
set -Eeuo pipefail
while read -r user; do
  home=$(getent passwd "$user" | cut -d: -f6)
  install -d -m 0700 -o "$user" -g "$user" "$home/.ssh"
  printf '%s\\n' "${AUTHORIZED_KEY:-}" > "$home/.ssh/authorized_keys"
  chown "$user:$user" "$home/.ssh/authorized_keys"
  chmod 0600 "$home/.ssh/authorized_keys"
done < /etc/runbook/users
unset AUTHORIZED_KEY
ssh-keygen -A -q
install -d -m 0755 /run/sshd
/usr/sbin/sshd
touch {marker}
# The team's start: may start daemons and return, or exec a process manager.
# shellcheck disable=SC1091
source /etc/runbook/start.sh
exec sleep infinity
"""


def users(rb: Runbook) -> dict[str, tuple[str, ...]]:
    """Each SSH user of the environments, with the deploy paths it owns, in file order."""
    found: dict[str, list[str]] = {}
    for env in rb.environments.values():
        paths = found.setdefault(env.ssh_user, [])
        if env.deploy_path not in paths:
            paths.append(env.deploy_path)
    return {user: tuple(paths) for user, paths in found.items()}


def tool_files(rb: Runbook) -> dict[str, str]:
    """The files of the tool's layer, by name, as they go into ``/etc/runbook``."""
    assert rb.target is not None
    return {
        "sshd_config": SSHD_CONFIG.format(users=" ".join(users(rb))),
        "entrypoint.sh": ENTRYPOINT.replace("{marker}", STARTED_MARKER),
        "start.sh": "# The team's `target.start`, from the runbook.\n" + rb.target.start + "\n",
        "users": "".join(f"{user}\n" for user in users(rb)),
    }


def users_run(owners: dict[str, tuple[str, ...]]) -> str:
    """A Dockerfile RUN that makes each user (unless present) and its deploy directories."""
    commands = []
    for user, paths in owners.items():
        q = quote(user)
        commands.append(
            f"(id -u {q} >/dev/null 2>&1 || useradd --create-home --shell /bin/bash {q})"
        )
        for path in paths:
            dirs = " ".join(quote(f"{path}/{sub}") for sub in ("", "releases", "backups"))
            commands.append(f"install -d -o {q} -g {q} {dirs}")
    return "RUN " + " \\\n && ".join(commands)


def dockerfile(owners: dict[str, tuple[str, ...]]) -> str:
    """The tool's layer, on top of the team's image (packages installed only when missing)."""
    packages = " ".join(TOOL_PACKAGES)
    return f"""
# The tool's layer: sshd (keys only), the deploy users and their deploy paths.
RUN if ! command -v sshd >/dev/null || ! command -v sudo >/dev/null; then \\
      apt-get update -qq \\
      && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \\
         {packages} >/dev/null \\
      && rm -rf /var/lib/apt/lists/*; \\
    fi; rm -f /etc/ssh/ssh_host_*
{users_run(owners)}
COPY runbook /etc/runbook
RUN install -m 0644 /etc/runbook/sshd_config /etc/ssh/sshd_config.d/runbook.conf \\
 && chmod 0755 /etc/runbook/entrypoint.sh
EXPOSE 22
ENTRYPOINT ["/etc/runbook/entrypoint.sh"]
CMD []
"""
