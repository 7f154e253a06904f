"""Benchmark: how loading, linting, rendering the pages and the scripts grow with the input.

Runbooks of 1,000, 10,000 and 50,000 steps (one procedure each, every step in it), and 1 MiB of
dense text (backtick runs, near-miss secrets, markup) in a step's `why` and `check:` fields.
Prints a table of seconds per stage and the growth from each size to the next; asserts
nothing. Run: python bench/growth.py [--sizes 1000 10000 50000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from runbook.lint import lint
from runbook.loader import LoadedRunbook, load
from runbook.site.pages import pages
from scripts_gen import render_scripts


def _runbook(steps: int, why: str = "", check: str = "x") -> dict[str, Any]:
    ids = [f"s{i}" for i in range(steps)]
    return {
        "service": {"name": "bench"},
        "environments": {
            "staging": {
                "title": "Staging", "host": "staging.example.internal",
                "ssh_user": "deploy", "deploy_path": "/srv/app",
            }
        },
        "checklists": {"c": {"title": "C", "category": "pre-deployment",
                             "items": [{"text": "t", "check": check}]}},
        "steps": {sid: {"title": f"Step {sid}", "command": f"echo {sid}", "why": why} for sid in ids},
        "procedures": {
            "deploy-staging": {
                "title": "Deploy", "kind": "deploy", "environment": "staging",
                "script": "deploy-staging.sh", "stages": [{"title": "All", "steps": ids}],
            }
        },
    }  # fmt: skip


def _dense_text() -> str:
    """Near 1 MiB of what made the old code quadratic, split across fields of 20,000."""
    unit = "` `` a.b.c password=$x `<b>` \\` systemctl x " * 10
    return unit


def _stage(name: str, action: Callable[[], object], row: dict[str, float]) -> Any:
    start = time.perf_counter()
    result = action()
    row[name] = time.perf_counter() - start
    return result


def measure(path: Path) -> dict[str, float]:
    row: dict[str, float] = {}
    loaded: LoadedRunbook = _stage("load", lambda: load(path), row)
    _stage("lint", lambda: lint(loaded.runbook, lambda p: loaded.source_map.locate(p)), row)
    _stage("scripts", lambda: render_scripts(loaded), row)
    _stage("pages", lambda: pages(loaded), row)
    return row


def _dense_file(directory: Path) -> Path:
    """As many 20,000-character dense `why`s and checks as fit in 1 MiB."""
    text = (_dense_text() * 100)[:19_000]
    data = _runbook(1, why=text, check=text)
    data["steps"].update(
        {f"d{i}": {"title": "D", "command": "true", "why": text} for i in range(48)}
    )
    path = directory / "dense.yaml"
    path.write_text(yaml.safe_dump(data, width=10**9), encoding="utf-8")
    return path


#: Steps per file: a runbook file may be at most 1 MiB, so large step libraries are included.
STEPS_PER_FILE = 8_000


def _write_split(directory: Path, size: int) -> Path:
    """The runbook of ``size`` steps, its step library split across included files."""
    data = _runbook(size)
    steps = list(data.pop("steps").items())
    names = []
    for n, first in enumerate(range(0, size, STEPS_PER_FILE)):
        name = f"steps-{size}-{n}.yaml"
        part = {"steps": dict(steps[first : first + STEPS_PER_FILE])}
        (directory / name).write_text(yaml.safe_dump(part), encoding="utf-8")
        names.append(name)
    data["include"] = names
    path = directory / f"runbook-{size}.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 50_000])
    args = parser.parse_args()
    stages = ("load", "lint", "scripts", "pages")
    print(f"{'input':28}" + "".join(f"{s:>10}" for s in stages) + f"{'total':>10}   growth")
    previous: tuple[int, float] | None = None
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            path = _write_split(Path(tmp), size)
            row = measure(path)
            total = sum(row.values())
            growth = ""
            if previous:
                growth = f"x{total / previous[1]:.1f} time for x{size / previous[0]:.0f} steps"
            kib = sum(f.stat().st_size for f in Path(tmp).glob(f"*-{size}*.yaml")) / 1024
            print(
                f"{size:>6,} steps ({kib:7,.0f} KiB)"
                + "".join(f"{row[s]:10.2f}" for s in stages)
                + f"{total:10.2f}   {growth}"
            )
            previous = (size, total)
        dense = _dense_file(Path(tmp))
        row = measure(dense)
        label = f"dense text ({dense.stat().st_size / 1024:,.0f} KiB)"
        print(
            f"{label:28}"
            + "".join(f"{row[s]:10.2f}" for s in stages)
            + f"{sum(row.values()):10.2f}"
        )
    print("seconds per stage; growth near the size ratio is linear")


if __name__ == "__main__":
    main()
