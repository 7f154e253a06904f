"""A fleet procedure as an Ansible playbook: the runbook's steps, in batches, with rollback.

The plays, in order (each on localhost unless said otherwise):

1. **preflight**: the inventory is this environment's, the version and backup names are
   valid (and tagged, where the environment requires it), the run's facts (timestamp,
   lock token, repository); then the procedure's leading local steps. Nothing on a host
   has been touched when one of them fails.
2. **lock** (every host of the fleet, in parallel): the deploy lock on each host, the
   scripts' own lock directory; the serving release and the releases present. One host
   unreachable or locked by another run refuses the run, and the locks taken are released.
3. **before**: the steps before the first per-host step (local, or once on a group's first
   host), under the lock.
4. **rolling** (the rolling group, ``serial`` batches, ``max_fail_percentage``): per batch,
   the drain steps on the balancer, the per-host steps (the once-steps of this part during
   the first batch only), the undrain steps. A failure is caught by ``rescue``: after the
   point of no return the host runs the rollback steps, before it the unserved release is
   removed; the host is undrained once it serves its previous release again. When the run
   stops there, the earlier batches are kept or rolled back (the runbook's
   ``earlier_batches``), the lock is released and the report says what each host serves.
5. **after**: the steps after the last per-host step.
6. **finish**: the lock released on every host, the report, the procedure's post tasks.

Every runbook text is written ``!unsafe`` (``yamltext``) and every value inside the bash is
quoted by the one filter, as in the scripts.
"""

from __future__ import annotations

import re
from typing import Any

from runbook.fleet.placement import Placed, Plan, Where, place, plan
from runbook.fleet.steps import CONFIRMED, RUN, Fleet, shell, static, step_tasks
from runbook.fleet.yamltext import Expr, Literal, dump
from runbook.loader import LoadedRunbook
from runbook.model import ProcedureKind
from runbook.model.base import ID_PATTERN

PLAYBOOKS_DIR = "playbooks"
VERSION_PATTERN = "^[A-Za-z0-9][A-Za-z0-9._-]*$"
ALL_HOSTS = "groups['all']"


def checked_id(value: str) -> str:
    """Group and step ids appear inside Jinja expressions: they must keep the model's pattern."""
    if not re.fullmatch(ID_PATTERN, value):
        raise ValueError(f"not a valid id: {value!r}")
    return value


def runtime_environment(host: str, previous: str) -> dict[str, Expr]:
    """The runtime values every task's bash reads (the rest is fixed in its prelude)."""
    return {
        "VERSION": Expr("{{ version }}"),
        "PREVIOUS_VERSION": Expr(f"{{{{ {previous} }}}}"),
        "TIMESTAMP": Expr(f"{{{{ {RUN}.rb_timestamp }}}}"),
        "HOST": Expr(f"{{{{ {host} }}}}"),
        "RB_BACKUP": Expr("{{ backup | default('') }}"),
        "RB_TOKEN": Expr(f"{{{{ {RUN}.rb_token }}}}"),
    }


def fleet_previous(fleet: Fleet) -> str:
    """The release the rolling group's first host served when the run began."""
    group = checked_id(fleet.env.rolling.group)
    return f"hostvars[groups['{group}'][0]].rb_previous | default('')"


def play_vars(fleet: Fleet) -> dict[str, Any]:
    return {
        "rb_procedure": Literal(fleet.procedure_id),
        "rb_expected_environment": Literal(fleet.env_id),
        "rb_tag_pattern": Literal(fleet.env.tag_pattern),
        "rb_stale_minutes": int(fleet.env.stale_lock_minutes),
        "rb_prelude": fleet.prelude,
    }


def local_play(fleet: Fleet, name: str, tasks: list[Any]) -> dict[str, Any]:
    return {
        "name": Literal(name),
        "hosts": Expr("localhost"),
        "strategy": Expr("linear"),
        "gather_facts": False,
        "vars": play_vars(fleet),
        "environment": runtime_environment("inventory_hostname", fleet_previous(fleet)),
        "tasks": tasks,
    }


# ---------------------------------------------------------------------------- 1. preflight
def preflight(fleet: Fleet, leading: list[Placed]) -> dict[str, Any]:
    groups = list(fleet.env.groups)
    inventory_ok = " and ".join(
        f"groups['{checked_id(g)}'] | default([]) | length > 0" for g in groups
    )
    checks: list[Any] = [
        {
            "name": Expr("The inventory is the one generated for this environment"),
            "ansible.builtin.assert": {
                "that": [
                    Expr(inventory_ok),
                    Expr(
                        "hostvars[groups['all'][0]].rb_environment | default('') == rb_expected_environment"
                    ),
                ],
                "fail_msg": Literal(
                    f"refused: use the inventory of {fleet.env_id} "
                    f"(-i {PLAYBOOKS_DIR}/{inventory_name(fleet.env_id)})"
                ),
                "quiet": True,
            },
        },
        {
            "name": Expr("The version is given and valid"),
            "ansible.builtin.assert": {
                "that": [
                    Expr("version is defined"),
                    Expr("version is string"),
                    Expr(f"version is match('{VERSION_PATTERN}')"),
                ],
                "fail_msg": Expr(
                    "refused: give the version, -e version=VERSION "
                    "(letters, digits, '.', '_' and '-' only)"
                ),
                "quiet": True,
            },
        },
        {
            "name": Expr("The backup name, when given, is a plain file name"),
            "ansible.builtin.assert": {
                "that": [
                    Expr(
                        f"backup is not defined or (backup is string and backup is match('{VERSION_PATTERN}'))"
                    )
                ],
                "fail_msg": Expr("refused: -e backup=NAME names a file of the backup directory"),
                "quiet": True,
            },
        },
        {
            "name": Expr("Where the playbook was started (or -e repo=PATH)"),
            "ansible.builtin.set_fact": {
                "rb_cwd": Expr("{{ repo | default(lookup('ansible.builtin.env', 'PWD'), true) }}")
            },
        },
        {
            "name": Expr("Find the service's git repository"),
            "ansible.builtin.command": {
                "cmd": Expr("git rev-parse --show-toplevel"),
                "chdir": Expr("{{ rb_cwd }}"),
            },
            "register": Expr("rb_git"),
            "changed_when": False,
        },
    ]
    deploy = fleet.procedure.kind is ProcedureKind.deploy
    if deploy and fleet.env.require_tag:
        checks += [
            {
                "name": Expr("The version matches the tag pattern"),
                "ansible.builtin.assert": {
                    "that": [Expr("version is regex(rb_tag_pattern)")],
                    "fail_msg": Expr("refused: the version does not match the tag pattern"),
                    "quiet": True,
                },
            },
            {
                "name": Expr("The version is a tag of the repository"),
                "ansible.builtin.command": {
                    "cmd": Expr("git rev-parse -q --verify refs/tags/{{ version }}"),
                    "chdir": Expr("{{ rb_git.stdout }}"),
                },
                "changed_when": False,
            },
        ]
    checks.append(
        {
            "name": Expr("Facts of this run: timestamp, lock token, repository"),
            "ansible.builtin.set_fact": {
                "rb_repo": Expr("{{ rb_git.stdout }}"),
                "rb_timestamp": Expr("{{ now(utc=true, fmt='%Y%m%d-%H%M%S') }}"),
                "rb_controller": Expr("{{ lookup('ansible.builtin.pipe', 'uname -n') }}"),
                "rb_user": Expr(
                    "{{ lookup('ansible.builtin.env', 'USER') | default('unknown', true) }}"
                ),
                "rb_token": Expr(
                    "{{ lookup('ansible.builtin.pipe', 'uname -n') }}-"
                    "{{ now(utc=true, fmt='%Y%m%d%H%M%S') }}-{{ 999999 | random }}"
                ),
            },
        }
    )
    tasks = checks + [t for p in leading for t in step_tasks(fleet, p, "local")]
    play = local_play(fleet, f"Preflight of {fleet.procedure_id}", tasks)
    play["environment"] = {**play["environment"], "PREVIOUS_VERSION": Expr("")}
    play["environment"]["TIMESTAMP"] = Expr("{{ rb_timestamp | default('') }}")
    play["environment"]["RB_TOKEN"] = Expr("{{ rb_token | default('') }}")
    return play


# ---------------------------------------------------------------------------- 2. lock
def lock_play(fleet: Fleet) -> dict[str, Any]:
    env = {
        **runtime_environment("inventory_hostname", "''"),
        "RB_CONTROLLER": Expr(f"{{{{ {RUN}.rb_controller }}}}"),
        "RB_USER": Expr(f"{{{{ {RUN}.rb_user }}}}"),
        "RB_PROCEDURE": Expr("{{ rb_procedure }}"),
        "RB_BREAK_LOCK": Expr("{{ '1' if (break_lock | default(false) | bool) else '0' }}"),
        "RB_STALE_MINUTES": Expr("{{ rb_stale_minutes }}"),
    }
    bad = (
        "ansible_play_hosts_all | map('extract', hostvars) | "
        "rejectattr('rb_lock_ok', 'defined') | list + "
        "(ansible_play_hosts_all | map('extract', hostvars) | "
        "selectattr('rb_lock_ok', 'defined') | rejectattr('rb_lock_ok') | list)"
    )
    block = [
        {
            "name": Expr("Take the deploy lock on every host of the fleet"),
            **shell(static("lock.sh")),
            "register": Expr("rb_lock"),
            "changed_when": Expr("rb_lock.stdout is search('lock=(acquired|taken-over)')"),
            "ignore_unreachable": True,
        },
        {
            "name": Expr("Read the lock, the serving release and the releases present"),
            "ansible.builtin.set_fact": {
                "rb_lock_ok": Expr(
                    "{{ not (rb_lock.unreachable | default(false)) and "
                    "rb_lock.stdout is search('lock=(acquired|taken-over)') }}"
                ),
                "rb_lock_text": Expr(
                    "{{ 'unreachable' if (rb_lock.unreachable | default(false)) "
                    "else (rb_lock.stdout_lines | default([]) | join(', ')) }}"
                ),
                "rb_previous": Expr(
                    "{{ rb_lock.stdout_lines | default([]) | select('match', '^serving=') "
                    "| map('regex_replace', '^serving=', '') | first | default('') }}"
                ),
                "rb_releases": Expr(
                    "{{ rb_lock.stdout_lines | default([]) | select('match', '^release=') "
                    "| map('regex_replace', '^release=', '') | list }}"
                ),
            },
        },
        {
            "name": Expr("Warn about a stale lock taken over"),
            "ansible.builtin.debug": {
                "msg": Expr(
                    "stale deploy lock taken over on {{ inventory_hostname }}: {{ rb_lock_text }}"
                )
            },
            "when": Expr("rb_lock.stdout | default('') is search('lock=taken-over')"),
        },
        {
            "name": Expr("Refuse while a host is unreachable or its deploy lock is held"),
            "ansible.builtin.fail": {
                "msg": Expr(
                    "refused: the deploy lock is held or a host is unreachable: "
                    "{% for h in " + bad + " %}{{ h.inventory_hostname }} ({{ h.rb_lock_text "
                    "| default('no answer') }}){{ '; ' if not loop.last }}{% endfor %}"
                )
            },
            "when": Expr("(" + bad + ") | length > 0"),
        },
    ]
    rescue = [
        {
            "name": Expr("Release the locks this run took"),
            **shell(static("release.sh")),
            "changed_when": True,
            "ignore_unreachable": True,
            "when": Expr("rb_lock_ok | default(false) | bool"),
        },
        {
            "name": Expr("Stop: nothing was changed"),
            "ansible.builtin.fail": {
                "msg": Expr("{{ ansible_failed_result.msg | default('refused') }}")
            },
        },
    ]
    return {
        "name": Literal(f"Deploy lock of {fleet.procedure_id} on every host"),
        "hosts": Expr("all"),
        "strategy": Expr("linear"),
        "gather_facts": False,
        "vars": play_vars(fleet),
        "environment": env,
        "tasks": [{"name": Expr("Lock the fleet"), "block": block, "rescue": rescue}],
    }


# ---------------------------------------------------------------------------- stop and report
#: Hosts the failing batch found unreachable: nothing is sent to them again in this run.
LOST = "(ansible_play_batch | default([]) | map('extract', hostvars) | selectattr('rb_reachable', 'defined') | rejectattr('rb_reachable') | map(attribute='inventory_hostname') | list)"


def release_everywhere(fleet: Fleet, when: Expr | None = None) -> dict[str, Any]:
    """Each host releases the lock if this run holds it (a lost host keeps it for a human)."""
    task: dict[str, Any] = {
        "name": Expr("Release the deploy lock on every host"),
        **shell(static("release.sh")),
        "delegate_to": Expr("{{ item }}"),
        "loop": Expr(f"{{{{ {ALL_HOSTS} | difference({LOST}) }}}}"),
        "run_once": True,
        "changed_when": True,
        "ignore_unreachable": True,
        "failed_when": False,
    }
    if when is not None:
        task["when"] = when
    return task


def report(fleet: Fleet, when: Expr | None = None) -> list[dict[str, Any]]:
    """What each host of the rolling group serves now (the fleet may be mixed): one line each."""
    group = checked_id(fleet.env.rolling.group)
    unknown = "UNKNOWN (unreachable)"
    read: dict[str, Any] = {
        "name": Expr("Read the release each host serves"),
        **shell(static("serving.sh")),
        "delegate_to": Expr("{{ item }}"),
        "loop": Expr(f"{{{{ groups['{group}'] | difference({LOST}) }}}}"),
        "run_once": True,
        "register": Expr("rb_serving"),
        "changed_when": False,
        "ignore_unreachable": True,
        "failed_when": False,
    }
    show: dict[str, Any] = {
        "name": Expr("Report: the release each host serves"),
        "ansible.builtin.debug": {
            "msg": Expr(
                "{{ item }} serves {{ ((rb_serving.results | selectattr('item', 'equalto', item) "
                f"| map(attribute='stdout', default='{unknown}') | first | default('{unknown}')) "
                "or 'nothing') }}"
            )
        },
        "loop": Expr(f"{{{{ groups['{group}'] }}}}"),
        "run_once": True,
    }
    if when is not None:
        read["when"] = when
        show["when"] = when
    return [read, show]


def stop_rescue(fleet: Fleet) -> list[dict[str, Any]]:
    """What a failure in a play of its own on localhost does: release, report, stop."""
    return [
        release_everywhere(fleet),
        *report(fleet),
        {
            "name": Expr("Stop"),
            "ansible.builtin.fail": {
                "msg": Expr(
                    "failed at {{ ansible_failed_task.name | default('a step') }}: "
                    "{{ ansible_failed_result.msg | default('') }}"
                )
            },
        },
    ]


def guarded_play(fleet: Fleet, name: str, steps: list[Placed]) -> dict[str, Any]:
    tasks = [t for p in steps for t in step_tasks(fleet, p, "local")]
    block = {"name": Literal(name), "block": tasks, "rescue": stop_rescue(fleet)}
    return local_play(fleet, f"{name} of {fleet.procedure_id}", [block])


# ---------------------------------------------------------------------------- 4. rolling
def rolling_play(fleet: Fleet, steps: list[Placed]) -> dict[str, Any]:
    rolling = fleet.env.rolling
    group = checked_id(rolling.group)
    pnr = fleet.procedure.point_of_no_return
    block: list[Any] = [
        {
            "name": Expr("Reach the host"),
            "ansible.builtin.ping": {},
            "register": Expr("rb_reach"),
            "ignore_unreachable": True,
        },
        {
            "name": Expr("Stop this host's batch when it cannot be reached"),
            "ansible.builtin.fail": {"msg": Expr("{{ inventory_hostname }} is unreachable")},
            "when": Expr("rb_reach.unreachable | default(false)"),
        },
    ]
    block += balancer_tasks(fleet, "drain")
    for placed in steps:
        if placed.step_id == pnr:
            block.append(
                {
                    "name": Expr("Past the point of no return on this host"),
                    "ansible.builtin.set_fact": {"rb_past_pnr": True},
                }
            )
        block += step_tasks(fleet, placed, "rolling")
    block += balancer_tasks(fleet, "undrain")
    block.append({"name": Expr("This host is done"), "ansible.builtin.set_fact": {"rb_done": True}})
    if rolling.pause_seconds:
        block.append(
            {
                "name": Expr("Pause before the next batch"),
                "ansible.builtin.pause": {"seconds": int(rolling.pause_seconds)},
                "when": Expr("ansible_play_hosts_all[-1] not in ansible_play_batch"),
            }
        )
    return {
        "name": Literal(f"Rolling {fleet.procedure_id} over {group}"),
        "hosts": Expr(group),
        "serial": rolling.batch if isinstance(rolling.batch, int) else Expr(rolling.batch),
        "max_fail_percentage": int(rolling.max_fail_percentage),
        "strategy": Expr("linear"),
        "gather_facts": False,
        "vars": play_vars(fleet),
        "environment": runtime_environment("inventory_hostname", "rb_previous | default('')"),
        "tasks": [
            {
                "name": Expr("This batch"),
                "ansible.builtin.set_fact": {
                    "rb_batch": Expr("{{ ansible_play_batch }}"),
                    "rb_first_batch": Expr("{{ ansible_play_hosts_all[0] in ansible_play_batch }}"),
                },
            },
            {"name": Expr("The batch"), "block": block, "rescue": batch_rescue(fleet)},
        ],
    }


def balancer_tasks(fleet: Fleet, which: str, part: str = "rolling") -> list[dict[str, Any]]:
    """Drain or undrain steps: on every balancer host, once for each host of the batch."""
    rolling = fleet.env.rolling
    ids = list(getattr(rolling, which))
    if not ids:
        return []
    balancer = checked_id(rolling.balancer)
    tasks = []
    for placed in place(fleet.rb, fleet.procedure_id, ids):
        task = {
            "name": Literal(f"{which.capitalize()}: {placed.step.title} ({placed.step_id})"),
            **shell(fleet.body(placed)),
            "delegate_to": Expr("{{ item }}"),
            "loop": Expr(f"{{{{ groups['{balancer}'] }}}}"),
            "throttle": 1,
            "register": Expr("rb_step"),
            "changed_when": True,
        }
        if placed.step.retries:
            task.update(
                retries=int(placed.step.retries),
                delay=int(placed.step.retry_delay),
                until=Expr("rb_step is succeeded"),
            )
        tasks.append(task)
    return tasks


def batch_rescue(fleet: Fleet) -> list[dict[str, Any]]:
    """A host of the batch failed: undo on it, then stop the run or let Ansible go on."""
    rolling = fleet.env.rolling
    procedure = fleet.procedure
    reachable = Expr("rb_reachable | bool")
    tasks: list[Any] = [
        {
            "name": Expr("This host failed"),
            "ansible.builtin.set_fact": {
                "rb_failed": True,
                "rb_reachable": Expr("{{ not (rb_reach.unreachable | default(false)) }}"),
                "rb_failure": Expr(
                    "{{ ansible_failed_task.name | default('a step') }}: "
                    "{{ ansible_failed_result.msg | default('') }}"
                ),
            },
        }
    ]
    rollback = place(fleet.rb, fleet.procedure_id, list(procedure.rollback_steps))
    if rollback:
        tasks.append(
            {
                "name": Expr("Automatic rollback of this host"),
                "when": [reachable, Expr("rb_past_pnr | default(false) | bool")],
                "block": [
                    t for p in rollback for t in step_tasks(fleet, p, "rollback", "rollback")
                ],
                "rescue": [
                    {
                        "name": Expr("The automatic rollback failed: this host needs a human"),
                        "ansible.builtin.set_fact": {"rb_rollback_failed": True},
                    }
                ],
            }
        )
    else:
        tasks.append(
            {
                "name": Expr("No rollback steps: a host past the point of no return needs a human"),
                "ansible.builtin.set_fact": {"rb_rollback_failed": True},
                "when": Expr("rb_past_pnr | default(false) | bool"),
            }
        )
    if procedure.kind is ProcedureKind.deploy:
        tasks.append(
            {
                "name": Expr("Remove the release this run unpacked and never served"),
                **shell(static("unserved.sh")),
                "changed_when": True,
                "failed_when": False,
                "when": [
                    reachable,
                    Expr("not (rb_past_pnr | default(false) | bool)"),
                    Expr("version not in (rb_releases | default([]))"),
                ],
            }
        )
    undrain = balancer_tasks(fleet, "undrain")
    if undrain:
        tasks.append(
            {
                "name": Expr("Put the host back in the load balancer: it serves its release again"),
                "when": [reachable, Expr("not (rb_rollback_failed | default(false) | bool)")],
                "block": undrain,
                "rescue": [
                    {
                        "name": Expr("Undrain failed: the host stays out of the load balancer"),
                        "ansible.builtin.set_fact": {"rb_rollback_failed": True},
                    }
                ],
            }
        )
    failed_count = (
        "rb_batch | map('extract', hostvars) | selectattr('rb_failed', 'defined') | list | length"
    )
    tasks.append(
        {
            "name": Expr("Does the run stop here (max_fail_percentage)"),
            "ansible.builtin.set_fact": {
                "rb_stopping": Expr(
                    "{{ ((" + failed_count + ") * 100 > "
                    f"{int(rolling.max_fail_percentage)} * (rb_batch | length)) or "
                    "((" + failed_count + ") == (rb_batch | length)) }}"
                ),
                "rb_earlier": Expr(
                    "{{ ansible_play_hosts_all | map('extract', hostvars) | "
                    "selectattr('rb_done', 'defined') | map(attribute='inventory_hostname') | list }}"
                ),
            },
        }
    )
    stopping = Expr("rb_stopping | bool")
    if rolling.earlier_batches.value == "rollback" and rollback:
        earlier = [
            t
            for p in rollback
            if p.where.per_host
            for t in step_tasks(fleet, p, "earlier", "rollback")
        ]
        for task in earlier:
            task["run_once"] = True
            task["when"] = [*task.get("when", []), stopping]
        tasks.append(
            {
                "name": Expr("Roll back the batches already done (earlier_batches: rollback)"),
                "block": earlier,
                "rescue": [
                    {
                        "name": Expr("Rolling back an earlier batch failed"),
                        "ansible.builtin.debug": {
                            "msg": Expr(
                                "rollback of earlier batches failed: the fleet needs a human"
                            )
                        },
                    }
                ],
            }
        )
    tasks += [release_everywhere(fleet, stopping), *report(fleet, stopping)]
    tasks.append(
        {
            "name": Expr("The batch failed on this host"),
            "ansible.builtin.fail": {
                "msg": Expr(
                    "{{ inventory_hostname }}: {{ rb_failure }}; "
                    "{{ 'NOT RESTORED: needs a human' if (rb_rollback_failed | default(false) | bool) "
                    "else ('rolled back' if (rb_past_pnr | default(false) | bool) else 'nothing changed') }}"
                    "{{ '; the run stops here' if (rb_stopping | bool) else '' }}"
                )
            },
        }
    )
    return tasks


# ---------------------------------------------------------------------------- the playbook
def finish_play(fleet: Fleet) -> dict[str, Any]:
    tasks: list[Any] = [release_everywhere(fleet), *report(fleet)]
    if fleet.procedure.post_tasks:
        tasks.append(
            {
                "name": Expr("Now"),
                "ansible.builtin.debug": {"msg": [Literal(t) for t in fleet.procedure.post_tasks]},
            }
        )
    return local_play(fleet, f"Finish of {fleet.procedure_id}", tasks)


def split_leading(before: list[Placed]) -> tuple[list[Placed], list[Placed]]:
    """The leading local steps (run before the lock) and the rest of the before part."""
    for i, placed in enumerate(before):
        if placed.where is not Where.local:
            return before[:i], before[i:]
    return before, []


def plays(loaded: LoadedRunbook, procedure_id: str) -> list[dict[str, Any]]:
    fleet = Fleet(loaded, procedure_id)
    parts: Plan = plan(loaded.runbook, procedure_id)
    leading, before = split_leading(parts.before)
    out = [preflight(fleet, leading), lock_play(fleet)]
    if before:
        out.append(guarded_play(fleet, "Steps before the batches", before))
    if parts.rolling:
        out.append(rolling_play(fleet, parts.rolling))
    if parts.after:
        out.append(guarded_play(fleet, "Steps after the batches", parts.after))
    out.append(finish_play(fleet))
    return out


def inventory_name(env_id: str) -> str:
    return f"inventory-{env_id}.yml"


def header(loaded: LoadedRunbook, what: str, usage: str) -> str:
    source = " ".join(loaded.path.name.split())
    return (
        f"# GENERATED FILE: do not edit. Changes belong in the runbook, then regenerate.\n"
        f"# Source:     {source} (sha256 {loaded.digest})\n"
        f"# {what}\n"
        f"# Regenerate: runbook build\n"
        f"# Run:        {usage}\n"
    )


def usage(loaded: LoadedRunbook, procedure_id: str) -> str:
    proc = loaded.runbook.procedures[procedure_id]
    return (
        f"ansible-playbook -i {PLAYBOOKS_DIR}/{inventory_name(proc.environment)} "
        f"{PLAYBOOKS_DIR}/{proc.playbook} -e version=VERSION [-e {CONFIRMED}=true]"
    )


def render_playbook(loaded: LoadedRunbook, procedure_id: str) -> str:
    """The playbook of one fleet procedure."""
    checked_id(procedure_id)
    text = dump(plays(loaded, procedure_id))
    return (
        header(loaded, f"Procedure:  {procedure_id}", usage(loaded, procedure_id)) + "---\n" + text
    )
