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


#: The container suites running in the background (tests/container_runs.py), when selected.
_BACKGROUND: list[Background] = []


@pytest.hookimpl(trylast=True)  # after -m and -k have deselected what they deselect
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Start the selected container suites now and run their tests last, so that the rest
    of the suite runs while the containers do their (mostly waiting) work."""
    names: set[str] = set()
    for item in items:
        names |= MODULES.get(item.path.name, set())
    if not names or config.option.collectonly:
        return
    items.sort(key=lambda item: item.path.name in MODULES)  # stable: the others keep order
    background = Background(names)
    _BACKGROUND.append(background)
    background.start()


def pytest_unconfigure(config: pytest.Config) -> None:
    for background in _BACKGROUND:
        background.stop()


@pytest.fixture(scope="session")
def containers() -> Background:
    """The container suites started after collection."""
    if not _BACKGROUND:
        pytest.fail("the container suites were not started (no container test was collected)")
    return _BACKGROUND[0]
