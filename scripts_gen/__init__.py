"""The script generator: jinja2 templates -> bash deploy and rollback scripts.

Public interface (used by `runbook build`, the site and the scenarios):

- ``render_scripts(loaded) -> dict[str, str]``: file name in ``scripts/`` -> script text.
- ``script_line_map(loaded) -> dict[str, dict[str, int]]``: procedure id -> step id (or
  ``rollback:<step id>`` for the automatic rollback's) -> the line of the generated script
  where that step's block starts (the site links to it).
- ``runtime_variables(...)``, ``step_variables(...)``, ``remote_prelude(...)`` and
  ``local_prelude(...)``: the environment a step's command runs in, so the scenarios run a
  step exactly as the scripts do.
"""

from __future__ import annotations

from scripts_gen.prelude import local_prelude, remote_prelude
from scripts_gen.render import render_scripts, script_line_map
from scripts_gen.variables import runtime_variables, step_variables

__all__ = [
    "local_prelude",
    "remote_prelude",
    "render_scripts",
    "runtime_variables",
    "script_line_map",
    "step_variables",
]
