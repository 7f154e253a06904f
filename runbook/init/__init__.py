"""`runbook init`: scaffold a new team's runbook project that verifies out of the box.

The scaffold is a small but complete runbook (staging and production, deploy and rollback
procedures, checklists, severities, contacts, escalation) with its own staging target: a
static site that Debian's nginx serves straight from the release `current` points at, whose
health endpoint names the running version, and a data directory backed up with tar. Beside
it: the mkdocs site that publishes the runbook, one scenario and one step definition of the
team's own, a `.gitignore`, a pre-commit hook and a CI workflow that checks and verifies.

The templates live in ``templates/`` beside this module; ``FILES`` maps each output path to
its template (templates have flat names so they ship as package data, dot-directories
included). Nothing in them names a stack other than the scaffold's own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from runbook import __version__
from runbook.errors import Problem, RunbookError

TEMPLATES = Path(__file__).parent / "templates"

#: Output path in the new project -> template in ``templates/``.
FILES: dict[str, str] = {
    "runbook.yaml": "runbook.yaml.j2",
    "mkdocs.yml": "mkdocs.yml.j2",
    ".gitignore": "gitignore.j2",
    "service/public/index.html": "index.html.j2",
    "service/.gitignore": "service-gitignore.j2",
    "target/nginx.conf": "nginx.conf.j2",
    "target/sudoers": "sudoers.j2",
    "specs/service.feature": "service.feature.j2",
    "steps/service.py": "steps.py.j2",
    ".pre-commit-config.yaml": "pre-commit-config.yaml.j2",
    ".github/workflows/runbook.yml": "github-workflow.yml.j2",
}
DEFAULT_NAME = "my-service"
#: The SSH user of both environments, who owns the deploy path on the target.
DEPLOY_USER = "deploy"


@dataclass
class Scaffold:
    """What ``init`` wrote, for the command to report."""

    root: Path
    written: list[str] = field(default_factory=list)


def slug(text: str) -> str:
    """Lower-case letters, digits and single dashes: fit for a host label, a path, a file name."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def service_name(directory: Path) -> str:
    """A service name from the directory name: lower-case letters, digits and dashes."""
    return slug(directory.resolve().name) or DEFAULT_NAME


def context(name: str) -> dict[str, str]:
    """What the templates are rendered with: the name and what is derived from it."""
    label = slug(name)[:40].strip("-") or DEFAULT_NAME
    return {
        "name": name,
        "slug": label,
        "staging_host": f"staging.{label}.internal",
        "production_host": f"{label}.internal",
        "deploy_path": f"/opt/{label}",
        "user": DEPLOY_USER,
        "version": __version__,
    }


def render_files(name: str) -> dict[str, str]:
    """Every file of the scaffold, ``{relative path: text}``."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined  # not for `--help`

    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    values = context(name)
    return {path: env.get_template(template).render(values) for path, template in FILES.items()}


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
