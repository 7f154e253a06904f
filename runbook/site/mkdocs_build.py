"""Running mkdocs from Python: the one place where mkdocs' errors become ours.

mkdocs reports problems through its logger and then aborts; the build collects its warnings
and errors and raises a ``RunbookError`` carrying them, so the CLI prints them like any other
problem and nothing reaches the user as a traceback.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from runbook.errors import Problem, RunbookError

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig

    from runbook.loader import LoadedRunbook

os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
#: Set by `runbook serve FILE`: the runbook the plugin renders instead of its configured one.
RUNBOOK_FILE_ENV = "RUNBOOK_FILE"


class _Collect(logging.Handler):
    """Keeps mkdocs' warnings and errors for the error message."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@contextmanager
def _mkdocs_errors(config_file: Path) -> Iterator[_Collect]:
    from mkdocs.exceptions import MkDocsException

    handler = _Collect()
    logger = logging.getLogger("mkdocs")
    logger.addHandler(handler)
    try:
        yield handler
    except (MkDocsException, SystemExit) as exc:
        name = os.path.relpath(config_file)
        name = str(config_file) if name.startswith("..") else name
        lines = _split(handler.lines) or [" ".join(_split([str(exc)])) or type(exc).__name__]
        raise RunbookError(
            [Problem(f"{name}: site build failed: {line}") for line in lines]
        ) from None
    finally:
        logger.removeHandler(handler)


def _split(lines: list[str]) -> list[str]:
    return [part.strip() for line in lines for part in line.splitlines() if part.strip()]


def load_config(
    config_file: Path,
    runbook: Path | None = None,
    site_dir: str | None = None,
    site_url: str | None = None,
    loaded: LoadedRunbook | None = None,
) -> MkDocsConfig:
    """Load ``mkdocs.yml``, pointing its ``runbook`` plugin at ``runbook`` when given, and
    handing it ``loaded`` (that runbook, already loaded) so that it is not loaded twice.

    ``site_url`` is where the site will be served: the theme's instant navigation only
    follows links to pages listed under it in the sitemap.
    """
    from mkdocs.config import load_config as mkdocs_load_config

    if not config_file.is_file():
        raise RunbookError(Problem(f"{config_file}: mkdocs configuration not found"))
    with _mkdocs_errors(config_file):
        overrides = {"site_dir": site_dir} if site_dir else {}
        if site_url:
            overrides["site_url"] = site_url
        config = mkdocs_load_config(str(config_file), **overrides)
    plugin = config.plugins.get("runbook")
    if plugin is None:
        raise RunbookError(
            Problem(
                f"{config_file}: the 'runbook' plugin is not enabled",
                hint="plugins: [search, runbook]",
            )
        )
    if runbook is not None:
        plugin.config.runbook = str(runbook.resolve())
    if loaded is not None:
        plugin.handed_over = loaded
    return config


def build_site(
    config_file: Path,
    site_dir: Path,
    runbook: Path | None = None,
    loaded: LoadedRunbook | None = None,
    site_url: str | None = None,
) -> int:
    """Build the site into ``site_dir``; return how many HTML pages it has.

    ``loaded`` is ``runbook`` already loaded (by ``runbook build``): the plugin renders it
    instead of loading the file again."""
    from mkdocs.commands.build import build

    config = load_config(
        config_file, runbook, site_dir=str(site_dir), site_url=site_url, loaded=loaded
    )
    with _mkdocs_errors(config_file):
        build(config)
    return sum(
        1 for page in site_dir.rglob("*.html") if page.name != "404.html" and not _moved(page)
    )


def _moved(page: Path) -> bool:
    """A redirect from a former directory URL (``a/b/index.html`` beside ``a/b.html``)."""
    return page.name == "index.html" and page.parent.with_suffix(".html").is_file()


def serve(config_file: Path, runbook: Path | None, port: int) -> None:
    """Serve the site on 127.0.0.1 with live reload (YAML included) until interrupted."""
    from mkdocs.commands.serve import serve as mkdocs_serve

    load_config(config_file, runbook)  # fail early, with our message, on a bad config
    _check_port(port)
    if runbook is not None:
        os.environ[RUNBOOK_FILE_ENV] = str(runbook.resolve())
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)-7s -  %(message)s"))
    logger = logging.getLogger("mkdocs")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        with _mkdocs_errors(config_file):
            try:
                mkdocs_serve(str(config_file), dev_addr=f"127.0.0.1:{port}", livereload=True)
            except OSError as exc:
                raise RunbookError(Problem(f"cannot serve on 127.0.0.1:{port}: {exc}")) from None
    finally:
        logger.removeHandler(handler)


def _check_port(port: int) -> None:
    """Refuse a busy port before building anything."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise RunbookError(
                Problem(f"cannot serve on 127.0.0.1:{port}: {exc.strerror}", hint="try --port")
            ) from None
