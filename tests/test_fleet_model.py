"""A fleet in the model: groups, the rolling policy, where steps run; bad input is one line.

Each case changes one thing in ``tests/data/fleet.yaml`` and pins the located line
`runbook validate` prints, as the invalid runbooks of ``tests/invalid`` do.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from runbook.cli import main
from runbook.errors import RunbookError
from runbook.fleet.placement import Where, batch_size, batches, plan
from runbook.loader import load

FLEET = Path(__file__).parent / "data" / "fleet.yaml"
ROOT = Path(__file__).resolve().parent.parent


def _load(tmp_path: Path, old: str = "", new: str = "") -> object:
    text = FLEET.read_text(encoding="utf-8")
    if old:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "runbook.yaml"
    path.write_text(text, encoding="utf-8")
    return load(path)


def test_the_fleet_loads_with_its_groups_and_policy(tmp_path: Path) -> None:
    loaded = _load(tmp_path)
    env = loaded.runbook.environments["production"]  # type: ignore[attr-defined]
    assert env.is_fleet and env.host is None
    assert env.all_hosts == [
        "app1.example.internal",
        "app2.example.internal",
        "db1.example.internal",
        "lb1.example.internal",
    ]
    assert env.rolling.max_fail_percentage == 0
    assert env.rolling.earlier_batches.value == "keep"


CASES = [
    (
        "    groups:\n",
        "    host: app.example.internal\n    groups:\n",
        "6:5: environments.production: give either `host` (one host) or `groups` (a fleet), not both",
    ),
    (
        "      db: [db1.example.internal]",
        "      db: [app1.example.internal]",
        "6:5: environments.production: host app1.example.internal is in both groups app and db",
    ),
    (
        "      group: app\n",
        "      group: web\n",
        "6:5: environments.production: rolling.group 'web' is not one of the groups (app, db, lb)",
    ),
    (
        "      balancer: lb\n",
        "",
        "6:5: environments.production: rolling.drain and rolling.undrain need a `balancer` group",
    ),
    (
        "      batch: 1\n",
        "      batch: 150%\n",
        "13:14: environments.production.rolling.batch: '150%' is neither a number of hosts (1 or more) nor a share such as 34%",
    ),
    (
        "      drain: [drain]",
        "      drain: [drian]",
        "15:15: environments.production.rolling.drain[0]: unknown step 'drian' (did you mean 'drain'?)",
    ),
    (
        "    once_on: db\n",
        "    once_on: dbs\n",
        "26:14: steps.backup.once_on: group 'dbs' is not a group of environment 'production', which procedure 'deploy-production' deploys (did you mean 'db'?)",
    ),
    (
        "    title: Check\n    command: echo checked",
        "    title: Check\n    once_on: db\n    command: echo checked",
        "21:5: steps.check: `once_on` applies to a remote step (`runs_on: remote`)",
    ),
    (
        "    playbook: deploy-production.yml\n",
        "    script: deploy-production.sh\n",
        "60:13: procedures.deploy-production.script: environment 'production' is a fleet: it is deployed by a `playbook`, not a bash `script`",
    ),
    (
        "    playbook: deploy-production.yml\n",
        "    playbook: deploy production.yml\n",
        "60:15: procedures.deploy-production.playbook: invalid value 'deploy production.yml'",
    ),
    (
        "    point_of_no_return: switch\n",
        "    point_of_no_return: backup\n",
        "66:25: procedures.deploy-production.point_of_no_return: in a fleet the point of no return must be a step that runs on each host of the batch (remote, without `once_on`): that is where a host changes",
    ),
]


@pytest.mark.parametrize(("old", "new", "first"), CASES, ids=[c[2][:40] for c in CASES])
def test_a_fleet_mistake_is_one_located_line(
    tmp_path: Path, old: str, new: str, first: str
) -> None:
    with pytest.raises(RunbookError) as caught:
        _load(tmp_path, old, new)
    line = caught.value.lines()[0].removeprefix(f"{tmp_path / 'runbook.yaml'}:")
    line = line.removeprefix("runbook.yaml:")
    assert line.startswith(first), line
    assert caught.value.exit_code == 2


def test_a_playbook_on_a_single_host_is_refused_by_the_cli(tmp_path: Path) -> None:
    source = (ROOT / "tests" / "data" / "minimal.yaml").read_text(encoding="utf-8")
    path = tmp_path / "runbook.yaml"
    path.write_text(source.replace("    script: deploy-staging.sh\n", "    playbook: x.yml\n"))
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1, result.output
    assert "environment 'staging' is one host: it is deployed by a `script`" in result.output
    assert "Traceback" not in result.output


def test_the_steps_split_into_before_batches_and_after(tmp_path: Path) -> None:
    rb = _load(tmp_path).runbook  # type: ignore[attr-defined]
    parts = plan(rb, "deploy-production")
    assert [(p.step_id, p.where) for p in parts.before] == [
        ("check", Where.local),
        ("backup", Where.once),
    ]
    assert [(p.step_id, p.where, p.group) for p in parts.rolling] == [
        ("switch", Where.each, "app"),
        ("health", Where.each, "app"),
    ]
    assert parts.after == []


def test_the_example_migrates_once_inside_the_first_batch() -> None:
    rb = load(ROOT / "runbook.yaml").runbook
    parts = plan(rb, "deploy-fleet")
    rolling = {p.step_id: (p.where, p.group) for p in parts.rolling}
    assert rolling["migrate"] == (Where.once, "app")
    assert rolling["upload-release"] == (Where.local_each, "app")
    assert [p.step_id for p in parts.rolling][:3] == ["upload-release", "unpack-release", "migrate"]
    assert {p.step_id for p in parts.before} >= {"backup-database", "verify-backup", "build"}


@pytest.mark.parametrize(
    ("batch", "hosts", "size"),
    [(1, 3, 1), (2, 3, 2), (5, 3, 3), ("34%", 3, 1), ("50%", 6, 3), ("10%", 3, 1), ("100%", 6, 6)],
)
def test_batch_sizes_follow_ansible_serial(batch: int | str, hosts: int, size: int) -> None:
    assert batch_size(batch, hosts) == size


def test_batches_of_the_example_fleet() -> None:
    env = load(ROOT / "runbook.yaml").runbook.environments["production-fleet"]
    assert batches(env) == [
        ["app1.example.internal"],
        ["app2.example.internal"],
        ["app3.example.internal"],
    ]
