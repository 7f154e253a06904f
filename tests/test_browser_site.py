"""The built site in a real browser: navigation, search, copy buttons, diagrams, no network.

Headless Debian Chromium, driven by Playwright for Python, against the site served by a
threaded http.server on 127.0.0.1. Every request the page makes is recorded; none may leave
the machine. The screenshot is kept in test-artifacts/ for the CI output.
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runbook.loader import load
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
SCREENSHOT = ROOT / "test-artifacts" / "site-production.png"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    site = tmp_path_factory.mktemp("browser") / "site"
    loaded = load(ROOT / "runbook.yaml")
    build_site(ROOT / "mkdocs.yml", site, loaded.path)
    handler = functools.partial(_Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
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


def test_on_call_journey(browser: Any, base_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))

    page.goto(base_url)
    assert "items-api deployment runbook" in page.title()
    diagram = page.locator("div.mermaid").first
    diagram.wait_for(state="attached", timeout=15_000)
    page.wait_for_function(
        "() => { const d = document.querySelector('div.mermaid'); return d && d.getBoundingClientRect().height > 0; }",
        timeout=15_000,
    )
    assert diagram.bounding_box()["height"] > 0

    page.locator("nav.md-nav--primary").get_by_role(
        "link", name="Production deployment"
    ).first.click()
    page.wait_for_url("**/procedures/deploy-production.html")
    assert page.locator("h1").inner_text().startswith("Production deployment")
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=False)
    with capsys.disabled():  # shown in the CI output, not only on failure
        print(f"\nscreenshot: {SCREENSHOT.relative_to(ROOT)}")
    assert page.locator(".md-code__button").count() > 10  # a copy button on each command
    command = page.locator("pre", has_text="pg_dump --format=custom").first
    button = command.locator(".md-code__button[data-md-type=copy]")
    assert button.count() == 1
    target = button.get_attribute("data-clipboard-target")
    assert "pg_dump --format=custom" in page.locator(target).inner_text()
    command.scroll_into_view_if_needed()

    page.locator("label.md-search__icon, .md-search__input").first.click()
    page.locator("input.md-search__input").press_sequentially("rollback", delay=50)
    results = page.locator(".md-search-result__item")
    results.first.wait_for(timeout=15_000)
    assert results.count() > 0
    assert "rollback" in page.locator(".md-search-result").inner_text().lower()

    page.goto(base_url + "incidents/rollback-matrix.html")
    table = page.locator("table", has_text="Response time")
    assert [
        table.locator("tbody tr").nth(i).locator("td").first.inner_text() for i in range(4)
    ] == [
        "P0",
        "P1",
        "P2",
        "P3",
    ]

    offsite = [url for url in requests if not url.startswith(base_url)]
    assert offsite == []
    assert any(url.endswith("mermaid.min.js") for url in requests)
    page.close()
