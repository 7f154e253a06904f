"""The built site: mkdocs --strict, escaping in real HTML, offline by construction."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # `./dev quick` leaves these out; CI runs them

ROOT = Path(__file__).resolve().parents[1]
ASSET_LINK_RELS = {
    "stylesheet",
    "preload",
    "modulepreload",
    "icon",
    "manifest",
    "prefetch",
    "preconnect",
}
LOCAL = re.compile(r"^https?://(127\.0\.0\.1|localhost)(:\d+)?(/|$)")
CSS_URL = re.compile(r"""(?:url\(\s*['"]?|@import\s+['"])(https?://[^'")\s]+)""")
JS_IMPORT = re.compile(
    r"""(?:\bimport\s*\(?\s*|\bfrom\s+|importScripts\(\s*)['"](https?://[^'"]+)"""
)


def example_copy(tmp: Path, replace: dict[str, str] | None = None) -> Path:
    """The example runbook and mkdocs.yml in a fresh directory, optionally edited."""
    text = (ROOT / "runbook.yaml").read_text(encoding="utf-8")
    for old, new in (replace or {}).items():
        assert old in text
        text = text.replace(old, new)
    (tmp / "runbook.yaml").write_text(text, encoding="utf-8")
    shutil.copy(ROOT / "mkdocs.yml", tmp / "mkdocs.yml")
    (tmp / "docs").mkdir(exist_ok=True)
    return tmp / "runbook.yaml"


def mkdocs(config: Path, site: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(site)],
        capture_output=True,
        text=True,
        timeout=120,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin"},
    )


class _Assets(HTMLParser):
    """Collects the URLs a browser fetches on its own: scripts, stylesheets, images, frames."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag in {"script", "img", "iframe", "source", "audio", "video", "embed", "track"}:
            self.urls += [a[k] for k in ("src",) if k in a]
            self.urls += [u.split()[0] for u in a.get("srcset", "").split(",") if u.strip()]
        if tag == "link" and set(a.get("rel", "").split()) & ASSET_LINK_RELS:
            self.urls.append(a.get("href", ""))
        if tag == "object":
            self.urls.append(a.get("data", ""))
        self.urls += CSS_URL.findall(a.get("style", ""))

    def handle_data(self, data: str) -> None:
        self.urls += CSS_URL.findall(data) if "url(" in data or "@import" in data else []


def external_assets(site: Path) -> list[str]:
    """Every asset URL in the built site that points off the machine."""
    found: list[str] = []
    for path in site.rglob("*"):
        if path.suffix == ".html":
            parser = _Assets()
            parser.feed(path.read_text(encoding="utf-8"))
            urls = parser.urls
        elif path.suffix == ".css":
            urls = CSS_URL.findall(path.read_text(encoding="utf-8"))
        elif path.suffix == ".js":
            urls = JS_IMPORT.findall(path.read_text(encoding="utf-8", errors="replace"))
        else:
            continue
        rel = path.relative_to(site)
        found += [
            f"{rel}: {u}" for u in urls if re.match(r"^(https?:)?//", u) and not LOCAL.match(u)
        ]
    return found


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's own site, built by plain `mkdocs build --strict`."""
    site = tmp_path_factory.mktemp("site")
    result = mkdocs(ROOT / "mkdocs.yml", site)
    assert result.returncode == 0, result.stderr
    return site


def test_repo_mkdocs_yml_builds_strict(built: Path) -> None:
    for page in ["index.html", "procedures/deploy-production/index.html", "steps/index.html"]:
        assert (built / page).is_file()
    assert (built / "assets/runbook/mermaid.min.js").stat().st_size > 1_000_000
    assert 'src="assets/runbook/mermaid.min.js"' in (built / "index.html").read_text(
        encoding="utf-8"
    )


def test_built_site_has_no_external_assets(built: Path) -> None:
    assert external_assets(built) == []


def test_but_the_scan_finds_one(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text(
        '<a href="https://example.com/docs">docs</a>'
        '<script src="https://cdn.example.net/m.js"></script>'
        '<link rel="stylesheet" href="//fonts.example.org/f.css">'
        '<link rel="canonical" href="https://example.com/">'
        '<img src="http://127.0.0.1:8000/x.png"><div style="background: url(https://x.test/a.png)"></div>',
        encoding="utf-8",
    )
    (tmp_path / "a.css").write_text('@import "https://fonts.test/x.css";', encoding="utf-8")
    (tmp_path / "a.js").write_text(
        'import x from "https://cdn.test/x.js"; const ns = "http://www.w3.org/2000/svg";'
    )
    assert sorted(external_assets(tmp_path)) == [
        "a.css: https://fonts.test/x.css",
        "a.js: https://cdn.test/x.js",
        "index.html: //fonts.example.org/f.css",
        "index.html: https://cdn.example.net/m.js",
        "index.html: https://x.test/a.png",
    ]


def test_yaml_text_is_escaped_in_the_html(tmp_path: Path) -> None:
    source = example_copy(
        tmp_path,
        {
            "title: Verify the deployment branch": "title: <script>alert(1)</script>",
            "why: Only reviewed code deploys.": (
                "why: <img src=x onerror=alert(2)> ![i](https://cdn.test/i.png)"
                " [x](javascript:alert(3)) **Only**{onmouseover=alert(4)} reviewed code deploys."
            ),
            "      - title: Build\n": "      - title: 'Build {: onclick=alert(5) }'\n",
            "    title: Staging deployment\n": (
                '    title: "Staging </title><script>alert(6)</script> `<b>y</b>`"\n'
            ),
        },
    )
    result = mkdocs(source.parent / "mkdocs.yml", tmp_path / "site")
    assert result.returncode == 0, result.stderr
    for page in ["procedures/deploy-production/index.html", "steps/index.html"]:
        html = (tmp_path / "site" / page).read_text(encoding="utf-8")
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<script>alert(1)" not in html
        assert "&lt;img src=x onerror=alert(2)&gt;" in html
        assert "<img src=x" not in html
        assert 'href="javascript:' not in html
        assert 'onmouseover="' not in html
    html = (tmp_path / "site/procedures/deploy-production/index.html").read_text(encoding="utf-8")
    assert "Build {: onclick=alert(5) }" in html
    assert 'onclick="' not in html
    for page in (tmp_path / "site").rglob("*.html"):  # navigation and browser tab titles too
        html = page.read_text(encoding="utf-8")
        assert "<script>alert(6)" not in html and "<b>y</b>" not in html, page
    assert external_assets(tmp_path / "site") == []


def test_invalid_runbook_stops_mkdocs_with_located_lines(tmp_path: Path) -> None:
    source = example_copy(
        tmp_path,
        {
            "steps: [check-branch, check-clean, check-tag": "steps: [check-brnch, check-clean, check-tag"
        },
    )
    result = mkdocs(source.parent / "mkdocs.yml", tmp_path / "site")
    assert result.returncode != 0
    assert re.search(
        r"runbook\.yaml:\d+:\d+: procedures\.deploy-production\.stages\[0\]\.steps\[0\]: unknown step 'check-brnch'",
        result.stderr,
    ), result.stderr
    assert not (tmp_path / "site" / "index.html").exists()
