"""The `build` and `serve` commands (listed in runbook/cli.py). Thin: load, call, report."""

from __future__ import annotations

import os
from pathlib import Path

import click

from runbook.arguments import file_argument
from runbook.console import ok, say
from runbook.site import BUILDERS

CONFIG_HELP = "mkdocs configuration (default: mkdocs.yml beside FILE)."


def _config(file: Path, config: Path | None) -> Path:
    return config if config is not None else file.resolve().parent / "mkdocs.yml"


@click.command()
@file_argument
@click.option(
    "--site-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to build the site (default: site/ beside FILE).",
)
@click.option("--no-site", is_flag=True, help="Write the generated files only; skip the site.")
@click.option(
    "--docs-only",
    "docs_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Instead of the site, write its markdown pages and a matching mkdocs.yml into this "
    "folder, for any markdown site builder.",
)
@click.option(
    "--builder",
    type=click.Choice(BUILDERS),
    default="mkdocs",
    show_default=True,
    help="Site builder: mkdocs (mkdocs-material) or zensical (needs the package zensical).",
)
@click.option(
    "--config", "config", type=click.Path(dir_okay=False, path_type=Path), help=CONFIG_HELP
)
def build(
    file: Path,
    site_dir: Path | None,
    no_site: bool,
    docs_dir: Path | None,
    builder: str,
    config: Path | None,
) -> None:
    """Render the site, single-file runbook, scripts, playbooks, monitoring files and schema
    from FILE.

    FILE defaults to runbook.yaml. An invalid runbook, or a site that fails to build,
    changes nothing: the previous site and files stay as they were.
    """
    from runbook.build import build as run_build
    from runbook.loader import load

    if docs_dir is not None and (no_site or site_dir is not None or builder != "mkdocs"):
        raise click.UsageError(
            "--docs-only writes no site: it takes no --site-dir, --no-site or --builder"
        )
    loaded = load(file)
    root = loaded.path.parent
    target = None if no_site or docs_dir is not None else (site_dir or root / "site")
    result = run_build(loaded, target, _config(file, config), builder, docs_dir)
    for path in result.written:
        ok(f"wrote {os.path.relpath(path)}")
    if result.unchanged:
        say(f"{len(result.unchanged)} generated file(s) already up to date")
    if result.site_dir is not None:
        index = os.path.relpath(result.site_dir / "index.html")
        where = os.path.relpath(result.site_dir)
        ok(f"site: {result.pages} pages in {where}/ ({result.seconds:.1f} s)")
        say(f"open {index}  (or `runbook serve {file}` for live reload)")
    elif result.docs_dir is not None:
        where = os.path.relpath(result.docs_dir)
        ok(f"site sources: {result.pages} pages in {where}/docs/, config {where}/mkdocs.yml")
        say(f"build them with `mkdocs build -f {where}/mkdocs.yml` or `zensical build -f ...`")
    else:
        say(f"done in {result.seconds:.1f} s")


@click.command()
@file_argument
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--config", "config", type=click.Path(dir_okay=False, path_type=Path), help=CONFIG_HELP
)
def serve(file: Path, port: int, config: Path | None) -> None:
    """Serve the site of FILE on http://127.0.0.1:PORT/, rebuilding when the YAML changes."""
    from runbook.loader import load
    from runbook.site.mkdocs_build import serve as run_serve

    loaded = load(file)
    run_serve(_config(file, config), loaded.path, port)
