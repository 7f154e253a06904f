"""Fixtures shared by the test modules."""

from __future__ import annotations

import pytest
import yaml

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
