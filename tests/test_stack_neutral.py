"""The installed package knows no stack: the example is one user of the tool among others.

Its names live in the example's own folder and runbook; the package (and what `runbook init`
scaffolds) must not assume them. The lint rules' catalogue of tools (`runbook/lint/facts.py`)
recognises many stacks' commands by name, which is knowledge, not an assumption, and is the
one file left out.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("runbook", "scripts_gen")
CATALOGUE = {ROOT / "runbook" / "lint" / "facts.py"}
EXAMPLE_STACK = re.compile(
    r"items-api|gunicorn|supervisor|postgres|psql|pg_dump|pg_restore|/srv/app|example\.internal",
    re.I,
)


def _package_files() -> list[Path]:
    return sorted(
        p
        for package in PACKAGES
        for p in (ROOT / package).rglob("*")
        if p.is_file()
        and "__pycache__" not in p.parts
        and p not in CATALOGUE
        and p.suffix not in {".pyc"}
        and p.name != "mermaid.min.js"
    )


@pytest.mark.parametrize("path", _package_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_file_of_the_package_names_the_example_stack(path: Path) -> None:
    text = path.read_text(encoding="utf-8", errors="replace")
    found = sorted({m.group(0) for m in EXAMPLE_STACK.finditer(text)})
    assert not found, f"{path.relative_to(ROOT)} names {found}"
