"""Every page of the runbook site, and the single-file runbook, from one loaded runbook.

:func:`pages` is the one function that returns all site pages, ``{path: markdown}`` in reading
order; the mkdocs plugin adds them to the build and :func:`nav` orders them. The single file
:func:`single_file` renders the same fragments in one document.

Extension point: other parts of the tool add pages without touching this module by providing
a module ``runbook.lint.site`` with a function ``pages(loaded) -> dict[str, str]`` (e.g.
``rules/RB001.md`` pages from ``runbook.lint``). When that module exists its pages are
appended; the navigation groups them under the title in ``SECTION_TITLES`` for their folder
("rules" -> "Lint rules"), or the folder name.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import scripts_gen
from runbook.lint.commands import EXCLUDED
from runbook.loader import LoadedRunbook
from runbook.model import (
    BackupPolicy,
    ProcedureKind,
    Runbook,
    Service,
)
from runbook.model import runtime as runtime_contract
from runbook.scenarios.vocabulary import vocabulary
from runbook.site.comparison import ROWS, comparison
from runbook.site.render import Mode, environment, page_anchor, render
from runbook.site.views import procedure_view, script_blocks, where
from runbook.site.workflow import workflow
from runbook.verification import Verification, read
from scripts_gen import contract

#: Pages with one template each, in reading order (procedures come after the overview).
SECTIONS: tuple[tuple[str, str], ...] = (
    ("steps.md", "steps.md.j2"),
    ("checklists.md", "checklists.md.j2"),
    ("incidents/rollback-matrix.md", "incidents/rollback-matrix.md.j2"),
    ("incidents/emergencies.md", "incidents/emergencies.md.j2"),
    ("incidents/escalation.md", "incidents/escalation.md.j2"),
    ("operations/monitoring.md", "operations/monitoring.md.j2"),
    ("operations/backups.md", "operations/backups.md.j2"),
    ("operations/commands.md", "operations/commands.md.j2"),
    ("operations/maintenance.md", "operations/maintenance.md.j2"),
    ("operations/performance.md", "operations/performance.md.j2"),
    ("operations/deployment-log.md", "operations/deployment-log.md.j2"),
    ("security.md", "security.md.j2"),
    ("reference/scripts.md", "reference/scripts.md.j2"),
    ("reference/runtime.md", "reference/runtime.md.j2"),
    ("reference/verification.md", "reference/verification.md.j2"),
)
SECTION_TITLES = {
    "procedures": "Procedures",
    "incidents": "Incidents",
    "operations": "Operations",
    "reference": "Reference",
    "scripts": "Generated scripts",
    "rules": "Lint rules",
}
EXTENSION_MODULE = "runbook.lint.site"
VERIFICATION_FILE = "verification.json"


def _context(loaded: LoadedRunbook, verification: Verification | None) -> dict[str, Any]:
    rb = loaded.runbook
    columns = comparison(rb)
    scripts = scripts_gen.render_scripts(loaded)
    lines = {  # link to script lines only for scripts that are rendered
        pid: steps
        for pid, steps in scripts_gen.script_line_map(loaded).items()
        if pid in rb.procedures and rb.procedures[pid].script in scripts
    }
    return {
        "rb": rb,
        "columns": columns,
        "table": [(row, [c.cells()[i] for c in columns]) for i, row in enumerate(ROWS)],
        "workflow": workflow(rb),
        "log_template": log_template(rb),
        "contract": contract,
        "runtime": runtime_contract,
        "descriptions": {
            "artifact": Service.model_fields["artifact"].description,
            "suffix": BackupPolicy.model_fields["suffix"].description,
        },
        "example": contract_example(loaded),
        "command_checks": EXCLUDED,
        "scripts": scripts,
        "script_lines": lines,
        "where": where,
        "vocabulary": vocabulary(),
        "derived": _derived(loaded),
        "views": {
            pid: procedure_view(rb, pid, lines.get(pid, {}), verification, loaded.digest)
            for pid in rb.procedures
        },
    }


def _derived(loaded: LoadedRunbook) -> dict[str, list[str]]:
    """Feature file -> the titles of the scenarios `runbook verify` derives from the runbook."""
    if loaded.runbook.target is None:
        return {}
    from runbook.scenarios.derive import features

    return {
        name: re.findall(r"^\s*Scenario(?: Outline)?: (.+)$", text, re.M)
        for name, text in features(loaded).items()
    }


#: The run the runtime contract page shows as its example.
EXAMPLE_RUN = {"version": "v1.2.3", "previous_version": "v1.2.2", "timestamp": "20260117-150000"}


def contract_example(loaded: LoadedRunbook) -> dict[str, Any]:
    """Every runtime variable's value in one run of this runbook, computed as the scripts do.

    The run is a deploy (the first deploy procedure, else the first procedure) of
    ``EXAMPLE_RUN``, so the page shows this runbook's own paths, artifact and backup name.
    """
    procedures = loaded.runbook.procedures
    pid = next((p for p, proc in procedures.items() if proc.kind is ProcedureKind.deploy), None)
    pid = pid or next(iter(procedures))
    values = scripts_gen.runtime_variables(loaded, pid, **EXAMPLE_RUN)
    what = (
        f"a run of `{pid}` for version `{EXAMPLE_RUN['version']}` while "
        f"`{EXAMPLE_RUN['previous_version']}` serves, started at {EXAMPLE_RUN['timestamp']}"
    )
    return {"procedure": pid, "values": values, "what": what}


def log_template(rb: Runbook) -> str:
    """The deployment log as plain text to copy and fill in."""
    if rb.deployment_log is None:
        return ""
    out: list[str] = []
    for section in rb.deployment_log.sections:
        out.append(section.title.upper())
        out.extend(
            f"  {f.name}: {f'[{f.hint}]' if f.hint else ''}".rstrip() for f in section.fields
        )
        out.append("")
    return "\n".join(out)


def _fragments(ctx: dict[str, Any], mode: Mode) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(page path, template, extra context) for every page, in reading order."""
    yield "index.md", "overview.md.j2", {}
    for pid, view in ctx["views"].items():
        yield (
            f"procedures/{pid}.md",
            "procedure.md.j2",
            {
                "pid": pid,
                "view": view,
                "confirmations": next(
                    c.confirmations for c in ctx["columns"] if c.procedure_id == pid
                ),
            },
        )
    for path, template in SECTIONS:
        yield path, template, {}
    if mode == "site":
        by_script = {p.script: pid for pid, p in ctx["rb"].procedures.items() if p.script}
        for name, text in ctx["scripts"].items():
            pid = by_script.get(name)
            blocks = script_blocks(ctx["rb"], pid, ctx["script_lines"].get(pid, {})) if pid else []
            extra = {"name": name, "text": text, "procedure_id": pid, "blocks": blocks}
            yield f"scripts/{name}.md", "script.md.j2", extra


def pages(loaded: LoadedRunbook, verification: Verification | None = None) -> dict[str, str]:
    """All site pages, ``{path relative to docs_dir: markdown}``, in reading order.

    The verification record is read from ``verification.json`` beside the runbook unless given.
    """
    if verification is None:
        verification = read(loaded.path.parent / VERIFICATION_FILE)
    ctx = _context(loaded, verification)
    env = environment()
    out = {
        path: render(env, template, "site", path, **ctx, **extra)
        for path, template, extra in _fragments(ctx, "site")
    }
    out.update(extension_pages(loaded))
    return out


def extension_pages(loaded: LoadedRunbook) -> dict[str, str]:
    """Pages contributed by ``runbook.lint.site.pages(loaded)``, when that module exists."""
    if importlib.util.find_spec(EXTENSION_MODULE.rsplit(".", 1)[0]) is None:
        return {}
    if importlib.util.find_spec(EXTENSION_MODULE) is None:
        return {}
    module = importlib.import_module(EXTENSION_MODULE)
    return dict(module.pages(loaded))


def single_file(loaded: LoadedRunbook, header: str) -> str:
    """The whole runbook as one markdown document, readable on a code host."""
    ctx = _context(loaded, None)
    env = environment()
    parts = [header.rstrip(), ""]
    fragments = list(_fragments(ctx, "single"))
    toc = []
    for path, template, extra in fragments:
        text = render(env, template, "single", path, **ctx, **extra)
        title = page_title(text)
        toc.append(f"- [{title}](#{page_anchor(path)})")
        parts += [f'<a id="{page_anchor(path)}"></a>', "", text]
    parts[2:2] = ["## Contents", "", *toc, ""]
    return "\n".join(parts).rstrip() + "\n"


def page_title(markdown: str) -> str:
    """The text of a page's first heading."""
    for line in markdown.splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip()
            return title.split(" { #")[0].split(' <a id="')[0]
    return "Untitled"


def nav_title(markdown: str) -> str:
    """A page's title as the navigation and the browser tab show it: plain text.

    The theme writes navigation titles as they are (HTML, not markdown) and unescapes them
    inside ``<title>``, so no ``<`` may be left, escaped or not, to become a tag there.
    """
    title = re.sub(r"\\([\\`*_{}\[\]()#+\-.!|])", r"\1", page_title(markdown))
    return title.replace("&lt;", "\u2039").replace("<", "\u2039")


def nav(site_pages: dict[str, str]) -> list[Any]:
    """The mkdocs navigation: top-level pages as entries, folders as titled sections."""
    entries: list[Any] = []
    sections: dict[str, list[dict[str, str]]] = {}
    for path, text in site_pages.items():
        entry = {("Overview" if path == "index.md" else nav_title(text)): path}
        folder = Path(path).parts[0] if "/" in path else None
        if folder is None:
            entries.append(entry)
            continue
        if folder not in sections:
            sections[folder] = []
            entries.append(
                {
                    SECTION_TITLES.get(folder, folder.replace("-", " ").capitalize()): sections[
                        folder
                    ]
                }
            )
        sections[folder].append(entry)
    return entries
