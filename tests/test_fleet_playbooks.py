"""The generated playbooks: their shape, Ansible's syntax check, and hostile runbook text.

Every text of the runbook reaches a playbook as an ``!unsafe`` YAML scalar (Ansible never
evaluates a ``{{ }}`` in it) and, inside the bash, through the one quoting filter. The
hostile-text test fills every text with shell and Jinja metacharacters, then runs the
playbook for real (a one-host fleet on this machine, Ansible's local connection): nothing in
those texts runs, and they show as written.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from runbook.fleet import render_playbooks
from runbook.fleet.inventory import render_inventory
from runbook.fleet.playbook import render_playbook
from runbook.fleet.yamltext import Expr, Literal, dump
from runbook.loader import LoadedRunbook, load

ROOT = Path(__file__).resolve().parent.parent
FLEET = Path(__file__).parent / "data" / "fleet.yaml"
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
EVIL = (
    "$(touch pwned)`touch pwned`'\"; touch pwned; {{ lookup('ansible.builtin.pipe', "
    "'touch pwned') }} {% raw %} #{x}$VERSION\\"
)


class _Loader(yaml.SafeLoader):
    """Reads playbooks as Ansible does, keeping which scalars are ``!unsafe``."""


_Loader.add_constructor("!unsafe", lambda loader, node: Literal(loader.construct_scalar(node)))


def parse(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)


def _walk(data: Any) -> list[Any]:
    if isinstance(data, dict):
        return [data, *(x for v in data.values() for x in _walk(v))]
    if isinstance(data, list):
        return [x for v in data for x in _walk(v)]
    return [data]


def test_the_dumper_refuses_an_unmarked_string() -> None:
    with pytest.raises(TypeError, match="unmarked string"):
        dump([{"name": "a runbook text"}])
    assert dump([{"name": Literal("{{ x }}")}]) == "- name: !unsafe '{{ x }}'\n"
    assert dump([{"hosts": Expr("app")}]) == "- hosts: app\n"


def test_the_example_playbook_rolls_in_batches_with_a_rescue() -> None:
    loaded = load(ROOT / "runbook.yaml")
    plays = parse(render_playbook(loaded, "deploy-fleet"))
    names = [p["name"] for p in plays]
    assert names == [
        "Preflight of deploy-fleet",
        "Deploy lock of deploy-fleet on every host",
        "Steps before the batches of deploy-fleet",
        "Rolling deploy-fleet over app",
        "Finish of deploy-fleet",
    ]
    rolling = plays[3]
    assert rolling["hosts"] == "app" and rolling["serial"] == 1
    assert rolling["max_fail_percentage"] == 0
    batch = rolling["tasks"][1]
    assert "block" in batch and "rescue" in batch
    block_names = [t["name"] for t in batch["block"]]
    assert block_names.index("Drain: Take the host out of the load balancer (drain-host)") < (
        block_names.index("Step 14/19: Switch the current release (switch-release)")
    )
    assert block_names[-2].startswith("Undrain:")
    rescue = [t["name"] for t in _walk(batch["rescue"]) if isinstance(t, dict) and "name" in t]
    assert "Rollback: Point current back at the previous release (restore-previous-release)" in (
        rescue
    )
    migrate = next(t for t in batch["block"] if t["name"].endswith("(migrate)"))
    assert migrate["run_once"] is True and migrate["when"] == ["rb_first_batch | bool"]
    assert migrate["delegate_to"] == "{{ groups['app'][0] }}"


def test_every_runbook_text_is_unsafe_for_ansible() -> None:
    loaded = load(ROOT / "runbook.yaml")
    plays = parse(render_playbook(loaded, "deploy-fleet"))
    tasks = [t for t in _walk(plays) if isinstance(t, dict) and "name" in t]
    named = [t for t in tasks if any(t["name"].endswith(f"({s})") for s in loaded.runbook.steps)]
    assert len(named) > 20
    for task in named:
        assert isinstance(task["name"], Literal), task["name"]
        body = task.get("vars", {}).get("rb_body")
        if body is not None:
            assert isinstance(body, Literal)
    assert isinstance(plays[0]["vars"]["rb_prelude"], Literal)


def test_the_inventory_names_each_group_and_the_environment() -> None:
    loaded = load(ROOT / "runbook.yaml")
    inventory = parse(render_inventory(loaded, "production-fleet"))["all"]
    assert inventory["vars"]["rb_environment"] == "production-fleet"
    assert "ansible_port" not in inventory["vars"]  # 22: an ssh_config may decide
    assert list(inventory["children"]["app"]["hosts"]) == [
        "app1.example.internal",
        "app2.example.internal",
        "app3.example.internal",
    ]


def test_a_group_id_outside_the_pattern_is_refused(tmp_path: Path) -> None:
    loaded = load(FLEET)
    env = loaded.runbook.environments["production"]
    assert env.groups is not None
    bad = env.model_copy(update={"groups": {"app'] }}": env.groups["app"]}})
    rb = loaded.runbook.model_copy(update={"environments": {"production": bad}})
    with pytest.raises(ValueError, match="not a valid id"):
        render_inventory(replace(loaded, runbook=rb), "production")


@pytest.mark.skipif(not ANSIBLE_PLAYBOOK.exists(), reason="ansible-core is not installed")
def test_ansible_accepts_the_example_playbooks(tmp_path: Path) -> None:
    for rel, text in render_playbooks(load(ROOT / "runbook.yaml")).items():
        (tmp_path / Path(rel).name).write_text(text, encoding="utf-8")
    for playbook in ("deploy-fleet.yml", "rollback-fleet.yml"):
        done = subprocess.run(
            [
                str(ANSIBLE_PLAYBOOK),
                "--syntax-check",
                "-i",
                "inventory-production-fleet.yml",
                playbook,
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr


# ---------------------------------------------------------------------------- hostile text
def _hostile(tmp_path: Path) -> LoadedRunbook:
    """A one-host fleet whose every text is hostile; its steps only echo and link."""
    expected = tmp_path / "expected.txt"
    spec = {
        "service": {"name": EVIL},
        "environments": {
            "production": {
                "title": EVIL,
                "description": EVIL,
                "groups": {"app": ["h1.example.internal"]},
                "rolling": {"group": "app"},
                "ssh_user": "deploy",
                "deploy_path": "/srv/app",
                "endpoints": [{"path": "/health", "contains": EVIL, "title": EVIL}],
            }
        },
        "steps": {
            "check": {"title": EVIL, "why": EVIL, "command": "echo checked", "confirm": EVIL},
            "gate": {"title": EVIL, "confirm": EVIL},
            "once": {"title": EVIL, "runs_on": "remote", "once_on": "app", "command": "echo once"},
            "switch": {
                "title": EVIL,
                "runs_on": "remote",
                "command": 'mkdir -p "$RELEASE_DIR" && ln -sfn "$RELEASE_DIR" "$CURRENT_LINK"',
            },
            "health": {
                "title": EVIL,
                "runs_on": "remote",
                "command": f"cat {expected}",
                "expect": {"output_contains": EVIL},
            },
            "restore": {"title": EVIL, "runs_on": "remote", "command": "echo restore"},
        },
        "procedures": {
            "deploy-production": {
                "title": EVIL,
                "description": EVIL,
                "kind": "deploy",
                "environment": "production",
                "playbook": "deploy-production.yml",
                "stages": [
                    {"title": EVIL, "steps": ["check", "gate", "once"]},
                    {"title": EVIL, "steps": ["switch", "health"]},
                ],
                "point_of_no_return": "switch",
                "rollback_steps": ["restore"],
                "post_tasks": [EVIL],
            }
        },
    }
    path = tmp_path / "runbook.yaml"
    path.write_text(json.dumps(spec), encoding="utf-8")
    loaded = load(path)
    # The deploy path bypasses the model's pattern, as a hand-edited model could.
    env = loaded.runbook.environments["production"]
    env = env.model_copy(update={"deploy_path": str(tmp_path / "srv" / EVIL)})
    rb = loaded.runbook.model_copy(update={"environments": {"production": env}})
    expected.write_text(EVIL.replace("$VERSION", "v9.9.9") + "\n", encoding="utf-8")
    return replace(loaded, runbook=rb)


def _run_local(tmp_path: Path, loaded: LoadedRunbook, **extra: Any) -> tuple[int, str]:
    """The playbook of deploy-production on this machine (Ansible's local connection)."""
    playbooks = tmp_path / "playbooks"
    playbooks.mkdir(exist_ok=True)
    for rel, text in render_playbooks(loaded).items():
        (playbooks / Path(rel).name).write_text(text, encoding="utf-8")
    repo = tmp_path / "repo"
    if not repo.exists():
        repo.mkdir()
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
    variables = {
        "version": "v9.9.9",
        "ansible_connection": "local",
        "ansible_python_interpreter": sys.executable,
        **extra,
    }
    env = {
        **os.environ,
        "PWD": str(repo),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_LOCALHOST_WARNING": "False",
        "ANSIBLE_RETRY_FILES_ENABLED": "False",
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"),
        "ANSIBLE_REMOTE_TEMP": str(tmp_path / "ansible-tmp"),
    }
    done = subprocess.run(
        [
            str(ANSIBLE_PLAYBOOK),
            "-i",
            str(playbooks / "inventory-production.yml"),
            str(playbooks / "deploy-production.yml"),
            "-e",
            json.dumps(variables),
        ],
        cwd=repo,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    return done.returncode, done.stdout + done.stderr


@pytest.mark.skipif(not ANSIBLE_PLAYBOOK.exists(), reason="ansible-core is not installed")
def test_hostile_text_runs_as_text_never_as_code(tmp_path: Path) -> None:
    code, output = _run_local(tmp_path, _hostile(tmp_path), confirmed=True)
    assert code == 0, output[-4000:]
    made = [p for base in (tmp_path, ROOT, Path.cwd()) for p in base.rglob("pwned")]
    assert made == [], made
    assert "{{ lookup('ansible.builtin.pipe', 'touch pwned') }}" in output
    assert "h1.example.internal serves v9.9.9" in output
    serving = tmp_path / "srv" / EVIL / "current"
    assert serving.resolve().name == "v9.9.9"


@pytest.mark.skipif(not ANSIBLE_PLAYBOOK.exists(), reason="ansible-core is not installed")
def test_without_a_terminal_or_confirmed_a_question_refuses_before_any_host(
    tmp_path: Path,
) -> None:
    code, output = _run_local(tmp_path, _hostile(tmp_path))
    assert code == 2, output[-4000:]
    assert "not confirmed: no answer" in output
    assert "-e confirmed=true" in output
    assert not (tmp_path / "srv").exists()  # no lock, no release: no host was reached


# ---------------------------------------------------------------------------- earlier batches
def _two_batches(tmp_path: Path, earlier: str) -> LoadedRunbook:
    """Two app hosts in batches of one; the health check fails on the second host only.

    Both hosts are this machine, so they share one deploy path (and one lock, which the
    second host takes over with ``break_lock``); each step logs which host it acted for.
    """
    log = tmp_path / "steps.log"
    spec = {
        "service": {"name": "demo"},
        "environments": {
            "production": {
                "title": "Production",
                "groups": {"app": ["h1.example.internal", "h2.example.internal"]},
                "rolling": {"group": "app", "pause_seconds": 1, "earlier_batches": earlier},
                "ssh_user": "deploy",
                "deploy_path": "/srv/app",
            }
        },
        "steps": {
            "switch": {
                "title": "Switch",
                "runs_on": "remote",
                "command": f'echo "switch $HOST" >> {log}',
            },
            "health": {
                "title": "Health",
                "runs_on": "remote",
                "command": f'echo "health $HOST" >> {log}; [ "$HOST" != h2.example.internal ]',
            },
            "restore": {
                "title": "Restore",
                "runs_on": "remote",
                "command": f'echo "restore $HOST to $PREVIOUS_VERSION" >> {log}',
            },
        },
        "procedures": {
            "deploy-production": {
                "title": "Deploy",
                "kind": "deploy",
                "environment": "production",
                "playbook": "deploy-production.yml",
                "stages": [{"title": "Deploy", "steps": ["switch", "health"]}],
                "point_of_no_return": "switch",
                "rollback_steps": ["restore"],
            }
        },
    }
    path = tmp_path / "runbook.yaml"
    path.write_text(json.dumps(spec), encoding="utf-8")
    loaded = load(path)
    env = loaded.runbook.environments["production"]
    env = env.model_copy(update={"deploy_path": str(tmp_path / "srv")})
    return replace(
        loaded, runbook=loaded.runbook.model_copy(update={"environments": {"production": env}})
    )


@pytest.mark.skipif(not ANSIBLE_PLAYBOOK.exists(), reason="ansible-core is not installed")
@pytest.mark.parametrize(
    ("earlier", "restored"),
    [
        ("keep", ["h2.example.internal"]),
        ("rollback", ["h2.example.internal", "h1.example.internal"]),
    ],
)
def test_a_failed_second_batch_rolls_back_itself_and_earlier_batches_as_chosen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, earlier: str, restored: list[str]
) -> None:
    monkeypatch.setenv("ANSIBLE_FORKS", "1")  # one lock taken after the other
    code, output = _run_local(
        tmp_path, _two_batches(tmp_path, earlier), confirmed=True, break_lock=True
    )
    assert code == 2, output[-4000:]
    lines = (tmp_path / "steps.log").read_text(encoding="utf-8").splitlines()
    assert lines[:4] == [
        "switch h1.example.internal",
        "health h1.example.internal",
        "switch h2.example.internal",
        "health h2.example.internal",
    ]
    assert [line.split()[1] for line in lines[4:]] == restored
    assert all(line.startswith("restore ") for line in lines[4:])
    assert "Pause before the next batch" in output
    assert "the run stops here" in output
