"""The scenario harness without Docker: the checkout of releases, version matching, phrases."""

from __future__ import annotations

from pathlib import Path

import pytest

from runbook.model.target import Releases
from runbook.scenarios.checkout import ANOTHER_BRANCH, Checkout
from runbook.scenarios.control import names_version
from runbook.scenarios.plans import next_version
from runbook.scenarios.vocabulary import readable, vocabulary


@pytest.fixture
def releases(tmp_path: Path) -> tuple[Checkout, Releases]:
    source = tmp_path / "service"
    (source / "migrations").mkdir(parents=True)
    (source / "app.js").write_text("serve()\n", encoding="utf-8")
    (source / "migrations" / "001.sql").write_text("create\n", encoding="utf-8")
    (source / "migrations" / "002.sql").write_text("alter\n", encoding="utf-8")
    (source / "__pycache__").mkdir()
    (source / "__pycache__" / "x.pyc").write_bytes(b"\0")
    spec = Releases.model_validate(
        {
            "source": "service",
            "versions": [
                {"tag": "1.4.0", "without": ["migrations/002.sql"], "files": {"VERSION": "1.4"}},
                {"tag": "1.5.0"},
            ],
            "unhealthy": {"files": {"UNHEALTHY": "x"}},
        }
    )
    return Checkout.create(tmp_path / "repo", source, spec, {"develop", "main"}), spec


def test_each_release_is_a_tagged_commit_with_its_changes(
    releases: tuple[Checkout, Releases],
) -> None:
    repo, _ = releases
    assert repo.git("tag").split() == ["1.4.0", "1.5.0"]
    old = repo.git("ls-tree", "-r", "--name-only", "1.4.0").split()
    new = repo.git("ls-tree", "-r", "--name-only", "1.5.0").split()
    assert "migrations/002.sql" not in old and "VERSION" in old
    assert "migrations/002.sql" in new and "VERSION" not in new
    assert not any("__pycache__" in p for p in old + new)


def test_the_branches_point_at_the_newest_release(releases: tuple[Checkout, Releases]) -> None:
    repo, _ = releases
    newest = repo.git("rev-parse", "1.5.0^{commit}")
    for branch in ("main", "develop", ANOTHER_BRANCH):
        assert repo.git("rev-parse", branch) == newest
    repo.checkout("develop")
    assert repo.describe() == "1.5.0"


def test_the_unhealthy_change_is_one_more_commit(releases: tuple[Checkout, Releases]) -> None:
    repo, spec = releases
    repo.checkout("develop")
    repo.apply(spec.unhealthy)
    repo.commit_all("unhealthy")
    assert repo.describe().startswith("1.5.0-1-g")
    assert (repo.path / "UNHEALTHY").read_text(encoding="utf-8") == "x"


def test_a_copy_is_independent(releases: tuple[Checkout, Releases], tmp_path: Path) -> None:
    repo, _ = releases
    copy = repo.copy(tmp_path / "copy")
    copy.make_dirty()
    assert copy.git("status", "--porcelain") and not repo.git("status", "--porcelain")


@pytest.mark.parametrize(
    ("body", "version", "named"),
    [
        ('{"status": "ok", "version": "v1.0.1"}', "v1.0.1", True),
        ('{"healthy": true, "release": "1.5.0"}', "1.5.0", True),
        ("release 1.5.0 up\n", "1.5.0", True),
        ("release 1.5.01 up", "1.5.0", False),
        ("release 1.5.0-1-gabc123 down", "1.5.0", False),
        ("release 1.5.0-1-gabc123 down", "1.5.0-1-gabc123", True),
        ("v21.5.0", "1.5.0", False),
    ],
)
def test_a_health_body_names_a_version_as_a_whole_token(
    body: str, version: str, named: bool
) -> None:
    assert names_version(body, version) is named


@pytest.mark.parametrize(
    ("tag", "after"),
    [
        ("v1.0.1", "v1.0.1001"),
        ("1.5.0", "1.5.1000"),
        ("release-7", "release-1007"),
        ("x", "x-next"),
    ],
)
def test_the_untagged_next_version(tag: str, after: str) -> None:
    assert next_version(tag) == after


@pytest.mark.parametrize(
    ("pattern", "words"),
    [
        (
            r"the target of (?P<procedure>[a-z]+(?:-[a-z]+)*) serves",
            "the target of <procedure> serves",
        ),
        (
            r'runs (?P<p>[a-z]+)(?: with "(?P<args>[^"]*)")?(?P<probe> while watched)?',
            'runs <p>[ with "<args>"][ while watched]',
        ),
        ("the script exits with code {code:d}", "the script exits with code <code>"),
        ("the release (?:serves again|still serves)", "the release serves again / still serves"),
    ],
)
def test_phrases_read_as_a_person_writes_them(pattern: str, words: str) -> None:
    assert readable(pattern) == words


def test_every_shipped_phrase_is_documented() -> None:
    """A step definition without a docstring would leave a blank in the vocabulary page."""
    phrases = vocabulary()
    assert len(phrases) >= 30
    assert {p.keyword for p in phrases} == {"Given", "When", "Then"}
    undocumented = [p.words for p in phrases if not p.doc]
    assert not undocumented, undocumented
    assert all("(?P<" not in p.words and "\\" not in p.words for p in phrases)
