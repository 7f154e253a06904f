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
    for page in ["index.html", "procedures/deploy-production.html", "steps.html"]:
        assert (built / page).is_file()
    assert (built / "assets/runbook/mermaid.min.js").stat().st_size > 1_000_000
    assert 'src="assets/runbook/mermaid.min.js"' in (built / "index.html").read_text(
        encoding="utf-8"
    )


def test_the_site_works_from_disk(built: Path) -> None:
    """Links name files, not directories, and search has its index as a script."""
    index = (built / "index.html").read_text(encoding="utf-8")
    assert 'href="procedures/deploy-production.html"' in index
    assert 'href="procedures/deploy-production/"' not in index
    assert index.index('src="assets/runbook/file-protocol.js"') < index.index("bundle.")
    script = (built / "search/search_index.js").read_text(encoding="utf-8")
    data = (built / "search/search_index.json").read_text(encoding="utf-8")
    assert script == f"var __index = {data};\n"


def test_former_directory_urls_redirect_with_their_anchor(built: Path) -> None:
    stub = (built / "incidents/emergencies/index.html").read_text(encoding="utf-8")
    assert '<script>location.replace("../emergencies.html" + location.hash)</script>' in stub
    assert 'content="0; url=../emergencies.html"' in stub
    assert not (built / "index/index.html").exists()


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
    for page in ["procedures/deploy-production.html", "steps.html"]:
        html = (tmp_path / "site" / page).read_text(encoding="utf-8")
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<script>alert(1)" not in html
        assert "&lt;img src=x onerror=alert(2)&gt;" in html
        assert "<img src=x" not in html
        assert 'href="javascript:' not in html
        assert 'onmouseover="' not in html
    html = (tmp_path / "site/procedures/deploy-production.html").read_text(encoding="utf-8")
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


def _model_field_names() -> set[str]:
    """Every field name of the model that a reader could mistake for words: ``min_bytes``."""
    from pydantic import BaseModel

    from runbook.model import Runbook

    names: set[str] = set()
    todo: list[type[BaseModel]] = [Runbook]
    seen: set[type[BaseModel]] = set()
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        for name, info in model.model_fields.items():
            if "_" in name:
                names.add(name)
            for inner in re.findall(r"runbook\.model\.\w+\.(\w+)", repr(info.annotation)):
                for module in ("operations", "reference", "procedures", "steps", "environment"):
                    found = getattr(
                        __import__(f"runbook.model.{module}", fromlist=[inner]), inner, None
                    )
                    if isinstance(found, type) and issubclass(found, BaseModel):
                        todo.append(found)
    return names


class _Reader(HTMLParser):
    """The article's words outside code, and its tables' columns, as a reader sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.code = 0
        self.words: list[str] = []
        self.tables: list[list[list[str]]] = []
        self.cell: list[str] | None = None
        self.in_body = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = dict(attrs).get("class") or ""
        if tag == "article" and "md-content__inner" in classes:
            self.depth = 1
        elif self.depth and tag in ("code", "pre"):
            self.code += 1
        elif self.depth and tag == "table":
            self.tables.append([])
        elif self.depth and tag == "tbody":
            self.in_body = True
        elif self.depth and tag == "tr" and self.in_body:
            self.tables[-1].append([])
        elif self.depth and tag == "td" and self.in_body:
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "article":
            self.depth = 0
        elif tag in ("code", "pre") and self.code:
            self.code -= 1
        elif tag == "tbody":
            self.in_body = False
        elif tag == "td" and self.cell is not None:
            self.tables[-1][-1].append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)
        if self.depth and not self.code:
            self.words.append(data)


REFERENCE_PAGES = ("rules/", "reference/", "scripts/", "playbooks/", "print.html")  # they
# document the YAML itself, or list generated files (the print page holds the playbooks)


def test_pages_show_no_field_names_and_no_empty_columns(built: Path) -> None:
    fields = _model_field_names()
    assert {"min_bytes", "point_of_no_return", "escalate_to"} <= fields
    named, empty = [], []
    for page in sorted(built.rglob("*.html")):
        rel = page.relative_to(built).as_posix()
        if rel.startswith(REFERENCE_PAGES) or rel.startswith(("search/", "assets/")):
            continue
        reader = _Reader()
        reader.feed(page.read_text(encoding="utf-8"))
        text = " ".join(reader.words)
        named += [f"{rel}: {f}" for f in fields if re.search(rf"\b{f}\b", text)]
        for t, rows in enumerate(reader.tables):
            for column in range(max((len(r) for r in rows), default=0)):
                if all(not (r[column : column + 1] or [""])[0] for r in rows):
                    empty.append(f"{rel}: table {t + 1}, column {column + 1}")
    assert named == []
    assert empty == []


def test_but_the_reader_finds_them() -> None:
    reader = _Reader()
    reader.feed(
        '<article class="md-content__inner"><p>at least min_bytes large <code>min_bytes</code></p>'
        "<table><thead><tr><th>A</th><th>Proves</th></tr></thead>"
        "<tbody><tr><td>x</td><td> </td></tr><tr><td>y</td><td></td></tr></tbody></table></article>"
    )
    assert " ".join(reader.words).count("min_bytes") == 1  # the one outside code
    assert reader.tables == [[["x", ""], ["y", ""]]]
