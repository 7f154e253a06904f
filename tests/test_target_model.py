"""The `target:` section: each mistake a team can make is one located line with exit 2."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from runbook.cli import main

ROOT = Path(__file__).resolve().parent.parent


def _example() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "runbook.yaml").read_text(encoding="utf-8")))


def _no_artifact(data: dict[str, Any]) -> None:
    data["steps"]["build"]["expect"] = {}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["target"]["releases"]["versions"][0].update(tag="1.0.0"),
            "target.releases.versions[0].tag: tag '1.0.0' does not match the tag_pattern of "
            "production",
        ),
        (_no_artifact, "target: no step produces $ARTIFACT"),
        (
            lambda d: d["target"]["image"].update(packages=["nginx"]),
            "target.image: `packages`, `files` and `setup` do not apply with a `dockerfile`",
        ),
        (
            lambda d: d["target"]["image"].update(dockerfile="../elsewhere/Dockerfile"),
            "target.image.dockerfile: a path may not climb out with `..`",
        ),
        (
            lambda d: d["target"]["releases"]["versions"].pop(),
            "target.releases.versions",
        ),
        (lambda d: d["target"].pop("activate"), "target.activate"),
        (lambda d: d["target"].update(http_port=70000), "target.http_port"),
        (
            lambda d: d["target"].update(stat="x"),
            "target.stat: unknown key 'stat' (did you mean 'start'?)",
        ),
    ],
)
def test_target_mistakes_are_located(tmp_path: Path, change: Any, expected: str) -> None:
    data = _example()
    change(data)
    path = tmp_path / "runbook.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if expected in line]
    assert lines, result.output
    assert lines[0].startswith(f"{path}:") or lines[0].startswith("runbook.yaml:"), lines[0]


def test_the_schema_documents_the_target() -> None:
    result = CliRunner().invoke(main, ["schema"])
    assert result.exit_code == 0
    for words in ("TargetImage", "the team's Dockerfile", "health check fails", "`exec`"):
        assert words in result.output
