"""The mkdocs plugin ``runbook``: pages rendered from the runbook, in any mkdocs build.

``on_config`` loads the runbook (an invalid one stops the build with the same located lines
as ``runbook validate``), watches its YAML files for ``mkdocs serve``, sets the navigation when
``mkdocs.yml`` has none, adds the markdown extensions the pages use when they are missing,
and the local copy of mermaid, so a site needs nothing but ``plugins: [search, runbook]``.
``on_files`` adds every page of :func:`runbook.site.pages.pages` as a generated file.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from runbook.errors import RunbookError
from runbook.loader import LoadedRunbook, load
from runbook.site.pages import VERIFICATION_FILE, nav, pages

os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")

_LINE_ANCHOR = re.compile(r'id="(__codelineno-[0-9]+-[0-9]+)"')
ASSETS = Path(__file__).parent / "assets"
MERMAID = "assets/runbook/mermaid.min.js"
#: Markdown extensions the pages rely on, with the settings they need.
EXTENSIONS: dict[str, dict[str, Any]] = {
    "admonition": {},
    "attr_list": {},
    "tables": {},
    "toc": {"permalink": True},
    "pymdownx.highlight": {"anchor_linenums": True},
    "pymdownx.tasklist": {"custom_checkbox": True},
    "pymdownx.superfences": {},
}


def _mermaid_fence() -> dict[str, Any]:
    from pymdownx.superfences import fence_code_format

    return {"name": "mermaid", "class": "mermaid", "format": fence_code_format}


class RunbookPluginConfig(base.Config):  # type: ignore[no-untyped-call]
    """Options of the ``runbook`` plugin in ``mkdocs.yml``."""

    #: The runbook file, relative to ``mkdocs.yml``.
    runbook = c.Type(str, default="runbook.yaml")


class RunbookPlugin(BasePlugin[RunbookPluginConfig]):  # type: ignore[no-untyped-call]
    """Adds the runbook's pages to the site."""

    def __init__(self) -> None:
        self.loaded: LoadedRunbook | None = None
        self.pages: dict[str, str] = {}
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

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        """Load the runbook, watch it, and set up what its pages need."""
        path = self.runbook_path(config)
        try:
            self.loaded = self._handed_over(path) or load(path)
        except RunbookError as exc:
            raise PluginError("\n".join(exc.lines())) from None
        config.watch.extend(str(f) for f in self.loaded.files)
        verification = path.parent / VERIFICATION_FILE
        if verification.is_file():
            config.watch.append(str(verification))
        self.pages = pages(self.loaded)
        if not config.nav:
            config.nav = nav(self.pages)
        _add_extensions(config)
        if MERMAID not in [str(js) for js in config.extra_javascript]:
            config.extra_javascript.append(MERMAID)
        return config

    def _handed_over(self, path: Path) -> LoadedRunbook | None:
        handed = self.handed_over
        return handed if handed is not None and handed.path == path.resolve() else None

    def on_files(self, files: Files, config: MkDocsConfig) -> Files:
        """Add the generated pages and the mermaid asset."""
        for path, markdown in self.pages.items():
            existing = files.get_file_from_path(path)
            if existing is not None:
                files.remove(existing)
            files.append(File.generated(config, path, content=markdown))
        files.append(File.generated(config, MERMAID, abs_src_path=str(ASSETS / "mermaid.min.js")))
        return files

    def on_page_content(self, html: str, page: Page, **_: Any) -> str:
        """Register the line anchors of code blocks, which mkdocs' anchor check cannot see.

        Procedure pages link to lines of the generated scripts (``#__codelineno-0-42``); the
        highlighter writes those ids inside stashed code blocks, so without this mkdocs would
        report every such link as pointing at a missing anchor.
        """
        if page.present_anchor_ids is not None and page.file.src_uri in self.pages:
            page.present_anchor_ids.update(_LINE_ANCHOR.findall(html))
        return html


def _add_extensions(config: MkDocsConfig) -> None:
    """Add missing markdown extensions; a mermaid fence to superfences when it has none."""
    for name, options in EXTENSIONS.items():
        if name not in config.markdown_extensions:
            config.markdown_extensions.append(name)
            config.mdx_configs[name] = dict(options)
    fences = config.mdx_configs.setdefault("pymdownx.superfences", {}).setdefault(
        "custom_fences", []
    )
    if not any(f.get("name") == "mermaid" for f in fences):
        fences.append(_mermaid_fence())
