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
import scripts_gen.variables
from runbook.alerts.routing import routes
from runbook.alerts.rules import alerts
from runbook.fleet import render_playbooks
from runbook.history.page import site_context
from runbook.lint.commands import EXCLUDED
from runbook.loader import LoadedRunbook
from runbook.model import (
    BackupPolicy,
    ProcedureKind,
    Runbook,
    Service,
)
from runbook.model import runtime as runtime_contract
from runbook.scenarios.vocabulary import Phrase, vocabulary
from runbook.site import incident
from runbook.site.comparison import ROWS, comparison
from runbook.site.contacts import channel_href, first_call, who_to_call
from runbook.site.fleet import fleet_view, procedure_places
from runbook.site.render import Mode, environment, md_text, page_anchor, render
from runbook.site.views import procedure_view, script_blocks, script_listings, where
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
    ("operations/alerts.md", "operations/alerts.md.j2"),
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
    "fleets": "Fleets",
    "playbooks": "Generated playbooks",
    "rules": "Lint rules",
}
#: The whole runbook on one page of the site, to print: the single file's fragments.
PRINT_PAGE = "print.md"
#: How strongly search favours a page (mkdocs-material's ``search.boost`` front matter), by
#: path or folder: what an incident needs ranks above reference material and lint rules.
#: Search leaves out the pages that repeat others (``SEARCH_EXCLUDE``).
SEARCH_BOOST: dict[str, float] = {
    "incidents": 4,
    "operations/monitoring.md": 4,  # the thresholds, which lead to the emergencies
    "procedures": 3,
    "index.md": 3,
    "operations": 2,
    "reference": 0.5,
    "rules": 0.2,
}
#: Pages (by path or folder) search leaves out: the print page repeats every page; a script or
#: playbook listing repeats its procedure's commands, which its procedure's page holds and
#: search finds there, and indexing a thousand lines per listing made a third of a build.
SEARCH_EXCLUDE = (PRINT_PAGE, "scripts", "playbooks")
#: Folders whose pages the navigation leaves out: one listing per generated script or
#: playbook, each linked from its procedure's page and from "Running the scripts" (or "Running
#: the playbooks"). Every page carries the whole navigation, so an entry per item made the site grow with the square of the items.
OFF_NAV = ("scripts", "playbooks")
#: The most procedures the navigation lists one by one; past it, it lists one page per
#: environment (``environments/<id>.md``) that lists that environment's procedures.
NAV_PROCEDURES = 12
EXTENSION_MODULE = "runbook.lint.site"
HISTORY_PAGE = "operations/history.md"
VERIFICATION_FILE = "verification.json"


def _context(loaded: LoadedRunbook, verification: Verification | None) -> dict[str, Any]:
    rb = loaded.runbook
    ctx = _shared(loaded)
    lines = {  # link to script lines only for scripts that are rendered
        pid: steps
        for pid, steps in scripts_gen.script_line_map(loaded).items()
        if pid in rb.procedures and rb.procedures[pid].script in ctx["scripts"]
    }
    views = {
        pid: procedure_view(
            rb,
            pid,
            lines.get(pid, {}),
            verification,
            loaded.digest,
            scripts_gen.variables.config_variables(loaded, pid),
        )
        for pid in rb.procedures
    }
    return {**ctx, "views": views, "script_lines": lines}


def _shared(loaded: LoadedRunbook) -> dict[str, Any]:
    """The context of every page but the procedure views, computed once per loaded runbook:
    the site and the single file of one build share it."""
    return loaded.once("site_context", lambda: _shared_context(loaded))


def _shared_context(loaded: LoadedRunbook) -> dict[str, Any]:
    rb = loaded.runbook
    columns = comparison(rb)
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
        "scripts": scripts_gen.render_scripts(loaded),
        "playbooks": render_playbooks(loaded),
        "where": where,
        "vocabulary": _vocabulary(loaded),
        "derived": _derived(loaded),
        "href": channel_href,
        "calls": who_to_call(rb),
        "call": first_call(rb),
        "home_card": incident.home_card(rb),
        "cards": {pid: incident.card(rb, pid) for pid in rb.procedures},
        "recoveries": {pid: incident.recovery(loaded, pid) for pid in rb.procedures},
        "measured": {},  # the site's procedure pages show the history's medians (pages())
        "alert_rules": alerts(rb),
        "alert_routes": routes(rb),
    }


def _vocabulary(loaded: LoadedRunbook) -> list[Phrase]:
    """The scenario step phrases, kept in ``.runbook/cache/`` for one version of the tool:
    reading them imports the step modules and pytest-bdd, a fifth of a build's time."""
    from dataclasses import asdict

    from runbook.cache import CACHE_DIR, ResultCache, tool_fingerprint

    cache = ResultCache(loaded.path.parent / CACHE_DIR, "vocabulary")
    key = tool_fingerprint()
    found = cache.get(key)
    if not isinstance(found, list):
        found = [asdict(phrase) for phrase in vocabulary()]
        cache.put(key, found)
    cache.save()
    return [Phrase(**phrase) for phrase in found]


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
    rb = ctx["rb"]
    if mode == "site" and len(rb.procedures) > NAV_PROCEDURES:
        by_env: dict[str, list[str]] = {env_id: [] for env_id in rb.environments}
        for pid, procedure in rb.procedures.items():
            by_env[procedure.environment].append(pid)
        for env_id, env in rb.environments.items():
            extra = {"env_id": env_id, "environment": env, "procedure_ids": by_env[env_id]}
            yield f"environments/{env_id}.md", "environment.md.j2", extra
    confirmations = {c.procedure_id: c.confirmations for c in ctx["columns"]}
    for pid, view in ctx["views"].items():
        extra = {
            "pid": pid,
            "view": view,
            "confirmations": confirmations[pid],
            "card": ctx["cards"][pid],
            "recovery": ctx["recoveries"][pid],
            "places": procedure_places(rb, pid) if rb.procedures[pid].playbook else [],
        }
        yield f"procedures/{pid}.md", "procedure.md.j2", extra
    for eid, env in rb.environments.items():
        if env.is_fleet:
            yield f"fleets/{eid}.md", "fleet/environment.md.j2", {"fleet": fleet_view(rb, eid)}
    for path, template in SECTIONS:
        yield path, template, {}
        if path == "reference/scripts.md" and ctx["playbooks"]:
            yield "reference/playbooks.md", "reference/playbooks.md.j2", {}
    if mode == "site":  # collected data, not the runbook's: the single file leaves it out
        yield HISTORY_PAGE, "operations/history.md.j2", {}
    if mode == "site":
        by_script = {p.script: pid for pid, p in ctx["rb"].procedures.items() if p.script}
        listings = script_listings(ctx["scripts"])
        for name in ctx["scripts"]:
            pid = by_script.get(name)
            blocks = script_blocks(ctx["rb"], pid, ctx["script_lines"].get(pid, {})) if pid else []
            listing = listings[name]
            extra = {"name": name, "procedure_id": pid, "blocks": blocks, "listing": listing}
            yield f"scripts/{name}.md", "script.md.j2", extra
        by_playbook = {p.playbook: pid for pid, p in rb.procedures.items() if p.playbook}
        for rel, text in ctx["playbooks"].items():
            name = rel.rsplit("/", 1)[-1]
            extra = {"name": name, "text": text, "procedure_id": by_playbook.get(name)}
            yield f"playbooks/{name}.md", "fleet/playbook.md.j2", extra


def pages(loaded: LoadedRunbook, verification: Verification | None = None) -> dict[str, str]:
    """All site pages, ``{path relative to docs_dir: markdown}``, in reading order.

    The verification record is read from ``verification.json`` beside the runbook unless given.
    """
    if verification is None:
        verification = read(loaded.path.parent / VERIFICATION_FILE)
    ctx = _context(loaded, verification)
    ctx.update(site_context(loaded.runbook, loaded.path.parent))
    env = environment()
    out = {
        path: render(env, template, "site", path, **ctx, **extra)
        for path, template, extra in _fragments(ctx, "site")
    }
    out.update(extension_pages(loaded))
    out[PRINT_PAGE] = print_page(loaded, ctx, env)
    return {path: front_matter(path) + text for path, text in out.items()}


def front_matter(path: str) -> str:
    """The page's search settings, as YAML front matter mkdocs reads and strips."""
    if path in SEARCH_EXCLUDE or Path(path).parts[0] in SEARCH_EXCLUDE:
        return "---\nsearch:\n  exclude: true\n---\n\n"
    boost = SEARCH_BOOST.get(path, SEARCH_BOOST.get(Path(path).parts[0], 1))
    return "" if boost == 1 else f"---\nsearch:\n  boost: {boost:g}\n---\n\n"


def print_page(loaded: LoadedRunbook, ctx: dict[str, Any], env: Any) -> str:
    """Every fragment of the single file on one page of the site, in the site's syntax (its
    links lead to the other pages), with a page break before each section when printed."""
    name = md_text(loaded.runbook.service.name, quote=False)
    parts = [
        f"# {name}: the whole runbook",
        "",
        "Every page of the runbook, in order, on one page: print it (the navigation, search and "
        "copy buttons stay off paper, and every folded detail is printed open).",
        "",
    ]
    for index, (_path, template, extra) in enumerate(_fragments(ctx, "single")):
        if index:
            parts += ['<div class="rb-page-break"></div>', ""]
        parts.append(render(env, template, "site", PRINT_PAGE, depth=1, **ctx, **extra))
    return "\n".join(parts).rstrip() + "\n"


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
    """The mkdocs navigation: top-level pages as entries, folders as titled sections.

    It stays small however many procedures there are: the script listings are left out
    (``OFF_NAV``), and so are the procedures when there are environment pages to list them.
    """
    entries: list[Any] = []
    sections: dict[str, list[dict[str, str]]] = {}
    by_environment = any(path.startswith("environments/") for path in site_pages)
    for path, text in site_pages.items():
        entry = {("Overview" if path == "index.md" else nav_title(text)): path}
        folder = Path(path).parts[0] if "/" in path else None
        if folder in OFF_NAV or (folder == "procedures" and by_environment):
            continue
        if folder == "environments":
            folder = "procedures"
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
