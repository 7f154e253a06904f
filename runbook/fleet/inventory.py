"""The inventory of a fleet environment: its groups and hosts, as Ansible reads them.

Each host is named as the runbook names it (Ansible connects to that name, so an
``ssh_config`` may map it, as ``RUNBOOK_SSH_CONFIG`` does for the scripts). The SSH user,
the port (only when it is not 22, so that an ssh_config can decide it) and
``rb_environment`` (which the playbooks check before anything runs) are group variables.
"""

from __future__ import annotations

import re
from typing import Any

from runbook.fleet.playbook import PLAYBOOKS_DIR, checked_id, header, inventory_name
from runbook.fleet.yamltext import Literal, dump
from runbook.loader import LoadedRunbook
from runbook.model.environment import HOST_PATTERN


def render_inventory(loaded: LoadedRunbook, env_id: str) -> str:
    env = loaded.runbook.environments[checked_id(env_id)]
    assert env.groups is not None, f"{env_id} is not a fleet"
    variables: dict[str, Any] = {
        "rb_environment": Literal(env_id),
        "ansible_user": Literal(env.ssh_user),
    }
    if int(env.ssh_port) != 22:
        variables["ansible_port"] = int(env.ssh_port)
    children: dict[str, Any] = {}
    for group, hosts in env.groups.items():
        for host in hosts:
            if not re.fullmatch(HOST_PATTERN, host):
                raise ValueError(f"not a valid host name: {host!r}")
        children[checked_id(group)] = {"hosts": {host: {} for host in hosts}}
    text = dump({"all": {"vars": variables, "children": children}})
    usage = f"ansible-playbook -i {PLAYBOOKS_DIR}/{inventory_name(env_id)} PLAYBOOK ..."
    return header(loaded, f"Inventory:  {env_id}", usage) + "---\n" + text
