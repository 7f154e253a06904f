"""Benchmark: how long loading takes, for the example and for the densest file allowed,
with libyaml's parser (when PyYAML has it) and with PyYAML's own.

Prints figures; asserts nothing. Run: python bench/loader.py [--repeat N]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from runbook import yamlsrc
from runbook.errors import RunbookError
from runbook.loader import load
from runbook.yamlsrc import MAX_BYTES

ROOT = Path(__file__).resolve().parent.parent


def _dense_file(directory: Path) -> Path:
    """Two values a line up to the size limit: the most positions a file can hold."""
    path = directory / "dense.yaml"
    with path.open("w", encoding="utf-8") as f:
        i = 0
        while f.tell() < MAX_BYTES - 20:
            f.write(f"k{i}: {i}\n")
            i += 1
    return path


def _time(action: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        with contextlib.suppress(RunbookError):
            action()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    example = ROOT / "runbook.yaml"
    with tempfile.TemporaryDirectory() as tmp:
        dense = _dense_file(Path(tmp))
        rows = [
            (f"example runbook.yaml ({example.stat().st_size:,} bytes)", lambda: load(example)),
            (f"densest file allowed ({dense.stat().st_size:,} bytes)", lambda: load(dense)),
        ]
        parsers = {"libyaml": getattr(yaml, "CSafeLoader", None), "python": yaml.SafeLoader}
        for parser, loader in parsers.items():
            if loader is None:
                continue
            yamlsrc._FAST_LOADER = loader
            for name, action in rows:
                times = _time(action, args.repeat)
                label = f"{name}, {parser}"
                print(
                    f"{label:65} median {statistics.median(times) * 1000:8.1f} ms  (n={len(times)})"
                )


if __name__ == "__main__":
    main()
