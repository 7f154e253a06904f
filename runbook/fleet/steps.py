"""One step of a fleet procedure as Ansible tasks: its bash, where it runs, its confirmation.

The bash of a step is the scripts' contract in a wrapper (``templates/step.sh.j2``): the
runtime variables, the command under ``timeout``, then the expectations (exit code, output,
file) checked by bash with the one quoting filter. Ansible only sees a literal text
(``!unsafe``) and the exit code; its own ``retries``/``until`` repeat the step.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from runbook.fleet.placement import Placed, Where
from runbook.fleet.render import render
from runbook.fleet.yamltext import Expr, Literal
from runbook.loader import LoadedRunbook
from runbook.model import FLEET_VARIABLES, RUNTIME_VARIABLES, ProcedureKind, RunsOn
from scripts_gen.prelude import remote_functions
from scripts_gen.variables import config_variables, deploy_backup, derived, safety_backup

#: Facts of the run, kept on localhost by the preflight play.
RUN = "hostvars['localhost']"
#: The extra variable that answers yes to every question (the scripts' --yes).
CONFIRMED = "confirmed"


@dataclass(frozen=True)
class Fleet:
    """What every task of one procedure's playbook needs to know."""

    loaded: LoadedRunbook
    procedure_id: str

    @property
    def rb(self) -> Any:
        return self.loaded.runbook

    @property
    def procedure(self) -> Any:
        return self.rb.procedures[self.procedure_id]

    @property
    def env_id(self) -> str:
        return str(self.procedure.environment)

    @property
    def env(self) -> Any:
        return self.rb.environments[self.env_id]

    @property
    def total(self) -> int:
        return len(self.procedure.step_ids)

    @cached_property
    def prelude(self) -> Literal:
        """The bash every task starts with: runtime values checked, configuration, helpers.

        Kept once per play (``rb_prelude``); a task's own bash (``rb_body``) follows it.
        """
        functions = remote_functions(self.loaded, self.procedure_id)
        local = render(
            "local_functions.sh.j2",
            remote_functions=functions,
            variables=[*RUNTIME_VARIABLES, *FLEET_VARIABLES],
        )
        return Literal(
            render(
                "prelude.sh.j2",
                config=config_variables(self.loaded, self.procedure_id),
                derived=derived(self.loaded),
                kind=self.procedure.kind.value,
                deploy_backup=deploy_backup(self.loaded),
                safety_backup=safety_backup(self.loaded),
                remote_functions=functions,
                local_functions=local,
            )
        )

    def body(self, placed: Placed) -> Literal:
        """The task's own bash: the step's command and what it must show."""
        step = placed.step
        expect = step.expect
        rollback = self.procedure.kind is ProcedureKind.rollback
        return Literal(
            render(
                "step.sh.j2",
                command=step.command,
                safety=rollback and step.writes_backup,
                where="local" if step.runs_on is RunsOn.local else "remote",
                timeout=int(step.timeout),
                exit_code=int(expect.exit_code),
                contains=expect.output_contains or "",
                file=expect.file.path if expect.file else "",
                min_bytes=int(expect.file.min_bytes) if expect.file else 0,
            )
        )


def static(name: str) -> Literal:
    """A static bash helper of ``templates/`` (it runs after the prelude)."""
    from importlib.resources import files

    return Literal(files("runbook.fleet").joinpath("templates", name).read_text(encoding="utf-8"))


def shell(body: Literal, **extra: Any) -> dict[str, Any]:
    """A task running bash on the play's prelude, then ``body``: both literal to Ansible.

    The script goes to ``bash -s`` on standard input, inside one ``{ }`` group so bash reads
    all of it before running any (a command reading standard input cannot eat the rest);
    a failure then shows the step's output, not the whole script.
    """
    return {
        "ansible.builtin.command": {
            "argv": [Expr("/bin/bash"), Expr("-s")],
            "stdin": Expr("{\n{{ rb_prelude }}{{ rb_body }}\n}"),
            **extra,
        },
        "vars": {"rb_body": body},
    }


def ssh_environment(host: str) -> dict[str, Expr]:
    """How a local step's helpers reach ``host`` (a Jinja expression naming the host)."""
    vars_ = f"hostvars[{host}]"
    return {
        "RB_SSH_HOST": Expr(f"{{{{ {vars_}.ansible_host | default({host}) }}}}"),
        "RB_SSH_PORT": Expr(f"{{{{ {vars_}.ansible_port | default(22) }}}}"),
        "RB_SSH_USER": Expr(f"{{{{ {vars_}.ansible_user }}}}"),
    }


def _placement(placed: Placed, part: str) -> dict[str, Any]:
    """Keywords that send a task where the step runs, in a part of the playbook.

    ``part`` is ``local`` (a play on localhost), ``rolling`` (the batch play), ``rollback``
    (its rescue, for the failing host) or ``earlier`` (the hosts of earlier batches, looped).
    """
    kw: dict[str, Any] = {}
    once_in_batches = part == "rolling"
    if placed.where is Where.once:
        host = f"groups['{placed.group}'][0]"
        kw["delegate_to"] = Expr(f"{{{{ {host} }}}}")
        kw["environment"] = {"HOST": Expr(f"{{{{ {host} }}}}")}
        if part != "local":
            kw["run_once"] = True
    elif placed.where is Where.local:
        if part != "local":
            kw["delegate_to"] = Expr("localhost")
            kw["run_once"] = True
    elif placed.where is Where.local_each:
        kw["delegate_to"] = Expr("localhost")
        if part == "earlier":
            kw["environment"] = {"HOST": Expr("{{ item }}"), **ssh_environment("item")}
        else:
            kw["environment"] = ssh_environment("inventory_hostname")
    elif part == "earlier":
        kw["delegate_to"] = Expr("{{ item }}")
        kw["environment"] = {"HOST": Expr("{{ item }}")}
    if part == "earlier":
        kw["loop"] = Expr("{{ rb_earlier }}")
        kw["environment"]["PREVIOUS_VERSION"] = Expr(
            "{{ hostvars[item].rb_previous | default('') }}"
        )
    if placed.step.runs_on is RunsOn.local:
        kw["args"] = {"chdir": Expr(f"{{{{ {RUN}.rb_repo }}}}")}
    if once_in_batches and not placed.where.per_host:
        kw["when"] = [Expr("rb_first_batch | bool")]
    return kw


def _name(fleet: Fleet, placed: Placed, phase: str) -> Literal:
    prefix = "Rollback" if phase == "rollback" else f"Step {placed.index}/{fleet.total}"
    return Literal(f"{prefix}: {placed.step.title} ({placed.step_id})")


def step_tasks(fleet: Fleet, placed: Placed, part: str, phase: str = "procedure") -> list[Any]:
    """The tasks of one step: its question (when it asks one), then its command."""
    step = placed.step
    kw = _placement(placed, part)
    tasks: list[dict[str, Any]] = []
    when: list[Expr] = list(kw.pop("when", []))
    if step.confirm:
        tasks += _confirm(fleet, placed, when)
        if step.command:
            when.append(Expr(f"rb_answer_{_slug(placed.step_id)} | bool"))
    if not step.command:
        return tasks
    args = kw.pop("args", {})
    task: dict[str, Any] = {
        "name": _name(fleet, placed, phase),
        **shell(fleet.body(placed), **args),
    }
    task.update(kw)
    task["register"] = Expr("rb_step")
    task["changed_when"] = True
    if step.retries:
        task["retries"] = int(step.retries)
        task["delay"] = int(step.retry_delay)
        task["until"] = Expr("rb_step is succeeded")
    if when:
        task["when"] = when
    tasks.append(task)
    return tasks


def _slug(step_id: str) -> str:
    return step_id.replace("-", "_")


def _confirm(fleet: Fleet, placed: Placed, when: list[Expr]) -> list[dict[str, Any]]:
    """Ask the step's question: answered by ``-e confirmed=true``, or typed on a terminal.

    The question's runtime variables are expanded by bash with the same quoting as the
    scripts; Ansible shows the result (command output is never templated again). An empty
    answer (no terminal: Ansible does not wait) refuses; another answer declines.
    """
    step = placed.step
    slug = _slug(placed.step_id)
    text = Literal(render("question.sh.j2", question=step.confirm))
    ask_when = [*when, Expr(f"not ({CONFIRMED} | default(false) | bool)")]
    label = Literal(f"{placed.step.title} ({placed.step_id})")
    tasks: list[dict[str, Any]] = [
        {
            "name": Literal(f"Question: {label}"),
            **shell(text),
            "delegate_to": Expr("localhost"),
            "run_once": True,
            "register": Expr(f"rb_question_{slug}"),
            "changed_when": False,
            "when": ask_when,
        },
        {
            "name": Literal(f"Ask: {label}"),
            "ansible.builtin.pause": {
                "prompt": Expr(f"{{{{ rb_question_{slug}.stdout }}}} [type yes to continue]")
            },
            "register": Expr(f"rb_typed_{slug}"),
            "when": ask_when,
        },
        {
            "name": Literal(f"Answer to {label}"),
            "ansible.builtin.set_fact": {
                f"rb_answer_{slug}": Expr(
                    f"{{{{ ({CONFIRMED} | default(false) | bool) or "
                    f"(rb_typed_{slug}.user_input | default('')) == 'yes' }}}}"
                )
            },
            **({"when": list(when)} if when else {}),
        },
        {
            "name": Literal(f"Refuse without an answer: {label}"),
            "ansible.builtin.fail": {
                "msg": Expr(
                    "not confirmed: no answer (without a terminal Ansible does not wait; "
                    f"pass -e {CONFIRMED}=true to answer yes)"
                )
            },
            "when": [*ask_when, Expr(f"(rb_typed_{slug}.user_input | default('')) == ''")],
        },
    ]
    if not step.command:
        tasks.append(
            {
                "name": Literal(f"Stop when declined: {label}"),
                "ansible.builtin.fail": {"msg": Expr("not confirmed: stopping")},
                "when": [*when, Expr(f"not (rb_answer_{slug} | bool)")],
            }
        )
    return tasks
