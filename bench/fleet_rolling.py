"""Measure a rolling deploy by the generated playbook: 1, 3 and 6 hosts, batches of 1 and 2,
and the effect of Ansible's ``forks``.

    python bench/fleet_rolling.py [--repeat N]

Seven containers of the example's target image (six app hosts and a load balancer, started
once) play a fleet whose procedure has the shape of the example's rolling part (drain,
unpack, switch, reload, health check, record, undrain: cheap commands), so the figures are
Ansible's orchestration of the batches, not the service's own work. Each configuration's
playbook is generated from its own runbook and run from a git checkout like a release
engineer would. Prints one table row per configuration and a closing note.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from runbook.fleet import render_playbooks
from runbook.loader import load
from runbook.target import daemon, fleet, image

ROOT = Path(__file__).resolve().parent.parent
HOSTS = [f"app{i}.bench.internal" for i in range(1, 7)]
CONFIGS = [  # (hosts, batch, forks)
    (1, 1, 5),
    (3, 1, 5),
    (3, 2, 5),
    (6, 1, 5),
    (6, 2, 5),
    (6, 2, 1),
    (6, 6, 5),
    (6, 6, 1),
]
STEP = {"runs_on": "remote", "timeout": 60}
STEPS = {
    "check": {"title": "Check", "command": "git rev-parse HEAD"},
    "unpack": {**STEP, "title": "Unpack", "command": 'mkdir -p "$RELEASE_DIR"'},
    "switch": {
        **STEP,
        "title": "Switch",
        "command": 'ln -sfn "$RELEASE_DIR" "$CURRENT_LINK.next" && mv -T "$CURRENT_LINK.next" "$CURRENT_LINK"',
    },
    "reload": {**STEP, "title": "Reload", "command": "true"},
    "health": {
        **STEP,
        "title": "Health",
        "command": 'basename "$(readlink "$CURRENT_LINK")"',
        "expect": {"output_contains": "$VERSION"},
    },
    "record": {
        **STEP,
        "title": "Record",
        "command": 'echo "$TIMESTAMP $VERSION" >> "$DEPLOY_PATH/revisions.log"',
    },
    "restore": {**STEP, "title": "Restore", "command": "true"},
    "drain": {**STEP, "title": "Drain", "command": 'echo "drain $HOST"'},
    "undrain": {**STEP, "title": "Undrain", "command": 'echo "undrain $HOST"'},
}


def runbook(base: dict, hosts: int, batch: int) -> dict:
    """The example's runbook, its fleet replaced by the bench fleet of ``hosts`` app hosts."""
    rb = copy.deepcopy(base)
    rb["environments"]["bench"] = {
        "title": "Bench",
        "groups": {"app": HOSTS[:hosts], "lb": ["lb1.bench.internal"]},
        "rolling": {
            "group": "app",
            "batch": batch,
            "balancer": "lb",
            "drain": ["drain"],
            "undrain": ["undrain"],
        },
        "ssh_user": "deploy",
        "deploy_path": "/srv/app",
    }
    rb["steps"].update(STEPS)
    rb["procedures"]["deploy-bench"] = {
        "title": "Bench deploy",
        "kind": "deploy",
        "environment": "bench",
        "playbook": "deploy-bench.yml",
        "stages": [
            {"title": "Check", "steps": ["check"]},
            {"title": "Roll", "steps": ["unpack", "switch", "reload", "health", "record"]},
        ],
        "point_of_no_return": "switch",
        "rollback_steps": ["restore"],
    }
    rb["target"]["fleet"] = {
        "environment": "bench",
        "ingress": "lb",
        "groups": {"app": {"start": "true"}, "lb": {"start": "true"}},
    }
    return rb


def write(work: Path, data: dict) -> Path:
    """A runbook file beside a link to the example's folder (its target image is reused)."""
    work.mkdir(parents=True, exist_ok=True)
    link = work / "example"
    if not link.exists():
        link.symlink_to(ROOT / "example")
    path = work / "runbook.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def deploy(work: Path, repo: Path, ssh_config: str, forks: int, version: str) -> float:
    env = {
        **os.environ,
        "PWD": str(repo),
        "ANSIBLE_SSH_COMMON_ARGS": f"-F {ssh_config}",
        "ANSIBLE_HOST_KEY_CHECKING": "False",
        "ANSIBLE_PIPELINING": "True",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "False",
        "ANSIBLE_FORKS": str(forks),
        "ANSIBLE_SSH_CONTROL_PATH_DIR": str(work / "cp"),
    }
    argv = [
        str(Path(sys.executable).parent / "ansible-playbook"),
        "-i",
        str(work / "playbooks" / "inventory-bench.yml"),
        str(work / "playbooks" / "deploy-bench.yml"),
        "-e",
        json.dumps({"version": version, "confirmed": True}),
    ]
    started = time.monotonic()
    done = subprocess.run(argv, cwd=repo, env=env, capture_output=True, text=True, timeout=900)
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"deploy failed (exit {done.returncode}):\n{done.stdout[-3000:]}")
    return seconds


def note(rows: list[tuple[int, int, int, int, float]]) -> list[str]:
    """The closing note, from the figures just measured (never a claim they do not show)."""
    t = {(h, b, f): s for h, b, _, f, s in rows}
    lines = [
        f"One host takes {t[1, 1, 5]:.0f} s: the fixed part (preflight, the lock on every host,",
        "the report) and one batch. Each further batch of 1 adds "
        f"{(t[6, 1, 5] - t[3, 1, 5]) / 3:.0f} s (3 to 6 hosts): the batch's train of tasks",
        "(drain, the steps, undrain), each a round trip to the batch's hosts; a task waits for",
        "the slowest host of its batch, so the time follows the number of batches.",
        f"Batches of 2 over 6 hosts: {t[6, 2, 5]:.0f} s against {t[6, 1, 5]:.0f} s in batches of 1.",
        f"forks bounds the hosts a task works on at once: batches of 2 take {t[6, 2, 1]:.0f} s with",
        f"forks 1 against {t[6, 2, 5]:.0f} s with forks 5; one batch of 6 takes {t[6, 6, 1]:.0f} s with",
        f"forks 1 and {t[6, 6, 5]:.0f} s with forks 5.",
    ]
    if t[6, 6, 5] > t[6, 1, 5]:
        lines += [
            "Here one wide batch is slower than six narrow ones: with "
            f"{os.cpu_count()} CPUs, hosts worked on at once",
            "compete for them (each task is an ssh and a Python module per host, and Ansible's",
            "own loop polls its workers), so parallel hosts stop paying off; a batch also",
            "drains that many hosts from the balancer at once.",
        ]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs per configuration (median)")
    args = parser.parse_args()
    base = yaml.safe_load((ROOT / "runbook.yaml").read_text(encoding="utf-8"))
    client = daemon.client()
    with tempfile.TemporaryDirectory(prefix="runbook-bench-") as tmp:
        work = Path(tmp)
        loaded = load(write(work / "fleet", runbook(base, 6, 1)))
        built = image.ensure_image(client, image.definition(loaded))
        state = work / "state"
        started = time.monotonic()
        running = fleet.start(client, built.tag, state, loaded.runbook)
        print(f"fleet of 7 containers started in {time.monotonic() - started:.1f} s", flush=True)
        repo = work / "repo"
        repo.mkdir()
        for command in (["init", "-q"], ["commit", "-q", "--allow-empty", "-m", "bench"]):
            subprocess.run(["git", "-c", "user.name=b", "-c", "user.email=b@b", *command],
                           cwd=repo, check=True)  # fmt: skip
        rows = []
        try:
            for n, (hosts, batch, forks) in enumerate(CONFIGS):
                config = work / f"c{n}"
                loaded = load(write(config, runbook(base, hosts, batch)))
                for rel, text in render_playbooks(loaded).items():
                    (config / rel).parent.mkdir(parents=True, exist_ok=True)
                    (config / rel).write_text(text, encoding="utf-8")
                times = sorted(
                    deploy(config, repo, running.ssh_config, forks, f"v{n}.{r}")
                    for r in range(args.repeat)
                )
                seconds = times[len(times) // 2]
                batches = -(-hosts // batch)
                rows.append((hosts, batch, batches, forks, seconds))
                print(f"  {hosts} hosts, batch {batch}, forks {forks}: {seconds:.1f} s", flush=True)
        finally:
            fleet.remove(client, state)
            shutil.rmtree(work / "cp", ignore_errors=True)
    print()
    print("| hosts | batch | batches | forks | rolling deploy (s) | per batch (s) |")
    print("|---:|---:|---:|---:|---:|---:|")
    for hosts, batch, batches, forks, seconds in rows:
        print(
            f"| {hosts} | {batch} | {batches} | {forks} | {seconds:.1f} | {seconds / batches:.1f} |"
        )
    print()
    for line in note(rows):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
