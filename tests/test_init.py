"""`runbook init`: the new project validates, builds, checks clean, and its scenarios run.

One project is scaffolded and built per module (the build runs mkdocs), then each test looks
at one promise. Tests that change files work on their own scaffold.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from runbook.check import run_check
from runbook.cli import main
from runbook.init import FILES, TEMPLATES, render_files, service_name
from runbook.lint import lint_loaded
from runbook.loader import load

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _env() -> dict[str, str]:
    """The environment of a user whose PATH has this installation's `runbook` and tools."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_"))}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["NO_COLOR"] = "1"
    env["NO_MKDOCS_2_WARNING"] = "1"
    return env


def run(args: list[str], cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scaffold in a fresh directory, after `runbook init` and `runbook build`."""
    root = tmp_path_factory.mktemp("scaffold") / "payments-api"
    result = run([str(BIN / "runbook"), "init", str(root)], REPO)
    assert result.returncode == 0, result.stderr
    result = run([str(BIN / "runbook"), "build"], root)
    assert result.returncode == 0, result.stdout + result.stderr
    return root


def test_init_writes_every_file(built: Path) -> None:
    for rel in FILES:
        assert (built / rel).is_file(), rel
    assert (built / "site" / "index.html").is_file()


def test_the_new_runbook_validates_and_lints_clean(built: Path) -> None:
    loaded = load(built / "runbook.yaml")
    assert loaded.runbook.service.name == "payments-api"
    assert {p.kind.value for p in loaded.runbook.procedures.values()} == {"deploy", "rollback"}
    assert set(loaded.runbook.environments) == {"staging", "production"}
    assert loaded.runbook.checklists and loaded.runbook.severities and loaded.runbook.escalation
    assert lint_loaded(loaded) == []


def test_runbook_check_is_clean_after_build(built: Path) -> None:
    result = run([str(BIN / "runbook"), "check"], built)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("ok  runbook.yaml is valid;")


def test_mkdocs_build_strict_works(built: Path, tmp_path: Path) -> None:
    result = run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "s")], built
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "s" / "rules" / "RB001.html").is_file()


def test_the_starter_scenarios_run(built: Path) -> None:
    result = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], built)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 passed" in result.stdout


def test_the_starter_scenarios_catch_a_script_that_lost_a_step(built: Path, tmp_path: Path) -> None:
    copy = tmp_path / "project"
    shutil.copytree(built, copy, ignore=shutil.ignore_patterns("site"))
    script = copy / "scripts" / "deploy-staging.sh"
    script.write_text(script.read_text().replace("Run database migrations", "Migrate"))
    result = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], copy)
    assert result.returncode == 1
    assert "step migrate ('Run database migrations') missing or out of order" in result.stdout


def test_the_pre_commit_hook_runs_runbook_check(built: Path, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(built, repo, ignore=shutil.ignore_patterns("site", ".pytest_cache"))
    git = ["git", "-c", "user.name=ci", "-c", "user.email=ci@example.invalid"]
    for args in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "scaffold"]):
        assert run([*git, *args], repo).returncode == 0
    hook = [str(BIN / "pre-commit"), "run", "--all-files"]
    clean = run(hook, repo)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    script = repo / "scripts" / "rollback-staging.sh"
    script.write_text(script.read_text() + "# edited by hand\n")
    dirty = run(hook, repo)
    assert dirty.returncode == 1
    assert "scripts/rollback-staging.sh" in dirty.stdout


def test_config_files_point_at_the_tool(built: Path) -> None:
    mkdocs = (built / "mkdocs.yml").read_text()
    assert "font: false" in mkdocs and "- search" in mkdocs and "- runbook:" in mkdocs
    hooks = yaml.safe_load((built / ".pre-commit-config.yaml").read_text())
    [repo] = hooks["repos"]
    assert repo["repo"] == "local"
    assert [(h["id"], h["entry"]) for h in repo["hooks"]] == [("runbook-check", "runbook check")]
    workflow = yaml.safe_load((built / ".github/workflows/runbook.yml").read_text())
    commands = [s.get("run", "") for s in workflow["jobs"]["check"]["steps"]]
    assert any(c.startswith("runbook check --verify") for c in commands)
    assert "mkdocs build --strict --site-dir site" in commands


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["init", str(tmp_path)]).exit_code == 0
    (tmp_path / "runbook.yaml").write_text("service: {name: mine}\n")
    (tmp_path / "pytest.ini").unlink()
    result = runner.invoke(main, ["init", str(tmp_path)])
    assert result.exit_code == 2
    assert "refusing to overwrite runbook.yaml, mkdocs.yml, specs/runbook.feature" in result.stderr
    assert "pytest.ini," not in result.stderr and "(use --force to replace them)" in result.stderr
    assert (tmp_path / "runbook.yaml").read_text() == "service: {name: mine}\n"
    assert not (tmp_path / "pytest.ini").exists()  # nothing was written at all


def test_init_force_overwrites(tmp_path: Path) -> None:
    runner = CliRunner()
    runner.invoke(main, ["init", str(tmp_path), "--name", "ledger"])
    (tmp_path / "runbook.yaml").write_text("service: {name: mine}\n")
    result = runner.invoke(main, ["init", str(tmp_path), "--force", "--name", "ledger"])
    assert result.exit_code == 0, result.output
    assert load(tmp_path / "runbook.yaml").runbook.service.name == "ledger"


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--name", "bad name"], "letters, digits"), (["--name", "-x"], "letters, digits")],
)
def test_init_refuses_a_bad_name(tmp_path: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["init", str(tmp_path / "p"), *args])
    assert result.exit_code == 2 and message in result.output
    assert not (tmp_path / "p").exists()


def test_init_into_a_file_is_unusable(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    result = CliRunner().invoke(main, ["init", str(tmp_path / "f")])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("directory", "name"),
    [("Payments API", "payments-api"), ("svc_2", "svc-2"), ("___", "my-service")],
)
def test_service_name_from_directory(tmp_path: Path, directory: str, name: str) -> None:
    assert service_name(tmp_path / directory) == name
    assert yaml.safe_load(render_files(name)["runbook.yaml"])["service"]["name"] == name


def test_every_template_is_used_and_shipped_as_package_data() -> None:
    on_disk = {p.name for p in TEMPLATES.iterdir()}
    assert on_disk == set(FILES.values())
    package_data = "*.j2"  # pyproject.toml: [tool.setuptools.package-data] includes it
    assert f'"{package_data}"' in (REPO / "pyproject.toml").read_text()
    assert all(name.endswith(".j2") for name in on_disk)


def test_repository_pre_commit_hooks() -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    by_id = {h["id"]: h for h in hooks}
    assert set(by_id) == {"runbook-check", "runbook-validate"}
    assert by_id["runbook-check"]["entry"] == "runbook check"
    assert by_id["runbook-validate"]["entry"] == "runbook validate"
    assert all(h["language"] == "python" and h["pass_filenames"] is False for h in hooks)
    manifest = run([str(BIN / "pre-commit"), "validate-manifest", ".pre-commit-hooks.yaml"], REPO)
    assert manifest.returncode == 0, manifest.stdout + manifest.stderr


@pytest.mark.parametrize(
    ("path", "runs"),
    [
        ("runbook.yaml", True),
        ("runbook/steps.yaml", True),  # a file the runbook includes
        ("scripts/deploy-staging.sh", True),
        ("docs/ops/DEPLOYMENT-RUNBOOK.md", True),
        ("runbook.schema.json", True),
        ("README.md", False),
        ("example/service/app.py", False),
    ],
)
def test_the_hooks_run_on_every_file_the_runbook_or_its_outputs_may_be(
    built: Path, path: str, runs: bool
) -> None:
    scaffold = yaml.safe_load((built / ".pre-commit-config.yaml").read_text())["repos"][0]
    ours = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    for hook in [*scaffold["hooks"], *(h for h in ours if h["id"] == "runbook-check")]:
        assert bool(re.search(hook["files"], path)) is runs, (hook["id"], path)
    [validate] = [h for h in ours if h["id"] == "runbook-validate"]
    assert bool(re.search(validate["files"], path)) is path.endswith(".yaml")


def test_scaffold_pre_commit_config_is_valid(built: Path) -> None:
    config = run([str(BIN / "pre-commit"), "validate-config", ".pre-commit-config.yaml"], built)
    assert config.returncode == 0, config.stdout + config.stderr


def test_scaffold_checks_clean_in_process(tmp_path: Path) -> None:
    """The same promise as the CLI test, through the library: what CI relies on."""
    CliRunner().invoke(main, ["init", str(tmp_path)])
    from runbook.build import BuildResult, render_outputs, write_outputs

    write_outputs(render_outputs(load(tmp_path / "runbook.yaml")), tmp_path, BuildResult())
    assert [str(i) for i in run_check(tmp_path / "runbook.yaml").issues] == []
