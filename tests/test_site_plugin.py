"""The plugin alone is enough: a bare mkdocs.yml gets every page, extension and asset."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from runbook.loader import load
from runbook.model import OnFailure
from runbook.site.views import failure, procedure_view
from runbook.site.workflow import workflow

ROOT = Path(__file__).resolve().parents[1]
BARE = """site_name: bare
theme:
  name: material
  font: false
plugins:
  - search
  - runbook
"""


@pytest.mark.slow
def test_bare_mkdocs_yml_builds_the_whole_site(tmp_path: Path) -> None:
    shutil.copy(ROOT / "runbook.yaml", tmp_path / "runbook.yaml")
    (tmp_path / "mkdocs.yml").write_text(BARE, encoding="utf-8")
    (tmp_path / "docs").mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(tmp_path / "mkdocs.yml")],
        capture_output=True,
        text=True,
        timeout=120,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    site = tmp_path / "site"
    html = (site / "procedures/deploy-production.html").read_text(encoding="utf-8")
    assert 'class="admonition warning"' in html
    assert 'type="checkbox"' in (site / "checklists.html").read_text(encoding="utf-8")
    index = (site / "index.html").read_text(encoding="utf-8")
    assert (
        '<pre class="mermaid"><code>%%{init: {"flowchart": {"useMaxWidth": false}}}%%\nflowchart LR'
        in index
    )
    for asset in ("mermaid.min.js", "file-protocol.js", "runbook.js", "runbook.css"):
        assert (site / "assets/runbook" / asset).is_file()
    assert (site / "search/search_index.js").is_file()
    assert 'href="assets/runbook/runbook.css"' in index
    assert '"navigation.instant"' in index and '"content.code.copy"' in index
    assert "Production deployment" in index  # nav set by the plugin


def test_workflow_diagram_follows_the_procedures() -> None:
    runbook = load(ROOT / "runbook.yaml").runbook
    diagram = workflow(runbook)
    assert diagram.splitlines()[:2] == [
        '%%{init: {"flowchart": {"useMaxWidth": false}}}%%',
        "flowchart LR",
    ]
    assert diagram.count("subgraph ") == len(runbook.procedures)
    stages = sum(len(p.stages) for p in runbook.procedures.values())
    assert len(re.findall(r'^    p\d+s\d+\["', diagram, re.M)) == stages
    assert diagram.count("(point of no return)") == sum(
        1 for p in runbook.procedures.values() if p.point_of_no_return
    )
    assert "p0 -- promote --> p1" in diagram
    assert "p1 -. incident .-> p3" in diagram


@pytest.mark.parametrize(
    ("step_id", "after", "rollback_steps", "expected"),
    [
        ("prune", True, True, "Warns and goes on"),
        ("health-check", True, True, "Triggers the automatic rollback"),
        ("health-check", True, False, "no automatic rollback"),
        ("check-branch", False, True, "Stops the procedure; nothing after it runs."),
        ("check-branch", True, True, "Triggers the automatic rollback"),
        ("confirm-deploy", False, True, "Any answer but `yes`"),
    ],
)
def test_failure_wording(step_id: str, after: bool, rollback_steps: bool, expected: str) -> None:
    runbook = load(ROOT / "runbook.yaml").runbook
    proc = runbook.procedures["deploy-production"]
    if not rollback_steps:
        proc = proc.model_copy(update={"rollback_steps": []})
    assert expected in failure(runbook.steps[step_id], after, proc)
    assert runbook.steps["prune"].on_failure is OnFailure.continue_


def test_steps_after_the_point_of_no_return_roll_back() -> None:
    runbook = load(ROOT / "runbook.yaml").runbook
    view = procedure_view(runbook, "deploy-production", {}, None, "")
    steps = [s for stage in view.stages for s in stage.steps]
    point = next(i for i, s in enumerate(steps) if s.is_point)
    assert steps[point].step_id == "switch-release"
    assert not any(s.after_point for s in steps[: point + 1])
    assert all(s.after_point for s in steps[point + 1 :])
    assert [s.number for s in steps] == list(range(1, len(steps) + 1))
