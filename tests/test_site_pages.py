"""Every section of the runbook has its page, rendered from the model."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

import scripts_gen
from runbook.loader import LoadedRunbook, load
from runbook.site import pages as site_pages
from runbook.site.pages import nav, page_title, pages
from scripts_gen import contract

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "runbook.yaml"


@pytest.fixture(scope="module")
def loaded() -> LoadedRunbook:
    return load(EXAMPLE)


@pytest.fixture(scope="module")
def site(loaded: LoadedRunbook) -> dict[str, str]:
    return pages(loaded)


@pytest.mark.parametrize(
    ("path", "phrase"),
    [
        ("index.md", "Script comparison"),
        ("index.md", "```mermaid"),
        ("procedures/deploy-staging.md", "Staging deployment"),
        ("procedures/deploy-production.md", "Production deployment"),
        ("procedures/rollback-staging.md", "Staging rollback"),
        ("procedures/rollback-production.md", "Production rollback"),
        ("steps.md", "Step library"),
        ("checklists.md", "Pre-deployment checklist (production)"),
        ("incidents/rollback-matrix.md", "Rollback decision matrix"),
        ("incidents/emergencies.md", "Database down or connection lost"),
        ("incidents/escalation.md", "Database admin"),
        ("operations/monitoring.md", "Error rate (5xx)"),
        ("operations/backups.md", "14 days"),
        ("operations/commands.md", "pg_isready"),
        ("operations/maintenance.md", "Quarterly maintenance"),
        ("operations/performance.md", "Production deployment time"),
        ("operations/deployment-log.md", "Rollback performed"),
        ("security.md", "Security checklist"),
        ("reference/scripts.md", "Exit codes"),
        ("reference/runtime.md", "revisions.log"),
    ],
)
def test_every_section_has_a_page(site: dict[str, str], path: str, phrase: str) -> None:
    assert phrase in site[path]


def test_overview_table_is_the_computed_one(site: dict[str, str]) -> None:
    rows = {
        line.split("|")[1].strip(): line
        for line in site["index.md"].splitlines()
        if line.startswith("| ")
    }
    # The seed's four procedures, then the fleet's deploy and rollback.
    assert [c.strip() for c in rows["Confirmations"].split("|")[2:-1]] == [
        "0", "2", "0", "3", "2", "1"
    ]  # fmt: skip
    assert [c.strip() for c in rows["Endpoint testing"].split("|")[2:-1]] == [
        "1", "7", "No", "3", "4", "2"
    ]  # fmt: skip


@pytest.mark.parametrize(
    "pid", ["deploy-staging", "deploy-production", "rollback-staging", "rollback-production"]
)
def test_procedure_page_shows_every_step(
    loaded: LoadedRunbook, site: dict[str, str], pid: str
) -> None:
    page = site[f"procedures/{pid}.md"]
    for step_id, step in loaded.runbook.procedure_steps(pid):
        assert f"{step.title} {{ #{pid}-{step_id} }}" in page
        assert f"(../steps.md#step-{step_id})" in page  # link to the library
        if step.command:
            assert step.command.rstrip() in page
        if step.confirm:
            assert f"> {step.confirm}" in page
    assert "Point of no return" in page
    assert page.count("**Last verified:**") == 1  # once per page, not once per step


def test_production_page_has_warnings_confirmations_rollback_and_tasks(
    site: dict[str, str],
) -> None:
    page = site["procedures/deploy-production.md"]
    # three dangerous steps, of which two only ask: the warning stands where something runs
    assert page.count('!!! warning "Dangerous step"') == 1
    assert "> Are you sure you want to deploy $VERSION to PRODUCTION?" in page
    assert "## Automatic rollback" in page
    assert (
        "[Point current back at the previous release](../steps.md#step-restore-previous-release)"
        in page
    )
    assert "- [ ] Fill in the deployment log." in page
    assert page.count("| `/") == 7  # the seven endpoints
    assert "- **On failure:** Triggers the automatic rollback" in page


def test_step_library_links_both_ways(loaded: LoadedRunbook, site: dict[str, str]) -> None:
    library = site["steps.md"]
    for step_id in loaded.runbook.steps:
        assert f"{{ #step-{step_id} }}" in library
        for pid in loaded.runbook.procedures_using(step_id):
            assert f"procedures/{pid}.md" in library
    assert "(procedures/deploy-production.md#deploy-production-security-scan)" in library


def test_checklists_are_task_lists(loaded: LoadedRunbook, site: dict[str, str]) -> None:
    shown = "\n".join(
        site[p] for p in ("checklists.md", "security.md", "operations/maintenance.md")
    )
    total = sum(len(c.items) for c in loaded.runbook.checklists.values())
    assert shown.count("\n- [ ] ") == total


def test_rollback_matrix_has_p0_to_p3(site: dict[str, str]) -> None:
    rows = re.findall(r"^\| \*\*(P[0-3])\*\* \|", site["incidents/rollback-matrix.md"], re.M)
    assert rows == ["P0", "P1", "P2", "P3"]


def test_running_the_scripts_documents_the_contract(site: dict[str, str]) -> None:
    page = site["reference/scripts.md"]
    for text in [*contract.OPTIONS, *contract.ENVIRONMENT]:
        assert f"`{text}`" in page
    for code in contract.EXIT_CODES:
        assert f"\n| {code} | " in page
    assert "(runtime.md)" in page  # the variables and helpers have their own page
    faults = page[page.index("Faults during a run") :]
    rows = re.findall(r"^\| (.+?) \| .+ \| .+ \| .+ \|$", faults, re.M)[1:]
    assert len(rows) >= len(contract.FAULTS)
    for fault in contract.FAULTS:
        assert fault.fault.rstrip(".") in faults, fault.id
    assert contract.JOURNAL[:60] in page
    runtime = site["reference/runtime.md"]
    assert "`$RELEASE_DIR`" in runtime and "`check_endpoints`" in runtime


def test_verification_record_is_shown(tmp_path: Path, loaded: LoadedRunbook) -> None:
    shutil.copy(EXAMPLE, tmp_path / "runbook.yaml")
    copy = load(tmp_path / "runbook.yaml")
    record = {
        "runbook_digest": copy.digest,
        "started": "2026-01-17T15:00:00Z",
        "finished": "2026-01-17T15:05:00Z",
        "outcome": "passed",
        "procedures": {
            "deploy-staging": {
                "outcome": "passed",
                "date": "2026-01-17T15:01:00Z",
                "duration_s": 42.0,
                "steps": {"health-check": {"outcome": "passed", "duration_s": 0.5}},
            }
        },
    }
    (tmp_path / "verification.json").write_text(json.dumps(record), encoding="utf-8")
    page = pages(copy)["procedures/deploy-staging.md"]
    assert "**Last verified:** passed on 2026-01-17 15:01 UTC in 42 s" in page
    assert '??? note "Verification of each step"' in page
    assert "| [12. Health check](#deploy-staging-health-check) | passed (0.5 s) |" in page
    assert "not verified yet" in pages(copy)["procedures/deploy-production.md"]


def test_script_lines_are_linked_when_the_generator_gives_them(
    monkeypatch: pytest.MonkeyPatch, loaded: LoadedRunbook
) -> None:
    monkeypatch.setattr(
        scripts_gen, "render_scripts", lambda _: {"deploy-staging.sh": "#!/bin/bash\n"}
    )
    monkeypatch.setattr(scripts_gen, "script_line_map", lambda _: {"deploy-staging": {"build": 42}})
    site = pages(loaded)
    assert (
        "[`scripts/deploy-staging.sh` line 42](../scripts/deploy-staging.sh.md#__codelineno-0-42)"
        in (site["procedures/deploy-staging.md"])
    )
    assert 'linenums="1"' in site["scripts/deploy-staging.sh.md"]


@pytest.mark.parametrize("pid", ["deploy-staging", "deploy-production", "rollback-production"])
def test_script_listing_links_each_block_to_its_steps_page(
    loaded: LoadedRunbook, site: dict[str, str], pid: str
) -> None:
    procedure = loaded.runbook.procedures[pid]
    listing = site[f"scripts/{procedure.script}.md"]
    script = scripts_gen.render_scripts(loaded)[procedure.script].splitlines()
    rows = re.findall(
        r"^\| \[(\d+)\]\(#__codelineno-0-\1\) \| \[[^]]+\]\(\.\./procedures/"
        + re.escape(pid)
        + r"\.md#([a-z0-9_-]+)\) \| `([a-z0-9-]+)`",
        listing,
        flags=re.M,
    )
    assert [sid for _, _, sid in rows] == procedure.step_ids + procedure.rollback_steps
    for number, (line, anchor, sid) in enumerate(rows):
        own = number < len(procedure.step_ids)
        assert script[int(line) - 1].endswith(f"  # {'step' if own else 'rollback step'}: {sid}")
        assert anchor == (f"{pid}-{sid}" if own else f"{pid}_rollback")
        assert f"{{ #{anchor} }}" in site[f"procedures/{pid}.md"]


def test_running_the_scripts_explains_every_step_setting(site: dict[str, str]) -> None:
    page = site["reference/scripts.md"]
    assert contract.READING in page
    for setting in contract.STEP_SETTINGS:
        assert f"| `{setting}` | " in page


def test_nav_groups_folders_and_takes_page_titles(site: dict[str, str]) -> None:
    entries = nav({**site, "rules/RB001.md": "# RB001 Something\n"})
    assert entries[0] == {"Overview": "index.md"}
    titles = [next(iter(e)) for e in entries]
    assert {"Procedures", "Incidents", "Operations", "Reference", "Lint rules"} <= set(titles)
    procedures = next(e["Procedures"] for e in entries if "Procedures" in e)
    assert {"Production deployment": "procedures/deploy-production.md"} in procedures


def test_extension_pages_are_appended(
    monkeypatch: pytest.MonkeyPatch, loaded: LoadedRunbook
) -> None:
    monkeypatch.setattr(site_pages, "extension_pages", lambda _: {"rules/X1.md": "# X1 rule\n"})
    site = pages(loaded)
    assert list(site)[-2:] == ["rules/X1.md", "print.md"]
    assert page_title(site["rules/X1.md"]) == "X1 rule"


def test_confirmation_wording_matches_what_the_script_does(site: dict[str, str]) -> None:
    """A declined confirmation skips a step that has a command, and stops at a question alone."""
    page = site["procedures/rollback-production.md"]
    restore = page[page.index("Restore the database from the chosen backup") :]
    assert (
        "any answer but `yes` skips this step and the procedure goes on"
        in restore.split("\n## ")[0]
    )
    gate = page[page.index("Confirm the rollback plan") :]
    assert "stops unless the answer is `yes`" in gate.split("\n### ")[0]


def test_the_step_phrases_are_read_once_per_version_of_the_tool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading them imports pytest-bdd and the step modules: they are kept in the cache."""
    from runbook import cache

    shutil.copy(EXAMPLE, tmp_path / "runbook.yaml")
    read: list[int] = []
    real = site_pages.vocabulary
    monkeypatch.setattr(site_pages, "vocabulary", lambda: read.append(1) or real())
    first = pages(load(tmp_path / "runbook.yaml"))
    second = pages(load(tmp_path / "runbook.yaml"))
    assert read == [1] and first == second
    assert "Scenario steps" in first["reference/verification.md"]
    assert (tmp_path / ".runbook" / "cache" / "vocabulary.json").is_file()
    monkeypatch.setattr(cache, "tool_fingerprint", lambda: "another version of the tool")
    assert pages(load(tmp_path / "runbook.yaml")) == first
    assert read == [1, 1]
