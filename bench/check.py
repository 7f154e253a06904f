"""Benchmark: how long `runbook check` takes on the example, and its shellcheck parts alone.

The commands are checked beside the scripts (one shellcheck process for all of them), so the
whole check should take little more than the scripts' shellcheck. Prints figures; asserts
nothing. Run: python bench/check.py [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from runbook.build import render_outputs
from runbook.check import run_check
from runbook.lint.commands import check_commands
from runbook.lint.outputs import shellcheck
from runbook.loader import load

ROOT = Path(__file__).resolve().parent.parent


def _time(action: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    example = ROOT / "runbook.yaml"
    loaded = load(example)
    scripts = {k: v for k, v in render_outputs(loaded).items() if k.endswith(".sh")}
    commands = check_commands(loaded)[1]
    rows = [
        ("runbook check (run_check), whole", lambda: run_check(example)),
        (f"shellcheck of the {len(scripts)} scripts", lambda: shellcheck(scripts, ROOT)),
        (f"bash -n and shellcheck of the {commands} commands", lambda: check_commands(loaded)),
    ]
    for name, action in rows:
        times = _time(action, args.repeat)
        print(f"{name:50} median {statistics.median(times) * 1000:8.1f} ms  (n={len(times)})")


if __name__ == "__main__":
    main()
