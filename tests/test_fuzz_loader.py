"""Property test: mutating the shipped example never crashes the loader.

Whatever the mutation, `load` either returns a runbook or raises RunbookError with located,
printable problems. Any other exception is a bug.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runbook.errors import RunbookError
from runbook.loader import load

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE: dict[str, Any] = yaml.safe_load((ROOT / "runbook.yaml").read_text())

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["$(touch /tmp/x)", "P9", "staging", "build", "-1", "", "  ", "é"]),
)
values = st.recursive(
    scalars,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3),
    max_leaves=6,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


PATHS = _paths(EXAMPLE)[1:]


def _mutate(data: Any, path: tuple[Any, ...], action: str, value: Any) -> Any:
    import copy

    data = copy.deepcopy(data)
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    key = path[-1]
    if action == "delete":
        del parent[key]
    elif action == "replace":
        parent[key] = value
    elif action == "add" and isinstance(parent, dict):
        parent[f"{key}x"] = value
    return data


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    mutations=st.lists(
        st.tuples(st.sampled_from(PATHS), st.sampled_from(["delete", "replace", "add"]), values),
        min_size=1,
        max_size=3,
    )
)
@pytest.mark.slow
def test_mutated_example_gives_clean_errors(tmp_path_factory: Any, mutations: list[Any]) -> None:
    data: Any = EXAMPLE
    for path, action, value in mutations:
        try:
            data = _mutate(data, path, action, value)
        except (KeyError, IndexError, TypeError):
            continue
    target = tmp_path_factory.mktemp("fuzz") / "runbook.yaml"
    target.write_text(yaml.safe_dump(data, allow_unicode=True))
    try:
        load(target)
    except RunbookError as exc:
        lines = exc.lines()
        assert lines and all(isinstance(line, str) and line for line in lines)
        assert all("\n" not in p.message for p in exc.problems)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=400) | st.text(max_size=400))
def test_arbitrary_bytes_give_clean_errors(tmp_path_factory: Any, blob: bytes | str) -> None:
    target = tmp_path_factory.mktemp("raw") / "runbook.yaml"
    if isinstance(blob, str):
        target.write_text(blob, encoding="utf-8")
    else:
        target.write_bytes(blob)
    try:
        load(target)
    except RunbookError as exc:
        assert exc.lines()
