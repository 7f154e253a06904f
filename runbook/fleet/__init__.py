"""Fleets: a multi-host environment's procedures as Ansible playbooks, with their inventory.

Public interface (used by `runbook build`, `runbook check`, the site and the scenarios):

- ``render_playbooks(loaded) -> dict[str, str]``: path (``playbooks/...``) -> text, for
  every procedure with a ``playbook`` and every fleet environment's inventory.
- ``placement``: where each step of a fleet procedure runs (each host of the batch, once on
  a group's first host, the deploying machine) and the batches.

The scripts stay the single host's; a fleet is deployed by the engine operations teams
already run, Ansible, from the same steps.
"""

from __future__ import annotations

from runbook.fleet.inventory import render_inventory
from runbook.fleet.playbook import PLAYBOOKS_DIR, inventory_name, render_playbook
from runbook.loader import LoadedRunbook

__all__ = ["PLAYBOOKS_DIR", "render_playbooks", "reuse_playbooks"]


def render_playbooks(loaded: LoadedRunbook) -> dict[str, str]:
    """Every playbook and inventory, ``{path relative to the runbook's directory: text}``;
    rendered once per loaded runbook (the build writes them, the site lists them)."""
    return dict(loaded.once("playbooks", lambda: _render(loaded)))


def reuse_playbooks(loaded: LoadedRunbook, files: dict[str, str]) -> None:
    """Take ``files`` (every path under ``playbooks/``: text) as the rendered playbooks and
    inventories of ``loaded``, found on disk with the hashes its rendering had."""
    loaded.known("playbooks", dict(files))


def _render(loaded: LoadedRunbook) -> dict[str, str]:
    rb = loaded.runbook
    out: dict[str, str] = {}
    for env_id, env in rb.environments.items():
        if env.is_fleet and any(
            p.playbook and p.environment == env_id for p in rb.procedures.values()
        ):
            out[f"{PLAYBOOKS_DIR}/{inventory_name(env_id)}"] = render_inventory(loaded, env_id)
    for pid, procedure in rb.procedures.items():
        if procedure.playbook:
            out[f"{PLAYBOOKS_DIR}/{procedure.playbook}"] = render_playbook(loaded, pid)
    return out
