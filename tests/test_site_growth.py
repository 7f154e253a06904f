"""The site grows with the runbook, not with its square: a navigation that stays small (every
page carries a copy of it), and no part of a page that pairs every item with every other.

The runbooks here are the example with its procedures repeated under new ids (sharing the
example's steps), as many times as a test needs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from runbook.loader import LoadedRunbook, load
from runbook.site.pages import NAV_PROCEDURES, nav, pages
from runbook.site.workflow import workflow
from scripts_gen import render_scripts
from scripts_gen.contract import RUNTIME_START

ROOT = Path(__file__).resolve().parents[1]


def repeated(tmp_path: Path, copies: int) -> LoadedRunbook:
    """The example with ``copies`` more copies of each of its procedures."""
    data: dict[str, Any] = yaml.safe_load((ROOT / "runbook.yaml").read_text(encoding="utf-8"))
    for copy in range(1, copies + 1):
        for pid, proc in list(data["procedures"].items())[:4]:
            script = f"{pid}-c{copy}.sh" if "script" in proc else None
            data["procedures"][f"{pid}-c{copy}"] = {
                **proc,
                "title": f"{proc['title']} ({copy})",
                **({"script": script} if script else {}),
            }
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "runbook.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return load(path)


def _flat(entries: list[Any]) -> list[str]:
    found = []
    for entry in entries:
        for value in entry.values():
            found += _flat(value) if isinstance(value, list) else [value]
    return found


def test_script_listings_are_pages_but_not_in_the_navigation() -> None:
    site = pages(load(ROOT / "runbook.yaml"))
    listed = _flat(nav(site))
    assert "scripts/deploy-production.sh.md" in site
    assert not any(path.startswith("scripts/") for path in listed)
    assert "procedures/deploy-production.md" in listed  # few procedures: each has its entry
    assert "[source](../scripts/deploy-production.sh.md)" in site["reference/scripts.md"]


def test_the_runtime_scripts_share_is_listed_once(tmp_path: Path) -> None:
    """A copy of a procedure ends in the same runtime as the original: its listing shows its
    own part, line for line, and points at the lines of the listing that holds the runtime."""
    loaded = repeated(tmp_path, 2)
    site = pages(loaded)
    scripts = render_scripts(loaded)
    first, copy = "deploy-production-c1.sh", "deploy-production.sh"  # by name: c1 comes first
    own = scripts[copy].split(RUNTIME_START, 1)[0]
    start = own.count("\n") + 1
    listing, full = site[f"scripts/{copy}.md"], site[f"scripts/{first}.md"]
    assert own.rstrip("\n") in listing and RUNTIME_START not in listing
    assert RUNTIME_START in full and scripts[first].rstrip("\n") in full
    there = scripts[first].split(RUNTIME_START, 1)[0].count("\n") + 1
    assert (
        f"Lines {start} to {scripts[copy].count(chr(10))} of this script are the runtime"
        in " ".join(listing.split())
    )
    assert f"({first}.md#__codelineno-0-{there})" in listing
    assert len(listing) < len(full) / 2


def test_many_procedures_are_listed_per_environment(tmp_path: Path) -> None:
    loaded = repeated(tmp_path, 3)
    assert len(loaded.runbook.procedures) > NAV_PROCEDURES
    site = pages(loaded)
    entries = nav(site)
    procedures = next(e["Procedures"] for e in entries if "Procedures" in e)
    assert procedures == [
        {"Staging: procedures": "environments/staging.md"},
        {"Production: procedures": "environments/production.md"},
        {"Production (fleet): procedures": "environments/production-fleet.md"},
    ]
    staging = site["environments/staging.md"]
    assert staging.count("](../procedures/") == 8  # 2 of the example's 4, 4 times
    assert "[Staging rollback (3)](../procedures/rollback-staging-c3.md)" in staging
    assert "deploy-production" not in staging


@pytest.mark.slow
def test_the_navigation_does_not_grow_with_the_procedures(tmp_path: Path) -> None:
    small = _flat(nav(pages(repeated(tmp_path / "a", 3))))
    large = _flat(nav(pages(repeated(tmp_path / "b", 12))))
    assert small == large


@pytest.mark.slow
def test_the_workflow_diagram_grows_with_the_procedures(tmp_path: Path) -> None:
    lines = [len(workflow(repeated(tmp_path / str(n), n).runbook).splitlines()) for n in (4, 8, 16)]
    assert lines[2] - lines[1] == 2 * (lines[1] - lines[0])  # linear: the same per copy


@pytest.mark.parametrize("copies", [0, 1])
def test_each_deploy_points_at_its_environments_rollbacks(tmp_path: Path, copies: int) -> None:
    diagram = workflow(repeated(tmp_path, copies).runbook)
    if copies == 0:  # one rollback per environment: straight to it
        assert "p1 -. incident .-> p3" in diagram and "incident on" not in diagram
    else:  # two per environment: through one node each (p4, p5: the fleet's own pair)
        assert 'i0(["incident on staging"])' in diagram
        assert "i0 -.-> p2" in diagram and "i0 -.-> p8" in diagram
        assert "p0 -. incident .-> i0" in diagram and "p6 -. incident .-> i0" in diagram
        assert "p4 -. incident .-> p5" in diagram
