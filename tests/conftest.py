"""Fixtures shared by the test modules."""

from __future__ import annotations

import pytest
import yaml
from container_runs import MODULES, Background

from runbook import yamlsrc

#: The YAML parsers the loader may run on: libyaml's when PyYAML was built with it, and
#: PyYAML's own. Whichever is installed, a file must load alike (tests/test_loader_parsers.py).
PARSERS: dict[str, type[yaml.SafeLoader] | None] = {
    "libyaml": getattr(yaml, "CSafeLoader", None),
    "python": yaml.SafeLoader,
}


@pytest.fixture(params=sorted(PARSERS))
def yaml_parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test once with each YAML parser as the loader's first choice."""
    parser = PARSERS[request.param]
    if parser is None:
        pytest.skip("PyYAML was built without libyaml")
    monkeypatch.setattr(yamlsrc, "_FAST_LOADER", parser)
    return str(request.param)


#: The container suites (tests/container_runs.py), started by the first container test.
_BACKGROUND: list[Background] = []
#: The projects whose container tests were selected.
_SELECTED = pytest.StashKey[set[str]]()


@pytest.hookimpl(trylast=True)  # after -m and -k have deselected what they deselect
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the container tests last, all together: their suites run at once in the
    background, and the first of their tests starts them with everything selected."""
    names: set[str] = set()
    for item in items:
        names |= MODULES.get(item.path.name, set())
    items.sort(key=lambda item: item.path.name in MODULES)  # stable: the others keep order
    config.stash[_SELECTED] = names


def pytest_unconfigure(config: pytest.Config) -> None:
    for background in _BACKGROUND:
        background.stop()


@pytest.fixture(scope="session")
def containers(request: pytest.FixtureRequest) -> Background:
    """The container suites of the selected tests, running in the background."""
    if not _BACKGROUND:
        background = Background(request.config.stash.get(_SELECTED, set()))
        _BACKGROUND.append(background)
        background.start()
    return _BACKGROUND[0]
