"""The built site as an on-call engineer uses it at 3 a.m., in a real browser, on any screen.

Headless Debian Chromium, driven by Playwright for Python, at 1280 and 390 px wide, against
the site served by a threaded http.server on 127.0.0.1 and opened straight from disk
(``file://``). Each task starts on the home page and counts the clicks it takes; every request
the page makes is recorded, and none may leave the machine. Screenshots are kept in
test-artifacts/ (git-ignored) and their paths printed for the CI output.
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from runbook.site.mkdocs_build import build_site

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = ROOT / "test-artifacts"
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
#: The first search result an incident query must give: page and section.
RANKINGS = {
    "roll back production": "procedures/rollback-production.html",
    "database down": "incidents/emergencies.html#emergency-database-connection-lost",
    "who to call": "incidents/escalation.html",
    "error rate": "incidents/emergencies.html#emergency-high-error-rate",
}
#: Clicks each task may take from the home page (the issue's budget).
BUDGET = {"copy the rollback command": 2, "reach the P0 night contact": 2}


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The example's site, built once: its served address and its address on disk."""
    site = tmp_path_factory.mktemp("browser") / "site"
    handler = functools.partial(_Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    served = f"http://127.0.0.1:{server.server_address[1]}/"
    # served where it is built for: the theme's instant navigation follows the sitemap's links
    build_site(ROOT / "mkdocs.yml", site, ROOT / "runbook.yaml", site_url=served)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"served": served, "disk": site.as_uri() + "/"}
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install the Debian package chromium (./dev test does)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


@dataclass
class Visit:
    """One browser tab on the site: counts clicks, records requests, keeps screenshots."""

    page: Any
    base: str
    name: str
    clicks: int = 0
    requests: list[str] = field(default_factory=list)

    def click(self, locator: Any) -> None:
        self.clicks += 1
        locator.click()

    def home(self) -> None:
        self.clicks = 0
        self.page.goto(self.base + "index.html")

    def shot(self, task: str) -> Path:
        path = ARTIFACTS / f"oncall-{self.name}-{task}.png"
        path.parent.mkdir(exist_ok=True)
        self.page.screenshot(path=str(path), full_page=False)
        return path

    def offsite(self) -> list[str]:
        local = ("about:", "data:", "blob:")
        return [u for u in self.requests if not u.startswith((self.base, *local))]

    def nav(self, name: str) -> None:
        """Follow a link of the navigation, opening the drawer first on a small screen."""
        link = self.page.locator("nav.md-nav--primary").get_by_role("link", name=name).first
        box = link.bounding_box()
        if not box or box["x"] < 0 or box["x"] >= self.page.viewport_size["width"]:
            self.click(self.page.locator("label.md-header__button[for=__drawer]"))
            self.page.wait_for_timeout(400)  # the drawer slides in
        self.click(link)

    def in_view(self, locator: Any) -> bool:
        box = locator.bounding_box()
        size = self.page.viewport_size
        return bool(box) and box["y"] >= 0 and box["y"] + box["height"] <= size["height"]


@pytest.fixture(
    params=[(m, w) for m in ("served", "disk") for w in WIDTHS], ids=lambda p: "-".join(p)
)
def visit(request: pytest.FixtureRequest, browser: Any, sites: dict[str, str]) -> Iterator[Visit]:
    mode, width = request.param
    w, h = WIDTHS[width]
    context = browser.new_context(viewport={"width": w, "height": h}, has_touch=width == "phone")
    page = context.new_page()
    visit = Visit(page, sites[mode], f"{mode}-{w}")
    page.on("request", lambda r: visit.requests.append(r.url))
    visit.home()
    yield visit
    assert visit.offsite() == []  # nothing off 127.0.0.1, nothing off the site's folder
    context.close()


def _target(href: str) -> str:
    """A result's link without the theme's highlight query: page and anchor."""
    page, _, anchor = href.partition("#")
    return page.split("?")[0] + (f"#{anchor}" if anchor else "")


def _report(capsys: pytest.CaptureFixture[str], line: str) -> None:
    with capsys.disabled():  # shown in the CI output, not only on failure
        print(f"\n{line}")


def test_rollback_command_is_copied_from_the_home_page(
    visit: Visit, capsys: pytest.CaptureFixture[str]
) -> None:
    page = visit.page
    card = page.locator(".admonition.incident").first
    assert visit.in_view(card.locator("h2"))
    block = card.locator("pre", has_text="./scripts/rollback-production.sh").first
    target = block.locator(".md-code__button[data-md-type=copy]")
    assert page.locator(target.get_attribute("data-clipboard-target")).inner_text().strip() == (
        "./scripts/rollback-production.sh"
    )
    visit.click(target)
    page.locator(".md-dialog--active", has_text="Copied to clipboard").wait_for(timeout=5_000)
    assert visit.clicks <= BUDGET["copy the rollback command"]
    assert card.locator("pre", has_text="--no-db-restore").count() == 1
    shot = visit.shot("rollback-command")
    _report(capsys, f"copy the rollback command: {visit.clicks} click(s); screenshot: {shot}")


def test_p0_night_contact_is_a_tel_link_within_two_clicks(
    visit: Visit, capsys: pytest.CaptureFixture[str]
) -> None:
    page = visit.page
    on_card = page.locator(".admonition.incident a[href^='tel:']").first
    assert on_card.get_attribute("href") == "tel:+15550199"
    visit.click(page.locator(".admonition.incident a", has_text="who to call for each severity"))
    page.wait_for_url("**/incidents/escalation.html#who-to-call")
    p0 = page.locator("h3#call-p0 + p + ol > li, h3#call-p0 + ol > li").first
    night = p0.locator("li", has_text="Nights and weekends").locator("a[href^='tel:']").first
    assert night.get_attribute("href") == "tel:+15550199"
    night.scroll_into_view_if_needed()
    assert visit.in_view(night)
    clicks = visit.clicks + 1  # the tap on the tel: link itself, which dials
    assert clicks <= BUDGET["reach the P0 night contact"]
    shot = visit.shot("p0-contact")
    _report(capsys, f"P0 night contact: {clicks} click(s) (1 from the card); screenshot: {shot}")


@pytest.mark.parametrize("query", list(RANKINGS))
def test_search_ranks_what_an_incident_needs_first(
    visit: Visit, query: str, capsys: pytest.CaptureFixture[str]
) -> None:
    page = visit.page
    opener = page.locator("label.md-header__button[for=__search]")  # the phone's search button
    visit.click(opener if opener.is_visible() else page.locator("input.md-search__input"))
    field_ = page.locator("input.md-search__input")
    field_.press_sequentially(query, delay=40)
    first = page.locator(".md-search-result__item").first
    first.wait_for(timeout=15_000)
    page.wait_for_timeout(300)  # the last keystroke's results
    links = first.locator("a.md-search-result__link")
    # the first result: its page, then its best section
    found = [_target(links.nth(i).get_attribute("href")) for i in range(min(2, links.count()))]
    path = RANKINGS[query]
    assert visit.base + path in (found if "#" in path else found[:1]), found
    if query == "error rate":
        items = page.locator(".md-search-result__item")
        count = min(6, items.count())
        tops = [
            _target(items.nth(i).locator("a").first.get_attribute("href")) for i in range(count)
        ]
        assert visit.base + "operations/monitoring.html" in tops  # the thresholds, in the top 6
    _report(capsys, f"search {query!r}: first result {path}, {visit.clicks} click + typing")


def test_a_ticked_checklist_item_survives_a_reload(visit: Visit) -> None:
    page = visit.page
    visit.nav("Checklists")
    page.wait_for_url("**/checklists.html")
    item = page.locator("li.task-list-item", has_text="Code review approved")
    box = item.locator("input[type=checkbox]")
    assert box.is_enabled() and not box.is_checked()
    visit.click(item)  # the item's text: a thumb's target, not only the small box
    assert box.is_checked()
    tools = item.locator("xpath=ancestor::ul[1]/following-sibling::div[1]")
    assert tools.locator("output").inner_text() == "1 of 6 done"
    page.reload()
    item = page.locator("li.task-list-item", has_text="Code review approved")
    assert item.locator("input[type=checkbox]").is_checked()
    visit.shot("checklist")
    tools = item.locator("xpath=ancestor::ul[1]/following-sibling::div[1]")
    tools.get_by_role("button", name="Reset").click()
    page.reload()
    assert (
        not page.locator("li.task-list-item", has_text="Code review approved")
        .locator("input[type=checkbox]")
        .is_checked()
    )


def test_navigation_dark_mode_tables_and_diagrams(visit: Visit) -> None:
    page = visit.page
    page.evaluate("window.__sameDocument = true")
    visit.click(page.locator(".admonition.incident a", has_text="Production rollback"))
    page.wait_for_url("**/procedures/rollback-production.html")
    # instant navigation changes the address first and swaps the content after: wait for it
    expect(page.locator("h1")).to_contain_text("Production rollback")
    assert page.locator("h1").inner_text().startswith("Production rollback")
    instant = page.evaluate("window.__sameDocument === true")
    assert instant == visit.base.startswith("http")  # instant when served; from disk, a file
    assert page.locator(".md-code__button").count() > 10  # the page's components run
    page.locator("form[data-md-component=palette] label:visible").first.click()
    assert page.locator("body").get_attribute("data-md-color-scheme") == "slate"
    visit.shot("rollback-page-dark")
    visit.home()
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    host = page.locator("table code", has_text="app.example.internal").first
    assert host.evaluate("c => c.getClientRects().length") == 1  # one piece: not broken
    diagram = page.locator("div.mermaid").first
    diagram.wait_for(timeout=15_000)
    diagram.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    sizes = diagram.evaluate("d => [d.clientWidth, d.scrollWidth, d.style.zoom]")
    if page.viewport_size["width"] < 600:
        assert sizes[1] > sizes[0] and sizes[2] == ""  # natural size, scrolls sideways
    else:
        assert float(sizes[2] or 1) <= 1 and diagram.bounding_box()["height"] > 100
    visit.shot("diagram")


def test_the_whole_runbook_prints(visit: Visit) -> None:
    page = visit.page
    link = page.locator(".admonition.incident a", has_text="print version")
    visit.click(link)
    page.wait_for_url("**/print.html")
    page.emulate_media(media="print")
    assert not page.locator(".md-header").is_visible()
    assert not page.locator(".md-sidebar--primary").is_visible()
    details = page.locator("details").first
    assert details.locator("table, ul").first.is_visible()  # folds print open
    assert page.locator(".rb-page-break").count() >= 10
    pdf = page.pdf() if visit.base.startswith("http") else b"%PDF"
    assert pdf.startswith(b"%PDF")
