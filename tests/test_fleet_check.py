"""`runbook check` on the playbooks: drift, stale files, Ansible's syntax check, the cache.

The checks run on the rendered playbooks; each playbook's findings are cached under a hash of
its text, its inventory and the tools' versions, so only a playbook that changed is checked
again.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import runbook.fleet.check as fleet_check
from runbook.build import render_outputs
from runbook.cache import ResultCache
from runbook.cli import main
from runbook.errors import RunbookError
from runbook.fleet import render_playbooks
from runbook.lint.outputs import drift, stale
from runbook.loader import load

ROOT = Path(__file__).resolve().parent.parent
FLEET = Path(__file__).parent / "data" / "fleet.yaml"
HAS_ANSIBLE = (fleet_check.BIN_DIR / "ansible-playbook").exists()


def _written(tmp_path: Path) -> dict[str, str]:
    outputs = render_playbooks(load(FLEET))
    for rel, text in outputs.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    return outputs


def test_a_changed_playbook_is_drift_and_a_left_over_one_is_stale(tmp_path: Path) -> None:
    outputs = _written(tmp_path)
    playbook = tmp_path / "playbooks" / "deploy-production.yml"
    playbook.write_text(playbook.read_text().replace("serial: 1", "serial: 2"))
    old = tmp_path / "playbooks" / "deploy-old.yml"
    old.write_text(outputs["playbooks/deploy-production.yml"])
    (tmp_path / "playbooks" / "site.yml").write_text("- hosts: all\n")  # the team's own
    drifted = drift(outputs, tmp_path, "runbook.yaml")
    assert [(i.file.endswith("deploy-production.yml"), i.kind) for i in drifted] == [
        (True, "drift")
    ]
    assert "serial: 1" in drifted[0].detail
    left = stale(outputs, tmp_path, "runbook.yaml")
    assert [Path(i.file).name for i in left] == ["deploy-old.yml"]


@pytest.mark.skipif(not HAS_ANSIBLE, reason="ansible-core is not installed")
def test_ansible_rejects_a_broken_playbook(tmp_path: Path) -> None:
    """The playbooks of an inventory are checked in one run; when it fails, the broken one is
    told apart from the others."""
    outputs = render_playbooks(load(FLEET))
    rel = "playbooks/deploy-production.yml"
    for other in ("a", "z"):  # before and after it, same inventory
        outputs[f"playbooks/{other}-copy.yml"] = outputs[rel]
    outputs[rel] = outputs[rel].replace("serial: 1", "serial: [oops", 1)
    issues = fleet_check.ansible_issues(outputs, tmp_path, lint=False)
    assert [(i.kind, i.rule, Path(i.file).name) for i in issues] == [
        ("ansible", "syntax-check", "deploy-production.yml")
    ]


@pytest.mark.skipif(not HAS_ANSIBLE, reason="ansible-core is not installed")
def test_only_a_changed_playbook_is_checked_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outputs = render_playbooks(load(FLEET))
    outputs["playbooks/deploy-again.yml"] = outputs["playbooks/deploy-production.yml"]
    names = sorted(rel for rel in outputs if fleet_check.is_playbook(rel))
    cache = ResultCache(tmp_path / "cache", "ansible")
    assert fleet_check.ansible_issues(outputs, tmp_path, lint=False, cache=cache) == []
    cache.save()
    checked: list[list[str]] = []
    syntax = fleet_check._syntax

    def counted(binary: str, work: Path, playbooks: list[str], inventory: str) -> str:
        checked.append(playbooks)
        return syntax(binary, work, playbooks, inventory)

    monkeypatch.setattr(fleet_check, "_syntax", counted)
    again = ResultCache(tmp_path / "cache", "ansible")
    assert fleet_check.ansible_issues(outputs, tmp_path, lint=False, cache=again) == []
    assert checked == []
    changed = {**outputs, names[0]: outputs[names[0]] + "\n"}
    assert fleet_check.ansible_issues(changed, tmp_path, lint=False, cache=again) == []
    assert checked == [[Path(names[0]).name]]


def test_without_ansible_a_fleet_cannot_be_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fleet_check, "BIN_DIR", tmp_path / "nowhere")
    monkeypatch.setattr(fleet_check.shutil, "which", lambda name: None)
    with pytest.raises(RunbookError) as caught:
        fleet_check.ansible_issues(render_outputs(load(FLEET)), tmp_path)
    assert caught.value.lines() == [
        "ansible-playbook is not installed: the runbook has fleet playbooks "
        "(pip install 'runbook[fleet]')"
    ]
    assert caught.value.exit_code == 2


def test_a_runbook_without_a_fleet_needs_no_ansible(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fleet_check, "BIN_DIR", tmp_path / "nowhere")
    monkeypatch.setattr(fleet_check.shutil, "which", lambda name: None)
    outputs = render_outputs(load(ROOT / "tests" / "data" / "minimal.yaml"))
    assert not any(rel.startswith("playbooks/") for rel in outputs)
    assert fleet_check.ansible_issues(outputs, tmp_path) == []


@pytest.mark.skipif(not HAS_ANSIBLE, reason="ansible-core is not installed")
def test_check_reports_the_playbooks_it_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "runbook.yaml"
    source.write_text(FLEET.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(main, ["build", "runbook.yaml", "--no-site"]).exit_code == 0
    result = CliRunner().invoke(main, ["check", "runbook.yaml", "--format", "json"])
    assert '"ansible": 0' in result.output, result.output
    playbook = tmp_path / "playbooks" / "deploy-production.yml"
    playbook.write_text(playbook.read_text() + "# edited by hand\n")
    result = CliRunner().invoke(main, ["check", "runbook.yaml"])
    assert result.exit_code == 1
    assert "playbooks/deploy-production.yml" in result.output and "out of date" in result.output
