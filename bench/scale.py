"""Benchmark: how `runbook build`, `runbook check` and the site grow with the runbook.

Synthetic runbooks repeat the shipped example: its steps, procedures (with their scripts) and
checklists, copy after copy under new ids, until there are about 100, 1,000 and 10,000 steps;
the other sections stay as they are. The copies go into included files (a file may hold at
most 1 MiB). Each size is built (site included, then without it) and checked, each command in
its own process:
the table gives wall and CPU seconds (the process and its children, shellcheck included),
the peak memory of the process, the size of the site, and the growth exponent between sizes
(time ~ steps ** k: 1 is linear). Each build and the first check start without
`.runbook/cache/` (cold: everything rendered and checked); the second check is warm.
The example's fleet procedures are copied too (a playbook each), unless --no-fleet.
Prints figures; asserts nothing. Run: python bench/scale.py [--sizes 100 1000 10000] [--no-fleet]
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
RUNBOOK = [sys.executable, "-m", "runbook"]
#: Copies per included file: a runbook file may hold at most 1 MiB, a runbook 64 includes.
COPIES_PER_FILE = 8


@dataclass
class Run:
    """One command in its own process."""

    wall: float
    cpu: float
    peak_mib: float
    code: int


def run(args: list[str], cwd: Path, ok: tuple[int, ...] = (0,)) -> Run:
    """Run a command; wall time, CPU time of it and its children, its peak memory."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in ok:
        sys.exit(f"{' '.join(args)} failed:\n{proc.stderr.read().decode() if proc.stderr else ''}")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc.returncode)


def _renamed(copy: int, value: str) -> str:
    return f"{value}-c{copy}"


def _copy(example: dict[str, Any], copy: int, fleet: bool = True) -> dict[str, Any]:
    """The example's steps, procedures and checklists under new ids (``<id>-c<copy>``)."""
    step = lambda sid: _renamed(copy, sid)  # noqa: E731
    checklist = lambda cid: _renamed(copy, cid)  # noqa: E731
    # The steps an environment runs around each host (drain, undrain) are the environment's:
    # copies of them would be steps no procedure runs.
    around = {
        sid
        for env in example["environments"].values()
        for sid in (
            *env.get("rolling", {}).get("drain", []),
            *env.get("rolling", {}).get("undrain", []),
        )
    }
    steps = {step(sid): value for sid, value in example["steps"].items() if sid not in around}
    checklists = {checklist(cid): value for cid, value in example["checklists"].items()}
    procedures = {}
    for pid, proc in example["procedures"].items():
        if not fleet and "playbook" in proc:
            continue
        proc = dict(proc)
        proc["stages"] = [
            {**stage, "steps": [step(s) for s in stage["steps"]]} for stage in proc["stages"]
        ]
        for key in ("point_of_no_return",):
            if key in proc:
                proc[key] = step(proc[key])
        if "rollback_steps" in proc:
            proc["rollback_steps"] = [step(s) for s in proc["rollback_steps"]]
        for key in ("checklist_before", "checklist_after"):
            if key in proc:
                proc[key] = checklist(proc[key])
        if "script" in proc:
            proc["script"] = _renamed(copy, proc["script"].removesuffix(".sh")) + ".sh"
        if "playbook" in proc:
            proc["playbook"] = _renamed(copy, proc["playbook"].removesuffix(".yml")) + ".yml"
        proc["title"] = f"{proc['title']} ({copy})"
        procedures[_renamed(copy, pid)] = proc
    return {"steps": steps, "procedures": procedures, "checklists": checklists}


def make_project(directory: Path, steps: int, fleet: bool = True) -> int:
    """A project of about ``steps`` steps in ``directory``; returns how many it has.

    Without ``fleet`` the copies leave out the procedures that run as Ansible playbooks."""
    example = yaml.safe_load((ROOT / "runbook.yaml").read_text(encoding="utf-8"))
    per_copy = len(example["steps"])
    copies = max(0, round(steps / per_copy) - 1)
    includes = []
    for first in range(1, copies + 1, COPIES_PER_FILE):
        part: dict[str, dict[str, Any]] = {"steps": {}, "procedures": {}, "checklists": {}}
        for copy in range(first, min(copies, first + COPIES_PER_FILE - 1) + 1):
            for section, entries in _copy(example, copy, fleet).items():
                part[section].update(entries)
        name = f"copies-{first}.yaml"
        (directory / name).write_text(yaml.safe_dump(part, sort_keys=False), encoding="utf-8")
        includes.append(name)
    text = (ROOT / "runbook.yaml").read_text(encoding="utf-8")
    if includes:
        text += "\ninclude:\n" + "".join(f"  - {name}\n" for name in includes)
    (directory / "runbook.yaml").write_text(text, encoding="utf-8")
    shutil.copy(ROOT / "mkdocs.yml", directory / "mkdocs.yml")
    (directory / "docs").mkdir()
    for folder in ("service", "target"):  # what the example's target section names
        if (ROOT / "example" / folder).exists():
            shutil.copytree(ROOT / "example" / folder, directory / "example" / folder)
    return per_copy * (copies + 1)


def _stub(page: Path) -> bool:
    """Whether a built page is one of the redirect stubs for the old address of a page."""
    with page.open("rb") as handle:
        return b'http-equiv="refresh"' in handle.read(1024)


def size_mib(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20


def exponent(rows: list[tuple[int, float]]) -> float:
    """The least-squares slope of log(time) over log(steps)."""
    xs = [math.log(n) for n, _ in rows]
    ys = [math.log(max(t, 1e-3)) for _, t in rows]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs
    )


COLUMNS = ("build", "build --no-site", "check cold", "check warm")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1_000, 10_000])
    parser.add_argument(
        "--no-fleet",
        action="store_true",
        help="copies without the procedures that run as playbooks (ansible-lint takes about a "
        "second per playbook, more than everything else a check does)",
    )
    args = parser.parse_args()
    load = os.getloadavg()[0]
    print(
        f"load average {load:.1f} on {os.cpu_count()} cores; seconds wall / CPU, MiB peak"
        + ("; copies without fleet procedures" if args.no_fleet else ""),
        flush=True,
    )
    header = f"{'steps':>7} {'scripts':>8} {'books':>6}" + "".join(f"{c:>24}" for c in COLUMNS)
    print(header + f"{'site MiB':>10}{'pages':>7}{'MiB/page':>10}")
    results: dict[str, list[tuple[int, float]]] = {c: [] for c in COLUMNS}
    for size in args.sizes:
        with tempfile.TemporaryDirectory(prefix="runbook-scale-") as tmp:
            project = Path(tmp)
            steps = make_project(project, size, fleet=not args.no_fleet)
            build = [*RUNBOOK, "build", "runbook.yaml"]
            runs = {"build": run(build, project)}
            shutil.rmtree(project / ".runbook", ignore_errors=True)  # render again
            runs["build --no-site"] = run([*build, "--no-site"], project)
            scripts = len(list((project / "scripts").glob("*.sh")))
            playbooks = (
                len(
                    [p for p in (project / "playbooks").glob("*.yml") if "inventory-" not in p.name]
                )
                if (project / "playbooks").exists()
                else 0
            )
            shutil.rmtree(project / ".runbook", ignore_errors=True)
            check = [*RUNBOOK, "check", "runbook.yaml"]
            runs["check cold"] = run(check, project, ok=(0, 1))
            runs["check warm"] = run(check, project, ok=(0, 1))
            site = project / "site"
            pages = (
                sum(1 for page in site.rglob("*.html") if not _stub(page)) if site.exists() else 0
            )
            mib = size_mib(site) if site.exists() else 0.0
            cells = "".join(
                f"{r.wall:9.1f} /{r.cpu:7.1f} /{r.peak_mib:5.0f}" for r in runs.values()
            )
            per_page = mib / pages if pages else 0.0
            print(
                f"{steps:>7,} {scripts:>8,} {playbooks:>6,}{cells}{mib:10.1f}{pages:7,}"
                f"{per_page:10.3f}",
                flush=True,
            )
            for name, result in runs.items():
                results[name].append((steps, result.cpu))
    if len(args.sizes) > 1:
        growth = ", ".join(f"{name} {exponent(rows):.2f}" for name, rows in results.items())
        print(f"growth exponent of CPU time (1 is linear): {growth}")


if __name__ == "__main__":
    main()
