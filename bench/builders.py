"""Benchmark: the example's site built by each builder, as a team would run it; time and pages.

- mkdocs:   ``mkdocs build --strict`` with the repository's mkdocs.yml (mkdocs-material).
- techdocs: ``mkdocs build --strict`` with ``plugins: [techdocs-core, runbook]``, in the
  venv tests/test_site_builders.py makes (``.venv-techdocs``); skipped when it is missing.
- zensical: the pages written by ``runbook build --docs-only``, then ``zensical build``;
  both parts are timed, and their sum is the builder's time.

Each command runs in its own process (interpreter start-up included), ``--repeat`` times;
the median is printed with the page count of the site. Asserts nothing.
Run: python bench/builders.py [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from runbook.site.mkdocs_build import count_pages

ROOT = Path(__file__).resolve().parent.parent
TECHDOCS_PYTHON = ROOT / ".venv-techdocs" / "bin" / "python"
TECHDOCS_CONFIG = """site_name: runbook on TechDocs
docs_dir: {docs}
plugins:
  - techdocs-core
  - runbook:
      runbook: {runbook}
"""
ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
BIN = Path(sys.executable).parent


def _run(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True, env=ENV)
    return time.perf_counter() - start


def _mkdocs(work: Path) -> tuple[float, Path]:
    site = work / "site"
    seconds = _run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q",
                    "-f", str(ROOT / "mkdocs.yml"), "-d", str(site)])  # fmt: skip
    return seconds, site


def _techdocs(work: Path) -> tuple[float, Path]:
    config = work / "mkdocs.yml"
    config.write_text(
        TECHDOCS_CONFIG.format(docs=ROOT / "docs", runbook=ROOT / "runbook.yaml"), "utf-8"
    )
    site = work / "site"
    seconds = _run([str(TECHDOCS_PYTHON), "-m", "mkdocs", "build", "--strict", "-q",
                    "-f", str(config), "-d", str(site)])  # fmt: skip
    return seconds, site


def _zensical(work: Path) -> tuple[float, Path]:
    export = _run([str(BIN / "runbook"), "build", str(ROOT / "runbook.yaml"),
                   "--docs-only", str(work / "out")])  # fmt: skip
    build = _run([sys.executable, "-m", "zensical", "build", "--strict",
                  "-f", str(work / "out" / "mkdocs.yml")])  # fmt: skip
    print(f"  zensical: export {export:.2f} s + zensical build {build:.2f} s")
    return export + build, work / "out" / "site"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    builders = {"mkdocs": _mkdocs, "techdocs": _techdocs, "zensical": _zensical}
    if not TECHDOCS_PYTHON.is_file():
        print("techdocs: skipped (run tests/test_site_builders.py once to make .venv-techdocs)")
        del builders["techdocs"]
    for name, build in builders.items():
        times, pages = [], 0
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as tmp:
                seconds, site = build(Path(tmp))
                times.append(seconds)
                pages = count_pages(site)
        print(
            f"{name:9} {pages} pages, median {statistics.median(times):.2f} s "
            f"(min {min(times):.2f}, max {max(times):.2f}, {args.repeat} runs)"
        )


if __name__ == "__main__":
    main()
