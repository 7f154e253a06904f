"""The script generator: jinja2 templates -> bash deploy and rollback scripts.

Public interface (used by `runbook build`, the site and the scenarios):

- ``render_scripts(loaded) -> dict[str, str]``: file name in ``scripts/`` -> script text.
- ``script_line_map(loaded) -> dict[str, dict[str, int]]``: procedure id -> step id -> the
  line of the generated script where that step runs (the site links to it).
"""

from __future__ import annotations

from runbook.loader import LoadedRunbook


def render_scripts(loaded: LoadedRunbook) -> dict[str, str]:
    """Every procedure's script, by file name (filled in by the script generator)."""
    return {}


def script_line_map(loaded: LoadedRunbook) -> dict[str, dict[str, int]]:
    """Where each step of each procedure runs in its script."""
    return {}
