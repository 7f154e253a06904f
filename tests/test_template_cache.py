"""Compiled templates kept between runs are never run by an environment configured otherwise.

jinja2 finds a compiled template by its path and text; the environment's options are compiled
into it too (``finalize`` above all). Two versions of the tool on one machine share jinja2's
folder, so the entries are named after the file that configures the environment.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import DictLoader, Environment

from runbook.cache import template_cache


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # jinja2's folder lives under the temp dir
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    return tmp_path


def _render(configured_in: Path, **options: object) -> str:
    env = Environment(
        loader=DictLoader({"t.j2": "{{ value }}"}),
        bytecode_cache=template_cache(str(configured_in)),
        **options,  # type: ignore[arg-type]
    )
    return env.get_template("t.j2").render(value="x")


def test_an_environment_configured_otherwise_compiles_again(
    tmp_path: Path, cache_dir: Path
) -> None:
    old, new = tmp_path / "old.py", tmp_path / "new.py"
    old.write_text("# an environment without finalize\n")
    new.write_text("# an environment with finalize\n")
    assert _render(new, finalize=lambda v: f"[{v}]") == "[x]"
    assert _render(old) == "x"  # compiled code that calls finalize would fail here
    assert _render(new, finalize=lambda v: f"[{v}]") == "[x]"
    assert len(list(cache_dir.rglob("__runbook_*.cache"))) == 2


def test_the_same_configuration_shares_its_entries(tmp_path: Path, cache_dir: Path) -> None:
    module = tmp_path / "env.py"
    module.write_text("# one environment\n")
    assert _render(module) == _render(module) == "x"
    assert len(list(cache_dir.rglob("__runbook_*.cache"))) == 1
