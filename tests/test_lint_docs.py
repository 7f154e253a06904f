"""The rules document themselves: every rule declares its words, and its page shows them."""

from __future__ import annotations

import re

import pytest
import yaml
from test_lint_rules import base, validated

from runbook.lint import RULES, rule_by_id
from runbook.lint.docs import rule_pages


def test_ids_and_names_are_unique_and_ordered() -> None:
    ids = [r.id for r in RULES]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"RB\d{3}", i) for i in ids)
    assert len({r.name for r in RULES}) == len(RULES)
    assert len(RULES) >= 9


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_declares_its_documentation(rule: object) -> None:
    from runbook.lint import Rule

    assert isinstance(rule, Rule)
    assert rule.title and rule.title[0].isupper() and not rule.title.endswith(".")
    assert len(rule.rationale.split()) >= 25
    for example in (rule.example, rule.fix):
        assert isinstance(yaml.safe_load(example), dict)
    assert rule.example != rule.fix


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_each_rule_has_its_page(rule: object) -> None:
    from runbook.lint import Rule

    assert isinstance(rule, Rule)
    page = rule_pages()[f"rules/{rule.id}.md"]
    assert page.startswith(f"# {rule.id} {rule.title}\n")
    assert rule.rationale in page
    assert rule.example in page and rule.fix in page
    assert ("## Switching it off" in page) is rule.ignorable


def test_index_links_every_rule() -> None:
    index = rule_pages()["rules/index.md"]
    for rule in RULES:
        assert f"[{rule.id}]({rule.id}.md)" in index


def test_pages_list_the_runbooks_ignores_with_their_reasons() -> None:
    data = base()
    data["steps"]["prune"]["ignore"] = [
        {"rule": "RB002", "reason": "pruning never breaks a release"}
    ]
    data["lint"] = {"ignore": [{"rule": "RB007", "reason": "checklists come later"}]}
    pages = rule_pages(validated(data))
    assert (
        "- Switched off in `steps.prune.ignore`: pruning never breaks a release"
        in pages["rules/RB002.md"]
    )
    assert "- Switched off in `lint.ignore`: checklists come later" in pages["rules/RB007.md"]
    assert "In this runbook" not in pages["rules/RB001.md"]


def test_rule_by_id_refuses_an_unknown_id() -> None:
    assert rule_by_id("RB001").name == "backup-before-migration"
    with pytest.raises(KeyError):
        rule_by_id("RB999")
