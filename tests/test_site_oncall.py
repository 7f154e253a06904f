"""The site as an incident tool: the incident card, the manual recovery, who to call, the links
between matrix, emergencies, thresholds and contacts, and search weights; all from the model."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from runbook.loader import LoadedRunbook, load
from runbook.model import Channel
from runbook.site import incident
from runbook.site.contacts import channel_href, first_call, who_to_call
from runbook.site.pages import SECTIONS, pages
from scripts_gen import contract, render_scripts

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def loaded() -> LoadedRunbook:
    return load(ROOT / "runbook.yaml")


@pytest.fixture(scope="module")
def site(loaded: LoadedRunbook) -> dict[str, str]:
    return pages(loaded)


def test_home_and_rollback_pages_open_with_the_incident_card(site: dict[str, str]) -> None:
    for path in ("index.md", "procedures/rollback-production.md"):
        page = site[path]
        title = page.index("\n# ")
        card = page.index("## During an incident: roll back Production")
        assert card - title < 60, path  # right under the page title
        assert "```bash\n    ./scripts/rollback-production.sh\n    ```" in page
        assert "./scripts/rollback-production.sh --no-db-restore\n" in page
        assert contract.RUN_FROM in page and contract.ROLLBACK_DEFAULT in page
        assert "(tel:+15550199)" in page  # the P0 contact at night, one tap away
        assert "#rollback-production_manual-recovery)" in page
    assert site["index.md"].count("During an incident") == 1


def test_the_card_asks_what_the_script_asks_in_its_order(loaded: LoadedRunbook) -> None:
    card = incident.card(loaded.runbook, "rollback-production")
    assert card is not None
    questions = [p.question for p in card.prompts]
    assert questions[0].startswith("Restore which backup? (the last 5 on the target")
    confirms = [s.confirm for _, s in loaded.runbook.procedure_steps("rollback-production")]
    assert questions[1:] == [c for c in confirms if c]
    script = render_scripts(loaded)["rollback-production.sh"]
    assert "Restore which backup?" in script and "--no-db-restore)" in script


def test_a_rollback_without_restore_has_no_restore_variant(loaded: LoadedRunbook) -> None:
    card = incident.card(loaded.runbook, "rollback-staging")
    assert card is not None and card.without_restore is None
    assert incident.card(loaded.runbook, "deploy-production") is None
    assert incident.home_card(loaded.runbook).procedure_id == "rollback-production"  # type: ignore[union-attr]


def test_manual_recovery_runs_the_steps_the_script_would_have_run(
    loaded: LoadedRunbook, tmp_path: Path
) -> None:
    deploy = incident.recovery(loaded, "deploy-production")
    assert deploy is not None
    assert deploy.ssh == "ssh -p 22 deploy@app.example.internal"
    assert [sid for sid, _ in deploy.steps] == loaded.runbook.procedures[
        "deploy-production"
    ].rollback_steps
    assert "read -r -p 'Release to serve (one of the list above): ' PREVIOUS_VERSION" in (
        deploy.variables
    )
    rollback = incident.recovery(loaded, "rollback-production")
    assert rollback is not None
    assert [sid for sid, _ in rollback.steps][:2] == ["switch-release", "reload-app"]
    assert [sid for sid, _ in rollback.left_out] == ["restore-database"]  # needs a backup chosen
    assert "check_endpoints() {" in rollback.variables  # test-endpoints calls it
    assert "export DEPLOY_PATH=/srv/app\n" in rollback.variables
    script = "\n".join(
        [rollback.look, rollback.variables, *(s.command or "" for _, s in rollback.steps)]
    )
    (tmp_path / "recovery.sh").write_text(script, encoding="utf-8")
    checked = subprocess.run(["bash", "-n", str(tmp_path / "recovery.sh")], capture_output=True)
    assert checked.returncode == 0, checked.stderr


def test_the_failure_section_lists_the_exit_codes_and_the_recovery(site: dict[str, str]) -> None:
    page = site["procedures/deploy-production.md"]
    for code in (1, 2, 3):
        assert f"\n| {code} | " in page
    assert "### Manual recovery (exit 3) { #deploy-production_manual-recovery }" in page
    assert "ssh -p 22 deploy@app.example.internal" in page


@pytest.mark.parametrize(
    ("kind", "value", "url", "href"),
    [
        ("phone", "+1 555 0100", None, "tel:+15550100"),
        ("pager", "+1 555 0199 (PagerDuty)", None, "tel:+15550199"),
        ("phone", "(555) 0100 ext. 4", None, "tel:5550100"),
        ("pager", "PagerDuty (24/7)", None, None),
        ("pager", "PagerDuty", "https://example.pagerduty.com/incidents", None),
        ("email", "oncall@example.com", None, "mailto:oncall@example.com"),
        ("email", "oncall at example", None, None),
        ("slack", "#incidents", "https://example.slack.com/app_redirect?channel=x", None),
        ("slack", "#incidents", None, None),
        ("phone", "12", None, None),
    ],
)
def test_channel_links_come_only_from_values_of_a_safe_shape(
    kind: str, value: str, url: str | None, href: str | None
) -> None:
    channel = Channel.model_validate({"kind": kind, "value": value, "url": url})
    assert channel_href(channel) == (href or url)


def test_who_to_call_follows_severities_levels_and_hours(loaded: LoadedRunbook) -> None:
    calls = {c.severity.level: c for c in who_to_call(loaded.runbook)}
    assert [c.level.level for c in calls["P0"].calls] == [1, 2, 3, 4]
    assert [c.level.level for c in calls["P2"].calls] == [1, 3]
    team_lead = calls["P0"].calls[1]
    assert [c.kind.value for c in team_lead.night] == ["pager"]  # the desk phone is daytime only
    assert [c.kind.value for c in team_lead.day][:2] == ["phone", "pager"]
    assert calls["P3"].first_at_night is None  # P3 waits for business hours
    first = first_call(loaded.runbook)
    assert first is not None and first.severity.level == "P0"
    assert first.first_at_night is not None and first.first_at_night.contact_id == "on-call"


def test_contacts_page_gives_who_to_call_per_severity_and_time(site: dict[str, str]) -> None:
    page = site["incidents/escalation.md"]
    assert page.index("## Who to call now") < page.index("## Escalation path")
    p0 = page[page.index("### P0 Critical") : page.index("### P1 High")]
    assert "1. **Now**: [On-call engineer](#contact-on-call), level 1" in p0
    assert "    - Nights and weekends: Pager: [+1 555 0199" in p0
    assert "](https://example.slack.com/app_redirect?channel=incidents)" in p0
    assert "(mailto:oncall@example.com)" in p0
    p3 = page[page.index("### P3 Low") :]
    assert "Out of hours nobody is called for a P3" in p3 and "Nights and weekends" not in p3


def test_matrix_emergencies_thresholds_and_contacts_link_each_other(
    site: dict[str, str],
) -> None:
    monitoring = site["operations/monitoring.md"]
    assert "[High error rate](../incidents/emergencies.md#emergency-high-error-rate)" in monitoring
    emergencies = site["incidents/emergencies.md"]
    assert "Severity [**P1**](rollback-matrix.md#severity-p1)" in emergencies
    assert "[Error rate (5xx)](../operations/monitoring.md#metric-error-rate)" in emergencies
    assert "[level 4: Database admin](escalation.md#contact-database-admin): Phone: [" in (
        emergencies
    )
    matrix = site["incidents/rollback-matrix.md"]
    assert "## P0 Critical { #severity-p0 }" in matrix
    assert (
        "[Database down or connection lost](emergencies.md#emergency-database-connection-lost)"
        in matrix
    )
    assert "[P0, by time of day](escalation.md#call-p0)" in matrix
    contacts = site["incidents/escalation.md"]
    assert "by the emergencies [Database down or connection lost](emergencies.md#" in contacts


def test_expected_output_is_the_environments(site: dict[str, str]) -> None:
    assert (
        "Expected output on Production:\n\n```text\non branch main\n```"
        in (site["procedures/deploy-production.md"])
    )
    assert "```text\non branch develop\n```" in site["procedures/deploy-staging.md"]
    health = '"version": "v1.0.1"'  # a value only known at run time stays as written
    assert health in site["procedures/deploy-production.md"]


def test_dangerous_warning_only_where_something_runs(
    loaded: LoadedRunbook, site: dict[str, str]
) -> None:
    page = site["procedures/rollback-production.md"]
    for sid, step in loaded.runbook.procedure_steps("rollback-production"):
        section = page[page.index(f"{{ #rollback-production-{sid} }}") :].split("\n### ")[0]
        assert ('"Dangerous step"' in section) == (step.dangerous and bool(step.command)), sid


def test_search_favours_what_an_incident_needs(site: dict[str, str]) -> None:
    def boost(path: str) -> float:
        text = site[path]
        if not text.startswith("---\nsearch:\n  boost: "):
            return 1.0
        return float(text.split("boost: ", 1)[1].split("\n", 1)[0])

    incidents = min(boost(p) for p in site if p.startswith(("incidents/", "procedures/")))
    assert incidents > boost("steps.md") > max(boost(p) for p in site if p.startswith("rules/"))
    left_out = [p for p in site if site[p].startswith("---\nsearch:\n  exclude: true\n---\n")]
    assert "print.md" in left_out
    assert {p.split("/")[0] for p in left_out if p != "print.md"} == {"scripts", "playbooks"}


def test_print_page_holds_every_fragment_once(site: dict[str, str], loaded: LoadedRunbook) -> None:
    page = site["print.md"]
    rb = loaded.runbook
    fleets = sum(env.is_fleet for env in rb.environments.values())
    playbooks = any(p.playbook for p in rb.procedures.values())
    # a break before every fragment after the home page: procedures, fleets, sections
    expected = len(rb.procedures) + fleets + len(SECTIONS) + playbooks
    assert page.count('<div class="rb-page-break"></div>') == expected
    assert expected >= 4 + 14 + 1
    assert "## During an incident: roll back Production { #during-an-incident }" in page
    assert "## Production rollback" in page and "### Stage 1: Pre-flight" in page
    assert "](print.md)" not in page  # the card links to it elsewhere, not to itself


def test_script_help_says_where_to_run_it(loaded: LoadedRunbook) -> None:
    script = render_scripts(loaded)["rollback-production.sh"]
    assert contract.RUN_FROM.replace("'", "'\"'\"'") in script
