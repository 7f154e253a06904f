"""The mkdocs plugin ``runbook``: pages rendered from the runbook, in any mkdocs build.

``on_config`` loads the runbook (an invalid one stops the build with the same located lines
as ``runbook validate``), watches its YAML files for ``mkdocs serve``, sets the navigation when
``mkdocs.yml`` has none, adds the markdown extensions the pages use when they are missing,
and the local copy of mermaid, so a site needs nothing but ``plugins: [search, runbook]``. It
runs after the other plugins' ``on_config``: under ``plugins: [techdocs-core, runbook]``
(Backstage TechDocs) it sets the options its pages need over those techdocs-core chose, turns
the theme's web fonts off and leaves the single-file runbook out of the site.
``on_files`` adds every page of :func:`runbook.site.pages.pages` as a generated file.

The site must work wherever it is opened, at 3 a.m. on any machine: served, or straight from
disk (``file://``). So the plugin turns directory URLs off (a link to ``procedures/x/`` opens a
directory listing from disk), writes the search index as a script too (``fetch`` is refused on
``file://``; the theme loads ``search/search_index.js`` there instead), and, through its own
``main.html`` over the theme's, loads ``assets/runbook/file-protocol.js`` before the theme's
bundle: on ``file://`` it drops instant navigation (which there would stop every page
component) and stands in for the search worker. The theme's own ``offline`` plugin loads its
worker shim from a CDN, so it is not used.
"""

from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path, PurePosixPath
from typing import Any

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from runbook.build import RUNBOOK_MD
from runbook.errors import RunbookError
from runbook.history.runs import HISTORY_FILE
from runbook.loader import LoadedRunbook, load
from runbook.site.pages import VERIFICATION_FILE, nav, pages

os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")

#: Ids mkdocs' anchor check cannot see: code line anchors written inside stashed code blocks,
#: and the templates' own ``<a id="...">`` anchors (table rows, the single page), also stashed.
_LINE_ANCHOR = re.compile(r'id="(__codelineno-[0-9]+-[0-9]+)"|<a id="([a-z0-9_-]+)"></a>')
ASSETS = Path(__file__).parent / "assets"
MERMAID = "assets/runbook/mermaid.min.js"
FILE_PROTOCOL = "assets/runbook/file-protocol.js"
#: Templates over mkdocs-material's: ``main.html`` loads ``FILE_PROTOCOL`` before the bundle.
THEME = Path(__file__).parent / "theme"
#: The site's own stylesheet and script (incident cards, checklists, print, small screens).
STYLESHEET = "assets/runbook/runbook.css"
SCRIPT = "assets/runbook/runbook.js"
#: Theme features the pages rely on: copy buttons on commands, instant navigation when served.
FEATURES = ("content.code.copy", "navigation.instant")
#: Markdown extensions the pages rely on, with the settings they need.
EXTENSIONS: dict[str, dict[str, Any]] = {
    "admonition": {},
    "attr_list": {},
    "tables": {},
    "toc": {"permalink": True},
    "pymdownx.details": {},
    "pymdownx.highlight": {"anchor_linenums": True},
    "pymdownx.tasklist": {"custom_checkbox": True},
    "pymdownx.superfences": {},
}
SUPERFENCES = "pymdownx.superfences"
#: Ours, after the others: superfences in linear time on long pages (see its docstring). It
#: only speeds up the build, so an exported configuration leaves it out.
LINEAR_FENCES = "runbook.site.fences"


def _mermaid_fence() -> dict[str, Any]:
    from pymdownx.superfences import fence_code_format

    return {"name": "mermaid", "class": "mermaid", "format": fence_code_format}


class RunbookPluginConfig(base.Config):  # type: ignore[no-untyped-call]
    """Options of the ``runbook`` plugin in ``mkdocs.yml``."""

    #: The runbook file, relative to ``mkdocs.yml``.
    runbook = c.Type(str, default="runbook.yaml")
    #: Whether the theme may load its web fonts from Google Fonts. Off by default, whatever the
    #: theme says (TechDocs' configuration leaves them on): the runbook must open complete on a
    #: machine cut off from the internet, and nothing it loads may leave the site's host.
    fonts = c.Type(bool, default=False)


class RunbookPlugin(BasePlugin[RunbookPluginConfig]):  # type: ignore[no-untyped-call]
    """Adds the runbook's pages to the site."""

    def __init__(self) -> None:
        self.loaded: LoadedRunbook | None = None
        self.pages: dict[str, str] = {}
        self.page_uris: list[str] = []
        #: The runbook as ``runbook build`` already loaded it: used instead of loading the
        #: file again when it is the configured one (``mkdocs serve`` always loads).
        self.handed_over: LoadedRunbook | None = None

    def runbook_path(self, config: MkDocsConfig) -> Path:
        """The runbook file: absolute, or relative to the directory of ``mkdocs.yml``.

        ``$RUNBOOK_FILE`` overrides it (set by ``runbook serve FILE``, which cannot reach the
        plugin's options when mkdocs reloads the configuration on each change).
        """
        override = os.environ.get("RUNBOOK_FILE")
        if override:
            return Path(override)
        base_dir = Path(config.config_file_path or ".").resolve().parent
        return base_dir / self.config.runbook

    @event_priority(-50)  # after plugins that set extensions of their own (techdocs-core)
    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        """Load the runbook, watch it, and set up what its pages need."""
        path = self.runbook_path(config)
        try:
            self.loaded = self._handed_over(path) or load(path)
        except RunbookError as exc:
            raise PluginError("\n".join(exc.lines())) from None
        config.watch.extend(str(f) for f in self.loaded.files)
        for collected in (VERIFICATION_FILE, HISTORY_FILE):
            if (path.parent / collected).is_file():
                config.watch.append(str(path.parent / collected))
        self.pages = pages(self.loaded)
        if not config.nav:
            config.nav = nav(self.pages)
        _add_extensions(config)
        _add_assets(config)
        config.use_directory_urls = False
        if not self.config.fonts:
            config.theme["font"] = False
        features = config.theme.setdefault("features", [])
        features.extend(f for f in FEATURES if f not in features)
        return config

    def _handed_over(self, path: Path) -> LoadedRunbook | None:
        handed = self.handed_over
        return handed if handed is not None and handed.path == path.resolve() else None

    def on_files(self, files: Files, config: MkDocsConfig) -> Files:
        """Add the generated pages and the mermaid asset; leave the single file out.

        The single-file runbook is written into the docs folder for code hosts, with links
        into the repository (``../../scripts/x.sh#L42``) that no site has; the site publishes
        the same content as ``print.html``, so the file is never a page of the site, whatever
        the host configuration excludes.
        """
        if self.loaded is not None:
            single = (self.loaded.path.parent / RUNBOOK_MD).resolve()
            for file in list(files):
                if file.abs_src_path and Path(file.abs_src_path).resolve() == single:
                    files.remove(file)
        for path, markdown in self.pages.items():
            existing = files.get_file_from_path(path)
            if existing is not None:
                files.remove(existing)
            files.append(File.generated(config, path, content=markdown))
        self.page_uris = [f.dest_uri for f in files.documentation_pages()]
        for asset in (MERMAID, FILE_PROTOCOL, STYLESHEET, SCRIPT):
            source = ASSETS / Path(asset).name
            files.append(File.generated(config, asset, abs_src_path=str(source)))
        return files

    def on_page_content(self, html: str, page: Page, **_: Any) -> str:
        """Register the line anchors of code blocks, which mkdocs' anchor check cannot see.

        Procedure pages link to lines of the generated scripts (``#__codelineno-0-42``); the
        highlighter writes those ids inside stashed code blocks, so without this mkdocs would
        report every such link as pointing at a missing anchor.
        """
        if page.present_anchor_ids is not None and page.file.src_uri in self.pages:
            page.present_anchor_ids.update(
                line or anchor for line, anchor in _LINE_ANCHOR.findall(html)
            )
        return html

    @event_priority(-100)  # after the search plugin has written search_index.json
    def on_post_build(self, *, config: MkDocsConfig) -> None:
        """Write the search index as a script too, for the theme's search over ``file://``,
        and a redirect from each page's former directory URL."""
        site = Path(config.site_dir)
        index = site / "search" / "search_index.json"
        if index.is_file():
            data = index.read_text(encoding="utf-8")
            index.with_suffix(".js").write_text(f"var __index = {data};\n", encoding="utf-8")
        for uri in self.page_uris:
            _redirect_from_directory(site, uri)


_REDIRECT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Moved to {name}</title>
<meta http-equiv="refresh" content="0; url={href}">
<script>location.replace({target} + location.hash)</script></head>
<body><p>This page is now <a href="{href}">{name}</a>.</p></body></html>
"""


def _redirect_from_directory(site: Path, uri: str) -> None:
    """``a/b/index.html`` sends the browser on to ``a/b.html``, the anchor kept.

    Pages were once published under directory URLs (``procedures/x/``); links and bookmarks to
    them, and alerts whose ``runbook_url`` was written that way, keep working.
    """
    page = PurePosixPath(uri)
    if page.name == "index.html" or page.suffix != ".html":
        return
    stub = site / page.parent / page.stem / "index.html"
    if stub.exists():
        return
    href = f"../{page.name}"
    stub.parent.mkdir(parents=True, exist_ok=True)
    stub.write_text(
        _REDIRECT.format(
            name=html.escape(page.name),
            href=html.escape(href),
            target=json.dumps(href).replace("<", "\\u003c"),
        ),
        encoding="utf-8",
    )


def _add_assets(config: MkDocsConfig) -> None:
    """The local mermaid, the site's stylesheet and script, and what a page opened from disk
    needs before the theme's bundle runs (loaded by the plugin's ``main.html``)."""
    for script in (MERMAID, SCRIPT):
        if script not in [str(js) for js in config.extra_javascript]:
            config.extra_javascript.append(script)
    if STYLESHEET not in config.extra_css:
        config.extra_css.append(STYLESHEET)
    dirs = config.theme.dirs
    if str(THEME) not in dirs:  # over the theme's own templates, under a project's custom_dir
        custom = config.theme.custom_dir
        dirs.insert(1 if custom and dirs and dirs[0] == custom else 0, str(THEME))


def _add_extensions(config: MkDocsConfig) -> None:
    """Add the markdown extensions the pages need, and the options they rely on.

    A host configuration (TechDocs' ``techdocs-core`` among others) may already load an
    extension with other options: the options in ``EXTENSIONS`` are set over them, the others
    are kept. When ``pymdownx.extra`` is loaded it brings superfences itself, configured under
    its own key; loading superfences a second time beside it would run it twice.
    """
    mdx = config.mdx_configs
    extra = "pymdownx.extra" in config.markdown_extensions
    for name, options in EXTENSIONS.items():
        if name == SUPERFENCES and extra and name not in config.markdown_extensions:
            mdx.setdefault("pymdownx.extra", {}).setdefault(name, {}).update(options)
            continue
        if name not in config.markdown_extensions:
            config.markdown_extensions.append(name)
        mdx.setdefault(name, {}).update(options)
    if LINEAR_FENCES not in config.markdown_extensions:
        config.markdown_extensions.append(LINEAR_FENCES)
    superfences = mdx[SUPERFENCES] if SUPERFENCES in mdx else mdx["pymdownx.extra"][SUPERFENCES]
    fences = superfences.setdefault("custom_fences", [])
    if not any(f.get("name") == "mermaid" for f in fences):
        fences.append(_mermaid_fence())
