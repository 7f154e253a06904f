"""The example's prune step keeps what it promises: N releases, never the serving or the
previous one, and backups of the retention period only.

The step runs as the scripts and the scenarios run it (``remote_prelude`` + its command), on
a deploy path in a temporary directory, with release ages chosen so that a wrong pruning
order would delete the serving or the previous release.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from runbook.loader import load
from scripts_gen import remote_prelude, runtime_variables

ROOT = Path(__file__).resolve().parents[1]
LOADED = load(ROOT / "runbook.yaml")
DAY = 86_400


def _prune(
    srv: Path, procedure: str, serving: str, previous: str
) -> subprocess.CompletedProcess[str]:
    variables = runtime_variables(LOADED, procedure, serving, previous, "20260101-000000")
    variables = {k: v.replace("/srv/app", str(srv), 1) for k, v in variables.items()}
    command = LOADED.runbook.steps["prune"].command
    assert command is not None
    script = remote_prelude(LOADED, procedure, variables) + command
    return subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize("procedure", ["deploy-staging", "deploy-production"])
def test_prune_keeps_n_releases_with_the_serving_and_previous_ones(
    tmp_path: Path, procedure: str
) -> None:
    env = LOADED.runbook.environments[LOADED.runbook.procedures[procedure].environment]
    keep, retention = env.keep_releases, LOADED.runbook.backups.retention_days
    releases, backups = tmp_path / "releases", tmp_path / "backups"
    now = time.time()
    names = [f"v1.0.{i}" for i in range(keep + 4)]  # v1.0.0 oldest ... newest last
    for age, name in enumerate(reversed(names)):
        (releases / name).mkdir(parents=True)
        os.utime(releases / name, (now - age * 3600, now - age * 3600))
    # The oldest two serve and served before (a rollback to an old release), so age alone
    # would prune them first.
    serving, previous = names[0], names[1]
    (tmp_path / "current").symlink_to(releases / serving)
    backups.mkdir()
    for name, days in (
        ("recent.dump", 1),
        ("edge.dump", retention - 1),
        ("old.dump", retention + 2),
    ):
        (backups / name).write_text("x")
        os.utime(backups / name, (now - days * DAY, now - days * DAY))

    result = _prune(tmp_path, procedure, serving, previous)

    assert result.returncode == 0, result.stderr
    kept = sorted(p.name for p in releases.iterdir())
    assert len(kept) == keep, result.stdout
    assert serving in kept and previous in kept
    assert set(kept) - {serving, previous} == set(names[-(keep - 2) :])  # the newest others
    assert sorted(p.name for p in backups.iterdir()) == ["edge.dump", "recent.dump"]
    assert f"kept {keep} releases" in result.stdout
