"""The example's site built three ways, as teams publish it, and each checked the same way.

- **mkdocs**: the repository's own ``mkdocs.yml`` (mkdocs-material, the default builder).
- **techdocs**: Backstage TechDocs' configuration, ``plugins: [techdocs-core, runbook]``.
  ``mkdocs-techdocs-core`` pins its own mkdocs-material (9.7.7) and pymdown-extensions, older
  than the ones this project's venv has, so it is built in a venv of its own (``.venv-techdocs``,
  made on first use from the package index), the way TechDocs builds it, with ``--strict``.
- **zensical**: ``runbook build --builder zensical``: the pages on disk, built by Zensical.

Each site: every page of the runbook present, no link to a missing page or anchor (script
lines included), nothing loaded from another host by its HTML or CSS, and the browser's main
journey (see tests/test_browser_site.py, whose fixtures and helpers this reuses) on the site
served from 127.0.0.1, with no request leaving it. Build times and page counts are printed.
"""

from __future__ import annotations

import hashlib
import html.parser
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from playwright.sync_api import expect
from test_browser_site import ROOT, Visit, browser, serving

from runbook.loader import load
from runbook.site.export import build_with_zensical, zensical_installed
from runbook.site.mkdocs_build import build_site, count_pages
from runbook.site.pages import pages

__all__ = ["browser"]  # the browser fixture, shared with tests/test_browser_site.py

BUILDERS = ("mkdocs", "techdocs", "zensical")
TECHDOCS_VENV = ROOT / ".venv-techdocs"
TECHDOCS_CONFIG = """site_name: runbook on TechDocs
site_url: {site_url}
docs_dir: {docs}
plugins:
  - techdocs-core
  - runbook:
      runbook: {runbook}
"""
#: Elements whose address the browser loads by itself (links it only follows are not here).
LOADS = {"script": "src", "img": "src", "iframe": "src", "source": "src", "video": "src",
         "audio": "src", "embed": "src", "link": "href"}  # fmt: skip
#: ``<link rel=...>`` values that load nothing.
NOT_LOADED = {"canonical", "alternate", "author", "license", "help", "search", "next", "prev"}
CSS_URL = re.compile(r"""url\(\s*['"]?(https?:)?//|@import\s+['"]?(https?:)?//""", re.I)


@dataclass
class Built:
    """One build of the example's site."""

    builder: str
    site: Path
    served: str
    seconds: float
    pages: int


def _techdocs_python() -> Path:
    """The TechDocs venv's Python, made (or remade when pyproject.toml changed) on first use."""
    stamp = TECHDOCS_VENV / f".installed-{_digest()}"
    python = TECHDOCS_VENV / "bin" / "python"
    if not stamp.is_file():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(TECHDOCS_VENV)], check=True)
        pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        subprocess.run([*pip, "-e", f"{ROOT}[techdocs]"], check=True, timeout=600)
        stamp.touch()
    return python


def _digest() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:16]


def _build_techdocs(work: Path, site: Path, served: str) -> int:
    python = TECHDOCS_VENV / "bin" / "python"
    config = work / "mkdocs.yml"
    config.write_text(
        TECHDOCS_CONFIG.format(site_url=served, docs=ROOT / "docs", runbook=ROOT / "runbook.yaml"),
        encoding="utf-8",
    )
    result = subprocess.run(
        [str(python), "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(site)],
        capture_output=True,
        text=True,
        timeout=300,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    return count_pages(site)


def _build(builder: str, work: Path, site: Path, served: str) -> int:
    runbook = ROOT / "runbook.yaml"
    if builder == "mkdocs":
        return build_site(ROOT / "mkdocs.yml", site, runbook, site_url=served)
    if builder == "zensical":
        if not zensical_installed():
            pytest.fail("zensical is not installed: pip install -e '.[test]'")
        return build_with_zensical(ROOT / "mkdocs.yml", site, runbook, site_url=served)
    return _build_techdocs(work, site, served)


@pytest.fixture(scope="module", params=BUILDERS)
def built(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Built]:
    builder = request.param
    work = tmp_path_factory.mktemp(builder)
    site = work / "site"
    if builder == "techdocs":
        _techdocs_python()  # made before the clock starts: not part of the build's time
    with serving(site) as served:
        start = time.perf_counter()
        count = _build(builder, work, site, served)
        seconds = time.perf_counter() - start
        capture = request.config.pluginmanager.get_plugin("capturemanager")
        with capture.global_and_fixture_disabled():  # shown in the CI output
            print(f"\n{builder}: {count} pages built in {seconds:.2f} s", flush=True)
        yield Built(builder, site, served, seconds, count)


@pytest.fixture(scope="module")
def expected() -> set[str]:
    """The HTML page of every page the runbook has."""
    return {path.removesuffix(".md") + ".html" for path in pages(load(ROOT / "runbook.yaml"))}


class _Page(html.parser.HTMLParser):
    """The ids, followed links and loaded addresses of one HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.loads: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        for key in ("id", "name"):
            if key in values:
                self.ids.add(values[key])
        if tag == "a" and "href" in values:
            self.links.append(values["href"])
        rel = set(values.get("rel", "").lower().split())
        loaded = LOADS.get(tag)
        if loaded and values.get(loaded) and not (tag == "link" and rel <= NOT_LOADED and rel):
            self.loads.append(values[loaded])


def _parse(path: Path, cache: dict[Path, _Page]) -> _Page:
    if path not in cache:
        parser = _Page()
        parser.feed(path.read_text(encoding="utf-8"))
        cache[path] = parser
    return cache[path]


def _dangling(site: Path) -> list[str]:
    """Links between pages of the site to a file or an anchor it does not have."""
    cache: dict[Path, _Page] = {}
    problems = []
    for page in sorted(site.rglob("*.html")):
        for href in _parse(page, cache).links:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or href.startswith("//"):
                continue
            base = site if parts.path.startswith("/") else page.parent  # served from the root
            path = unquote(parts.path).lstrip("/")
            target = (base / path).resolve() if parts.path else page
            if target.is_dir():
                target = target / "index.html"
            where = f"{page.relative_to(site)}: {href}"
            if not target.is_file():
                problems.append(f"{where} (no such file)")
            elif (
                parts.fragment
                and target.suffix == ".html"
                and unquote(parts.fragment) not in _parse(target, cache).ids
            ):
                problems.append(f"{where} (no such anchor)")
    return problems


def _off_host(site: Path) -> list[str]:
    """Addresses on other hosts that the site's HTML or CSS makes the browser load."""
    found = []
    cache: dict[Path, _Page] = {}
    for page in site.rglob("*.html"):
        for address in _parse(page, cache).loads:
            if urlsplit(address).netloc:
                found.append(f"{page.relative_to(site)}: {address}")
    for sheet in site.rglob("*.css"):
        found.extend(
            f"{sheet.relative_to(site)}: {m.group(0)}"
            for m in CSS_URL.finditer(sheet.read_text(encoding="utf-8", errors="replace"))
        )
    return found


def test_every_page_is_published(built: Built, expected: set[str]) -> None:
    present = {p.relative_to(built.site).as_posix() for p in built.site.rglob("*.html")}
    assert expected - present == set()
    assert not (built.site / "ops").exists()  # the single file is not a page of the site
    assert built.pages >= len(expected)


def test_no_link_dangles(built: Built) -> None:
    assert _dangling(built.site) == []


def test_nothing_is_loaded_from_another_host(built: Built) -> None:
    assert _off_host(built.site) == []


@pytest.mark.browser
def test_main_journey(built: Built, browser: Any) -> None:
    """From the home page: copy the rollback command, open the rollback procedure, follow a
    link to a line of its script, and see the workflow diagram drawn; nothing off the host."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    visit = Visit(page, built.served, f"{built.builder}-1280")
    page.on("request", lambda r: visit.requests.append(r.url))
    try:
        visit.home()
        card = page.locator(".admonition.incident").first
        block = card.locator("pre", has_text="./scripts/rollback-production.sh").first
        visit.click(block.locator(".md-code__button[data-md-type=copy]"))
        page.locator(".md-dialog--active", has_text="Copied to clipboard").wait_for(timeout=5_000)
        diagram = page.locator("div.mermaid").first  # rendered: the fence became a drawing
        diagram.scroll_into_view_if_needed()
        page.wait_for_function(
            "() => document.querySelector('div.mermaid').getBoundingClientRect().height > 100",
            timeout=15_000,
        )
        visit.click(card.locator("a", has_text="Production rollback").first)
        page.wait_for_url("**/procedures/rollback-production.html")
        expect(page.locator("h1")).to_contain_text("Production rollback")
        script_line = "a[href*='rollback-production.sh.html#__codelineno-']"
        details = page.locator("details", has=page.locator(script_line)).first
        visit.click(details.locator("summary"))  # a step's details: where its script runs it
        line = details.locator(script_line).first
        anchor = line.get_attribute("href").split("#")[1]
        visit.click(line)
        page.wait_for_url(f"**/scripts/rollback-production.sh.html#{anchor}")
        expect(page.locator(f"[id='{anchor}']")).to_have_count(1)
        visit.shot(f"{built.builder}-journey")
        assert visit.offsite() == []
    finally:
        context.close()


def test_the_checks_see_a_missing_anchor_and_an_off_host_script(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_text(
        '<a id="here"></a><a href="b.html#gone">x</a><a href="#here">y</a><a href="c.html">z</a>'
        '<script src="https://cdn.example/x.js"></script><a href="https://elsewhere.example/">o</a>',
        encoding="utf-8",
    )
    (tmp_path / "b.html").write_text('<h1 id="there">b</h1>', encoding="utf-8")
    (tmp_path / "s.css").write_text("@import 'https://fonts.example/f.css';", encoding="utf-8")
    assert _dangling(tmp_path) == [
        "a.html: b.html#gone (no such anchor)",
        "a.html: c.html (no such file)",
    ]
    assert sorted(_off_host(tmp_path)) == [
        "a.html: https://cdn.example/x.js",
        "s.css: @import 'https://",
    ]
