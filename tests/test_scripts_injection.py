"""Nothing from the runbook can run as code in a generated script, except step commands.

Every text the YAML provides (names, titles, questions, expected output, endpoints, contacts,
and even hosts, users, paths and URLs with the model's validation bypassed) carries shell
metacharacters here; the rendered scripts must parse, pass shellcheck, and `--help` and
`--dry-run` must create no file.
"""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
from test_scripts_render import SHELLCHECK
from test_scripts_support import install_fakes, make_service_repo, ssh_calls, write_scripts
from test_scripts_support import run_script as run
from test_scripts_target import Target
from test_scripts_target import runbook as target_runbook

from runbook.loader import LoadedRunbook, load
from scripts_gen import render_scripts, script_line_map

ROOT = Path(__file__).resolve().parents[1]
EVIL = "$(touch pwned)`touch pwned`'\"; touch pwned; \n touch pwned #{x}$VERSION\\"


def _evil_example() -> LoadedRunbook:
    loaded = load(ROOT / "runbook.yaml")
    rb = loaded.runbook

    def copy(model: Any, **update: Any) -> Any:
        return model.model_copy(update=update)

    environments = {
        eid: copy(
            env,
            title=EVIL,
            deploy_path=f"/srv/{EVIL}",
            base_url=f"http://x{EVIL}",
            health_path=f"/h{EVIL}",
            branch=f"b{EVIL}",
            tag_pattern=f"^v{EVIL}",
            endpoints=[copy(e, path=f"/{EVIL}", contains=EVIL) for e in env.endpoints],
        )
        for eid, env in rb.environments.items()
    }
    steps = {
        sid: copy(
            step,
            title=EVIL,
            why=EVIL,
            confirm=(EVIL if step.confirm else None),
            expect=copy(
                step.expect,
                output_contains=EVIL,
                file=copy(step.expect.file, path=EVIL) if step.expect.file else None,
            ),
        )
        for sid, step in rb.steps.items()
    }
    procedures = {
        pid: copy(
            p,
            title=EVIL,
            description=EVIL,
            post_tasks=[EVIL],
            stages=[copy(s, title=EVIL) for s in p.stages],
            endpoints=[copy(e, path=f"/{EVIL}", contains=EVIL) for e in p.endpoints]
            if p.endpoints
            else None,
        )
        for pid, p in rb.procedures.items()
    }
    contacts = {
        cid: copy(c, name=EVIL, role=EVIL, channels=[copy(ch, value=EVIL) for ch in c.channels])
        for cid, c in rb.contacts.items()
    }
    backups = copy(rb.backups, includes=[EVIL])
    evil = copy(
        rb,
        service=copy(rb.service, name=EVIL),
        environments=environments,
        steps=steps,
        procedures=procedures,
        contacts=contacts,
        backups=backups,
    )
    return LoadedRunbook(
        runbook=evil,
        path=Path(f"/tmp/{EVIL}.yaml"),
        files=loaded.files,
        digest=loaded.digest,
        source_map=loaded.source_map,
    )


EVIL_LOADED = _evil_example()
EVIL_SCRIPTS = render_scripts(EVIL_LOADED)


@pytest.fixture(scope="module")
def evil_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_scripts(tmp_path_factory.mktemp("evil"), EVIL_SCRIPTS)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_service_repo(tmp_path / "service")


def test_every_script_rendered_with_the_values_inside() -> None:
    assert len(EVIL_SCRIPTS) == 4
    for text in EVIL_SCRIPTS.values():
        assert "touch pwned" in text  # present, but only as quoted text


@pytest.mark.parametrize("name", sorted(EVIL_SCRIPTS))
@pytest.mark.slow
def test_bash_parses_and_shellcheck_passes(evil_dir: Path, name: str) -> None:
    parsed = subprocess.run(["bash", "-n", str(evil_dir / name)], capture_output=True, text=True)
    assert parsed.returncode == 0, parsed.stderr
    # SC1003 notes a backslash just before a closing single quote: the hostile text ends so.
    checked = subprocess.run(
        [SHELLCHECK, "-e", "SC1003", str(evil_dir / name)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout


@pytest.mark.parametrize("name", sorted(EVIL_SCRIPTS))
@pytest.mark.parametrize(
    "args", [["--help"], ["--dry-run", "v1.0.1"], ["--dry-run", "--no-db-restore"]]
)
def test_help_and_dry_run_run_nothing(
    evil_dir: Path, repo: Path, tmp_path: Path, name: str, args: list[str]
) -> None:
    if "--no-db-restore" in args and not name.startswith("rollback-production"):
        args = ["--dry-run", "v1.0.1"]
    env = install_fakes(tmp_path / "bin", tmp_path / "calls.log")
    result = run(evil_dir / name, *args, cwd=repo, env=env)
    assert result.returncode in (0, 2), result.stderr
    assert list(repo.rglob("pwned")) == [] and list(tmp_path.rglob("pwned")) == []
    assert list(evil_dir.rglob("pwned")) == []
    assert ssh_calls(tmp_path / "calls.log") == []
    if "--help" in args:
        assert EVIL.splitlines()[0] in result.stdout  # shown as text


def test_dry_run_shows_the_hostile_texts_verbatim(
    evil_dir: Path, repo: Path, tmp_path: Path
) -> None:
    env = install_fakes(tmp_path / "bin", tmp_path / "calls.log")
    result = run(evil_dir / "deploy-staging.sh", "--dry-run", "v1.0.1", cwd=repo, env=env)
    assert result.returncode == 0, result.stderr
    assert f"  DEPLOY_PATH=/srv/{EVIL.splitlines()[0]}" in result.stdout
    assert "asks:" not in result.stdout or "touch pwned" in result.stdout


def test_an_id_that_escaped_validation_is_refused() -> None:
    rb = EVIL_LOADED.runbook
    steps = dict(rb.steps)
    steps["x\ntouch pwned"] = steps["build"]
    proc = rb.procedures["deploy-staging"]
    stage = proc.stages[0].model_copy(update={"steps": ["x\ntouch pwned"]})
    bad = rb.model_copy(
        update={
            "steps": steps,
            "procedures": {"deploy-staging": proc.model_copy(update={"stages": [stage]})},
        }
    )
    loaded = LoadedRunbook(bad, EVIL_LOADED.path, (), "0" * 64, EVIL_LOADED.source_map)
    with pytest.raises(ValueError, match="not a valid id"):
        render_scripts(loaded)
    with pytest.raises(ValueError, match="not a valid id"):
        script_line_map(loaded)


NUMBERS = [
    ("environments", "staging", "ssh_port"),
    ("environments", "staging", "stale_lock_minutes"),
    ("environments", "staging", "keep_releases"),
    ("steps", "build", "timeout"),
    ("steps", "build", "retries"),
    ("steps", "build", "retry_delay"),
    ("procedures", "deploy-staging", "recent_backups"),
]


@pytest.mark.parametrize(("section", "key", "field"), NUMBERS)
def test_a_number_that_escaped_validation_is_refused(section: str, key: str, field: str) -> None:
    """Bash evaluates numbers in arithmetic, where `a[$(cmd)]` runs cmd: only ints render."""
    rb = EVIL_LOADED.runbook
    items = dict(getattr(rb, section))
    items[key] = items[key].model_copy(update={field: "x[$(touch pwned)]"})
    bad = rb.model_copy(update={section: items})
    loaded = LoadedRunbook(bad, EVIL_LOADED.path, (), "0" * 64, EVIL_LOADED.source_map)
    with pytest.raises(ValueError, match="invalid literal for int"):
        render_scripts(loaded)


@pytest.mark.parametrize(
    ("field", "value"),
    [("host", f"h{EVIL}"), ("host", "-oProxyCommand=touch pwned"), ("ssh_user", f"u{EVIL}")],
)
def test_a_host_or_user_that_escaped_validation_is_refused(field: str, value: str) -> None:
    rb = EVIL_LOADED.runbook
    environments = dict(rb.environments)
    environments["staging"] = environments["staging"].model_copy(update={field: value})
    bad = rb.model_copy(update={"environments": environments})
    loaded = LoadedRunbook(bad, EVIL_LOADED.path, (), "0" * 64, EVIL_LOADED.source_map)
    with pytest.raises(ValueError, match="not a valid ssh target"):
        render_scripts(loaded)


def _evil_local_target(tmp: Path, check_contains: str) -> Target:
    """The local target's runbook with hostile text everywhere a run prints or compares it."""
    data = target_runbook(tmp)
    label = EVIL.replace("\n", " ")  # titles and names are one line; prose keeps the break
    data["service"]["name"] = label
    data["environments"]["staging"]["title"] = label
    data["contacts"]["oncall"].update(name=label, role=label)
    data["contacts"]["oncall"]["channels"][0]["value"] = label
    for step in data["steps"].values():
        step["title"] = label
    data["steps"]["hello"]["confirm"] = EVIL
    data["steps"]["check"]["expect"] = {
        "output_contains": check_contains,
        "file": {"path": f"$DEPLOY_PATH/{EVIL}", "min_bytes": 0},
    }
    before, after = EVIL.split("$VERSION")  # the file path expands $VERSION, as documented
    data["steps"]["check"]["command"] = (
        f'touch "$DEPLOY_PATH"/{shlex.quote(before)}"$VERSION"{shlex.quote(after)}; echo checked'
    )
    data["steps"]["undo"]["command"] = "exit 1"  # so a failed check ends in escalation
    procedure = data["procedures"]["deploy"]
    procedure.update(title=label, description=EVIL, post_tasks=[EVIL])
    for stage in procedure["stages"]:
        stage["title"] = label
    return Target(tmp, data)


@pytest.mark.parametrize(
    ("contains", "code"), [("checked", 0), (f"checked {EVIL}", 3)], ids=["success", "escalation"]
)
def test_a_real_run_with_hostile_texts_runs_none_of_them(
    tmp_path: Path, contains: str, code: int
) -> None:
    """Not only --help and --dry-run: a run that asks, compares, reports and escalates."""
    target = _evil_local_target(tmp_path, contains)
    target.serve("v1")
    result = target.run("deploy.sh", "--yes", "v2")
    assert result.returncode == code, result.stdout + result.stderr
    assert [p for p in tmp_path.rglob("pwned")] == []
    first_line = EVIL.splitlines()[0]
    assert f"{first_line}" in result.stdout  # the titles and the confirmation, as text
    if code == 0:
        assert "  - " + first_line in result.stdout  # the post task
    else:
        assert "the output does not contain: checked " + first_line in result.stderr
        assert "pager: " + first_line in result.stderr  # the escalation contact
    assert not (target.srv / ".deploy.lock").exists()
