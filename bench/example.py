"""Benchmark: the example's `runbook check`, `validate` and `--help`, and `runbook build`
against a plain `mkdocs build` of the same pages.

Each command runs in its own process, in a copy of the repository's example; the table gives
the median wall and CPU seconds (the process and its children: shellcheck, `bash -n`) over
``--repeat`` runs. `check` runs cold (`--no-cache`) and warm (a cache from the run before).
For the site, `runbook build --docs-only` writes the pages, assets and a `mkdocs.yml` without
the plugin, which a plain `mkdocs build` builds; the two sites' HTML pages are compared byte
for byte, and the ratio of their CPU times printed.
Prints figures; asserts nothing. Run: python bench/example.py [--repeat N]
"""

from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNBOOK = [sys.executable, "-m", "runbook"]
MKDOCS = [sys.executable, "-m", "mkdocs"]


def run(args: list[str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one command and its children."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        errors = proc.stderr.read().decode() if proc.stderr else ""
        sys.exit(f"{' '.join(args)} failed:\n{errors}")
    return wall, usage.ru_utime + usage.ru_stime


def medians(runs: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def project(directory: Path) -> Path:
    """A copy of the example, built, in ``directory``."""
    for name in ("runbook.yaml", "mkdocs.yml", "verification.json"):
        if (ROOT / name).exists():
            shutil.copy(ROOT / name, directory / name)
    shutil.copytree(ROOT / "example", directory / "example")
    (directory / "docs").mkdir()
    run([*RUNBOOK, "build", "runbook.yaml", "--no-site"], directory)
    return directory


def plain_mkdocs(directory: Path) -> None:
    """The same pages, assets and options in ``export/``, as `runbook build --docs-only` writes
    them for any builder: its ``mkdocs.yml`` has no `runbook` plugin, so a plain mkdocs build
    of it renders what the plugin would have handed mkdocs, without the plugin's work."""
    run([*RUNBOOK, "build", "runbook.yaml", "--docs-only", "export"], directory)


REDIRECT_MARK = "<title>Moved to "


def same_html(one: Path, other: Path) -> tuple[int, int, int, int]:
    """HTML pages of ``one`` also in ``other``, how many of those differ, the redirect stubs
    only ``one`` has (`runbook build` keeps the old address of a dotted page name, which a
    plain mkdocs build does not write), and the other pages only one of the sites has."""
    names = sorted(p.relative_to(one) for p in one.rglob("*.html"))
    common = [n for n in names if (other / n).is_file()]
    _, mismatch, errors = filecmp.cmpfiles(one, other, common, shallow=False)
    only = [n for n in names if not (other / n).is_file()]
    stubs = [n for n in only if REDIRECT_MARK in (one / n).read_text(errors="replace")[:400]]
    missing = len(only) - len(stubs)
    missing += sum(1 for p in other.rglob("*.html") if not (one / p.relative_to(other)).is_file())
    return len(common), len(mismatch) + len(errors), len(stubs), missing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="runbook-bench-") as tmp:
        root = project(Path(tmp))
        plain_mkdocs(root)
        check = [*RUNBOOK, "check", "runbook.yaml"]
        helped = subprocess.run([*check, "--help"], capture_output=True, text=True, check=True)
        cold = [*check, "--no-cache"] if "--no-cache" in helped.stdout else check  # older tools
        rows: dict[str, list[tuple[float, float]]] = {
            "runbook --help": [],
            "runbook validate": [],
            "runbook check --no-cache (cold)": [],
            "runbook check (warm)": [],
            "runbook build (site included)": [],
            "mkdocs build of the same pages": [],
        }
        run(check, root)  # the cache the warm runs start from
        for _ in range(args.repeat):  # interleaved, so that load changes hit every row alike
            rows["runbook --help"].append(run([*RUNBOOK, "--help"], root))
            rows["runbook validate"].append(run([*RUNBOOK, "validate", "runbook.yaml"], root))
            rows["runbook check --no-cache (cold)"].append(run(cold, root))
            rows["runbook check (warm)"].append(run(check, root))
            build = [*RUNBOOK, "build", "runbook.yaml", "--site-dir", "site-runbook"]
            rows["runbook build (site included)"].append(run(build, root))
            mkdocs = [*MKDOCS, "build", "-q", "-f", "export/mkdocs.yml", "-d", "../site-plain"]
            rows["mkdocs build of the same pages"].append(run(mkdocs, root))
        common, differ, stubs, missing = same_html(root / "site-runbook", root / "site-plain")
    load_after = os.getloadavg()[0]
    print(f"load average {load_before:.1f} -> {load_after:.1f} on {os.cpu_count()} cores")
    print(f"{'command':40} {'wall s':>8} {'CPU s':>8}   (median of {args.repeat})")
    for name, runs in rows.items():
        wall, cpu = medians(runs)
        print(f"{name:40} {wall:8.2f} {cpu:8.2f}")
    build_cpu = medians(rows["runbook build (site included)"])[1]
    mkdocs_cpu = medians(rows["mkdocs build of the same pages"])[1]
    ratio = statistics.median(
        b[1] / m[1]
        for b, m in zip(
            rows["runbook build (site included)"],
            rows["mkdocs build of the same pages"],
            strict=True,
        )
    )
    print(
        f"runbook build / plain mkdocs build: {build_cpu / mkdocs_cpu:.2f} (medians), "
        f"{ratio:.2f} (median of paired runs), CPU"
    )
    print(
        f"HTML pages in both sites: {common}, differing: {differ}; redirect stubs only "
        f"runbook build writes: {stubs}; other pages in one site only: {missing}"
    )


if __name__ == "__main__":
    main()
