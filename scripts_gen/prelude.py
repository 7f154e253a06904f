"""Preludes: the bash a step's command runs after, identical for the scripts and the scenarios.

A remote step runs on the target as ``set -Eeuo pipefail``, the runtime variables, then the
helper ``check_endpoints``, then the command. A local step gets the same, plus ``remote`` and
``upload``, which reach the environment's host over ssh/scp (``-F "$RUNBOOK_SSH_CONFIG"`` when
set, ``BatchMode=yes`` always) and hand the remote side the very same variables.
"""

from __future__ import annotations

import re

from runbook.loader import LoadedRunbook
from runbook.model import Endpoint
from runbook.model.environment import HOST_PATTERN, USER_PATTERN
from scripts_gen import contract
from scripts_gen.environment import render
from scripts_gen.quoting import q

_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")


def procedure_endpoints(loaded: LoadedRunbook, procedure_id: str) -> list[Endpoint]:
    """The procedure's own endpoints, or else its environment's."""
    rb = loaded.runbook
    procedure = rb.procedures[procedure_id]
    if procedure.endpoints is not None:
        return list(procedure.endpoints)
    return list(rb.environments[procedure.environment].endpoints)


def remote_functions(loaded: LoadedRunbook, procedure_id: str) -> str:
    """Helper functions defined on the target before a remote command (``check_endpoints``)."""
    rb = loaded.runbook
    env = rb.environments[rb.procedures[procedure_id].environment]
    return render(
        "remote_functions.sh.j2",
        base_url=env.base_url,
        endpoints=procedure_endpoints(loaded, procedure_id),
    )


def local_context(loaded: LoadedRunbook, procedure_id: str) -> dict[str, object]:
    """What ``local_functions.sh.j2`` is rendered with: the ssh target and port."""
    rb = loaded.runbook
    env = rb.environments[rb.procedures[procedure_id].environment]
    # ssh would read a host or user starting with `-` as an option: check them again here.
    if not (
        env.host is not None
        and re.fullmatch(HOST_PATTERN, env.host)
        and re.fullmatch(USER_PATTERN, env.ssh_user)
    ):
        raise ValueError(f"not a valid ssh target: {env.ssh_user!r}@{env.host!r}")
    return {
        "target": f"{env.ssh_user}@{env.host}",
        "port": env.ssh_port,
        "keepalive_interval": contract.KEEPALIVE_INTERVAL,
        "keepalive_count": contract.KEEPALIVE_COUNT,
        "keepalive_window": contract.KEEPALIVE_INTERVAL * (contract.KEEPALIVE_COUNT + 1),
    }


def local_functions(loaded: LoadedRunbook, procedure_id: str) -> str:
    """Helper functions of local commands: ``remote``, ``upload``, ``check_endpoints``.

    They expect ``_RB_VARIABLES`` (names to hand over) and ``_RB_REMOTE_FUNCTIONS`` to be set.
    """
    return render("local_functions.sh.j2", **local_context(loaded, procedure_id))


def assignments(variables: dict[str, str]) -> str:
    """``export NAME=value`` lines, every value shell-quoted."""
    lines = []
    for name, value in variables.items():
        if not _NAME.match(name):
            raise ValueError(f"not a shell variable name: {name!r}")
        lines.append(f"export {name}={q(value)}\n")
    return "".join(lines)


def remote_prelude(loaded: LoadedRunbook, procedure_id: str, variables: dict[str, str]) -> str:
    """Bash run on the target before a remote step's command."""
    return "set -Eeuo pipefail\n" + assignments(variables) + remote_functions(loaded, procedure_id)


def local_prelude(loaded: LoadedRunbook, procedure_id: str, variables: dict[str, str]) -> str:
    """Bash run on the deploying machine before a local step's command."""
    return (
        "set -Eeuo pipefail\n"
        + assignments(variables)
        + f"_RB_VARIABLES={q(' '.join(variables))}\n"
        + f"_RB_REMOTE_FUNCTIONS={q(remote_functions(loaded, procedure_id))}\n"
        + local_functions(loaded, procedure_id)
    )
