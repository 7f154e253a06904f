"""The site of a fleet: its page, the steps by batch on procedure pages, the playbooks' pages."""

from __future__ import annotations

from pathlib import Path

from runbook.loader import load
from runbook.site.pages import nav, pages

ROOT = Path(__file__).resolve().parent.parent


def test_the_fleet_page_shows_groups_batches_and_the_rolling_order() -> None:
    page = pages(load(ROOT / "runbook.yaml"))["fleets/production-fleet.md"]
    assert (
        "| `db` | `db1.example.internal` | `backup-database` once; `verify-backup` once |" in page
    )
    assert "deployed in batches of 1 (`serial: 1`)" in page
    assert "1. `app1.example.internal`\n2. `app2.example.internal`\n3." in page
    assert "```mermaid\nflowchart LR" in page
    assert '  b0["Batch 1: app1.example.internal"]' in page
    assert "b2 -. a host fails .-> stop" in page
    assert "keep the new release: the fleet is mixed" in page


def test_a_fleet_procedure_page_maps_its_steps_onto_batches() -> None:
    page = pages(load(ROOT / "runbook.yaml"))["procedures/deploy-fleet.md"]
    assert "| Playbook | `playbooks/deploy-fleet.yml`" in page
    assert (
        "| 13 | [Run database migrations](#deploy-fleet-migrate) | first batch only | once per "
        "run, on the first host of `app` (`app1.example.internal`) |"
    ) in page
    assert (
        "| 11 | [Upload the release](#deploy-fleet-upload-release) | each batch | the deploying machine, for each host"
        in page
    )
    assert "that host runs these steps in order (Ansible `rescue`)" in page
    assert "**Runs on:** each host of the batch (`app`, over SSH)" in page


def test_the_playbooks_have_their_reference_and_source_pages() -> None:
    site = pages(load(ROOT / "runbook.yaml"))
    paths = list(site)
    scripts = paths.index("reference/scripts.md")
    assert paths[scripts + 1] == "reference/playbooks.md"
    assert "`confirmed` | `true` answers yes" in site["reference/playbooks.md"]
    source = site["playbooks/deploy-fleet.yml.md"]
    assert source.startswith("---\nsearch:\n  exclude: true\n---\n\n# playbooks/deploy-fleet.yml")
    assert '```yaml linenums="1"\n# GENERATED FILE' in source
    assert "playbooks/deploy-fleet.yml.md" in site["reference/playbooks.md"]
    titles = [next(iter(entry)) for entry in nav(site)]  # listings stay out, like the scripts'
    assert "Fleets" in titles and "Generated playbooks" not in titles


def test_a_runbook_without_a_fleet_has_none_of_these_pages() -> None:
    site = pages(load(ROOT / "tests" / "data" / "minimal.yaml"))
    assert not [p for p in site if p.startswith(("fleets/", "playbooks/"))]
    assert "reference/playbooks.md" not in site
