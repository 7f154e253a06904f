"""`runbook build --docs-only DIR` and `--builder zensical`: the site for other builders."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from test_build import example_copy

from runbook.cli import main
from runbook.loader import load
from runbook.site import export
from runbook.site.pages import pages


class _Loader(yaml.SafeLoader):
    """Reads the exported config as the builders do, ``!!python/name`` kept as text."""


_Loader.add_multi_constructor(
    "tag:yaml.org,2002:python/name:", lambda _loader, suffix, _node: suffix
)


def test_docs_only_writes_the_pages_assets_and_a_config(tmp_path: Path) -> None:
    runbook = example_copy(tmp_path)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", str(runbook), "--docs-only", str(out)])
    assert result.exit_code == 0, result.output
    assert "site sources: 51 pages" in result.output
    assert not (tmp_path / "site").exists()  # no site: its sources
    assert (tmp_path / "scripts" / "deploy-production.sh").is_file()  # generated files as ever
    written = {p.relative_to(out / "docs").as_posix() for p in (out / "docs").rglob("*.md")}
    assert written == set(pages(load(runbook)))  # the single file is not among them
    assert (out / "docs/assets/runbook/mermaid.min.js").is_file()
    assert (out / "overrides/main.html").is_file()
    config = yaml.load((out / "mkdocs.yml").read_text(encoding="utf-8"), Loader=_Loader)
    assert config["plugins"] == ["search"]  # no runbook plugin: any builder reads it
    assert config["use_directory_urls"] is False
    assert {"pymdownx.highlight": {"anchor_linenums": True}} in config["markdown_extensions"]
    fences = next(
        e["pymdownx.superfences"] for e in config["markdown_extensions"]
        if isinstance(e, dict) and "pymdownx.superfences" in e
    )  # fmt: skip
    assert fences["custom_fences"][0]["format"] == "pymdownx.superfences.fence_code_format"
    assert "assets/runbook/mermaid.min.js" in config["extra_javascript"]
    assert config["nav"][0] == {"Overview": "index.md"}
    # built as it is by plain mkdocs, strict
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-f", str(out / "mkdocs.yml")],
        capture_output=True,
        text=True,
        timeout=300,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin"},
    )
    assert build.returncode == 0, build.stderr
    assert (out / "site/procedures/rollback-production.html").is_file()
    again = CliRunner().invoke(main, ["build", str(runbook), "--docs-only", str(out)])
    assert again.exit_code == 0, again.output  # its own folder is replaced


@pytest.mark.parametrize(
    "present", ["mkdocs.yml", "docs/index.md", "overrides/main.html"], ids=lambda p: p
)
def test_docs_only_refuses_a_folder_it_did_not_write(tmp_path: Path, present: str) -> None:
    runbook = example_copy(tmp_path)
    out = tmp_path / "project"
    (out / present).parent.mkdir(parents=True, exist_ok=True)
    (out / present).write_text("mine\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["build", str(runbook), "--docs-only", str(out)])
    assert result.exit_code == 2
    assert "not written by runbook" in result.output
    assert (out / present).read_text(encoding="utf-8") == "mine\n"


@pytest.mark.parametrize(
    "extra", [["--no-site"], ["--site-dir", "s"], ["--builder", "zensical"]], ids=lambda a: a[0]
)
def test_docs_only_takes_no_site_option(tmp_path: Path, extra: list[str]) -> None:
    runbook = example_copy(tmp_path)
    args = ["build", str(runbook), "--docs-only", str(tmp_path / "out"), *extra]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert "--docs-only writes no site" in result.output


def test_zensical_builder_without_the_package_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runbook = example_copy(tmp_path)
    monkeypatch.setattr(export, "zensical_installed", lambda: False)
    result = CliRunner().invoke(main, ["build", str(runbook), "--builder", "zensical"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "the zensical builder needs the package zensical"
        " (pip install 'runbook[zensical]', or use --builder mkdocs)"
    ]
    assert not (tmp_path / "site").exists()
    assert not (tmp_path / "scripts").exists()  # all or nothing


def test_zensical_builds_the_site(tmp_path: Path) -> None:
    pytest.importorskip("zensical")
    runbook = example_copy(tmp_path)
    result = CliRunner().invoke(main, ["build", str(runbook), "--builder", "zensical"])
    assert result.exit_code == 0, result.output
    assert "site: 51 pages" in result.output
    assert (tmp_path / "site/procedures/rollback-production.html").is_file()
