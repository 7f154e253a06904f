"""`runbook init`: scaffold a new team's runbook project that validates, checks and builds.

The scaffold is a small but complete runbook (one service, staging and production, deploy
and rollback procedures, checklists, severities, contacts, escalation), the mkdocs site that
publishes it, starter scenarios that run offline, a pre-commit hook and a CI workflow. The
templates live in ``templates/`` beside this module; ``FILES`` maps each output path to its
template (templates have flat names so they ship as package data, dot-directories included).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from runbook import __version__
from runbook.errors import Problem, RunbookError

TEMPLATES = Path(__file__).parent / "templates"

#: Output path in the new project -> template in ``templates/``.
FILES: dict[str, str] = {
    "runbook.yaml": "runbook.yaml.j2",
    "mkdocs.yml": "mkdocs.yml.j2",
    "specs/runbook.feature": "runbook.feature.j2",
    "steps/test_runbook.py": "test_runbook.py.j2",
    "pytest.ini": "pytest.ini.j2",
    ".pre-commit-config.yaml": "pre-commit-config.yaml.j2",
    ".github/workflows/runbook.yml": "github-workflow.yml.j2",
}
#: The procedures of the scaffolded runbook, for the starter scenario's examples table.
PROCEDURES = ("deploy-staging", "deploy-production", "rollback-staging", "rollback-production")
DEFAULT_NAME = "my-service"


@dataclass
class Scaffold:
    """What ``init`` wrote, for the command to report."""

    root: Path
    written: list[str] = field(default_factory=list)


def service_name(directory: Path) -> str:
    """A service name from the directory name: lower-case letters, digits and dashes."""
    name = re.sub(r"[^a-z0-9]+", "-", directory.resolve().name.lower()).strip("-")
    return name or DEFAULT_NAME


def render_files(name: str) -> dict[str, str]:
    """Every file of the scaffold, ``{relative path: text}``."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    context = {"name": name, "version": __version__, "procedures": PROCEDURES}
    return {path: env.get_template(template).render(context) for path, template in FILES.items()}


def scaffold(directory: Path, *, name: str | None = None, force: bool = False) -> Scaffold:
    """Write the scaffold into ``directory``; refuse to overwrite a file unless ``force``."""
    if directory.exists() and not directory.is_dir():
        raise RunbookError(Problem(f"{directory} exists and is not a directory"))
    files = render_files(name or service_name(directory))
    existing = [rel for rel in files if (directory / rel).exists()]
    if existing and not force:
        raise RunbookError(
            Problem(
                f"refusing to overwrite {', '.join(existing)} in {directory}",
                hint="use --force to replace them",
            )
        )
    result = Scaffold(directory)
    try:
        for rel, text in files.items():
            target = directory / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            result.written.append(rel)
        (directory / "docs").mkdir(exist_ok=True)
    except OSError as exc:
        raise RunbookError(Problem(f"cannot write into {directory}: {exc.strerror}")) from None
    return result
