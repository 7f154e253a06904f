"""`runbook init`: a stack-neutral project that validates, builds, checks clean and verifies.

One project is scaffolded and built per module (the build runs mkdocs), then each test looks
at one promise. Tests that change files work on their own scaffold. The container test runs
`runbook verify` on a fresh scaffold against its own staging target.
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from pytest_bdd.steps import step_function_context_registry

from runbook import __version__
from runbook.check import run_check
from runbook.cli import main
from runbook.init import FILES, TEMPLATES, context, render_files, scaffold, service_name
from runbook.lint import lint_loaded
from runbook.loader import load
from runbook.scenarios.checkout import Checkout
from runbook.scenarios.releases import Artifacts
from runbook.target.image import definition

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
#: What the bundled example runs on: none of it may leak into a new team's project.
EXAMPLE_STACK = (
    "items-api",
    "gunicorn",
    "supervisor",
    "postgresql",
    "psql",
    "pg_dump",
    "pg_restore",
    "/srv/app",
    "example.internal",
)


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
    assert not (built / "pytest.ini").exists()  # verify brings its own pytest configuration


def test_the_new_runbook_validates_and_lints_clean(built: Path) -> None:
    loaded = load(built / "runbook.yaml")
    rb = loaded.runbook
    assert rb.service.name == "payments-api"
    assert {p.kind.value for p in rb.procedures.values()} == {"deploy", "rollback"}
    assert set(rb.procedures) == {
        "deploy-staging",
        "deploy-production",
        "rollback-staging",
        "rollback-production",
    }
    assert set(rb.environments) == {"staging", "production"}
    production = rb.environments["production"]
    assert production.require_tag and production.confirmations == 1
    for pid, proc in rb.procedures.items():
        assert proc.point_of_no_return, pid
        assert bool(proc.rollback_steps) is (proc.kind.value == "deploy"), pid
    assert rb.checklists and rb.severities and rb.escalation and rb.contacts
    assert lint_loaded(loaded) == []


@pytest.mark.slow
def test_runbook_check_is_clean_after_build(built: Path) -> None:
    result = run([str(BIN / "runbook"), "check"], built)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("ok  runbook.yaml is valid;")


@pytest.mark.slow
def test_mkdocs_build_strict_works(built: Path, tmp_path: Path) -> None:
    result = run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "s")], built
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "s" / "rules" / "RB001.html").is_file()


@pytest.mark.parametrize("name", ["ledger", "My_Service.v2", "x" * 64, "1.0"])
def test_the_name_flows_into_the_site_the_runbook_and_the_target(tmp_path: Path, name: str) -> None:
    scaffold(tmp_path, name=name)
    loaded = load(tmp_path / "runbook.yaml")
    assert lint_loaded(loaded) == []
    rb = loaded.runbook
    label = context(name)["slug"]
    assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", label) and len(label) <= 40
    mkdocs = yaml.safe_load((tmp_path / "mkdocs.yml").read_text(encoding="utf-8"))
    assert mkdocs["site_name"] == f"{name} deployment runbook"
    assert rb.service.name == name
    assert rb.environments["staging"].host == f"staging.{label}.internal"
    assert rb.environments["production"].host == f"{label}.internal"
    assert {env.deploy_path for env in rb.environments.values()} == {f"/opt/{label}"}
    assert f"root /opt/{label}/current/public;" in (tmp_path / "target/nginx.conf").read_text()
    assert rb.target is not None
    assert rb.target.image.files == {
        "target/nginx.conf": f"/etc/nginx/sites-available/{label}",
        "target/sudoers": f"/etc/sudoers.d/{label}",
    }


def test_no_file_names_the_stack_of_the_bundled_example(tmp_path: Path) -> None:
    texts = {f"{rel} ({n})": t for n in ("ledger", "api") for rel, t in render_files(n).items()}
    texts.update({p.name: p.read_text(encoding="utf-8") for p in TEMPLATES.iterdir()})
    for where, text in texts.items():
        found = [word for word in EXAMPLE_STACK if word in text.lower()]
        assert found == [], where


def test_the_target_is_debian_packages_with_the_scaffolds_files(built: Path) -> None:
    rb = load(built / "runbook.yaml").runbook
    assert rb.target is not None
    image = rb.target.image
    assert image.dockerfile is None and "nginx-light" in image.packages
    spec = definition(load(built / "runbook.yaml"))  # every file it copies is in the scaffold
    assert [src.relative_to(built).as_posix() for src, _ in spec.files] == [
        "target/nginx.conf",
        "target/sudoers",
    ]
    sudoers = (built / "target/sudoers").read_text(encoding="utf-8")
    assert "deploy ALL=(root) NOPASSWD: /usr/sbin/nginx -t, /usr/sbin/nginx -s reload" in sudoers
    releases = rb.target.releases
    assert (built / releases.source / "public" / "index.html").is_file()
    assert [v.tag for v in releases.versions] == ["v0.1.0", "v0.2.0"]
    assert "public/UNHEALTHY" in releases.unhealthy.files
    nginx = (built / "target/nginx.conf").read_text(encoding="utf-8")
    assert "if (-f $document_root/UNHEALTHY)" in nginx and "error_page 503 /health.json;" in nginx
    assert rb.target.data is not None and "$MARK" in rb.target.data.write


@pytest.mark.slow
def test_the_build_step_makes_a_release_whose_health_body_names_its_version(
    built: Path, tmp_path: Path
) -> None:
    """The harness builds releases with the runbook's own build step, offline: git and tar."""
    loaded = load(built / "runbook.yaml")
    rb = loaded.runbook
    assert rb.target is not None
    releases = rb.target.releases
    repo = Checkout.create(tmp_path / "repo", built / releases.source, releases, {"develop"})
    artifacts = Artifacts(loaded, repo, tmp_path)
    for version in ("v0.1.0", "v0.2.0"):
        with tarfile.open(fileobj=io.BytesIO(artifacts.get(version))) as tar:
            names = {n.removeprefix("./") for n in tar.getnames()}
            assert {"public/index.html", "public/health.json"} <= names
            assert "public/UNHEALTHY" not in names
            health = tar.extractfile("./public/health.json")
            assert health is not None
            body = health.read().decode()
        assert json.loads(body) == {"service": "payments-api", "version": version}
        assert f'"version": "{version}"' in body  # what the health-check step expects


def test_releases_are_recorded_for_a_rollback_without_a_version(built: Path) -> None:
    rb = load(built / "runbook.yaml").runbook
    command = rb.steps["record-release"].command or ""
    assert '"$TIMESTAMP" "$VERSION" "$ENVIRONMENT" >>"$DEPLOY_PATH/revisions.log"' in command
    for pid, proc in rb.procedures.items():  # recorded once the release proved healthy
        assert proc.step_ids.index("record-release") > proc.step_ids.index("health-check"), pid


def test_the_production_rollback_restores_a_chosen_backup_after_a_safety_backup(
    built: Path,
) -> None:
    rb = load(built / "runbook.yaml").runbook
    assert rb.chooses_backup("rollback-production")
    assert not rb.chooses_backup("rollback-staging")
    ids = rb.procedures["rollback-production"].step_ids
    assert ids.index("backup-data") < ids.index("restore-data")
    assert rb.steps["backup-data"].writes_backup
    assert 'tar -xzf "$BACKUP_FILE"' in (rb.steps["restore-data"].command or "")


def _load_module(path: Path) -> None:
    spec = importlib.util.spec_from_file_location(f"scaffold_steps_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    spec.loader.exec_module(importlib.util.module_from_spec(spec))


def test_the_teams_scenario_uses_the_vocabulary_and_its_own_step(built: Path) -> None:
    """Every line of specs/ matches a step of the shipped vocabulary or of steps/."""
    import runbook.scenarios.given
    import runbook.scenarios.then
    import runbook.scenarios.when  # noqa: F401  (registers the vocabulary)

    shipped = list(step_function_context_registry.values())
    for module in sorted((built / "steps").glob("*.py")):
        assert not module.name.startswith("test_"), module  # verify loads these as plugins
        _load_module(module)
    own = [c for c in step_function_context_registry.values() if c not in shipped]
    assert [c.step_func.__name__ for c in own] == ["health_reports_newest_release"]
    kind = ""
    lines = (built / "specs" / "service.feature").read_text(encoding="utf-8").splitlines()
    steps = [line.strip() for line in lines if re.match(r"\s+(Given|When|Then|And) ", line)]
    assert len(steps) >= 5
    for line in steps:
        keyword, text = line.split(" ", 1)
        kind = kind if keyword == "And" else keyword.lower()
        matching = [
            c
            for c in step_function_context_registry.values()
            if c.type in (kind, None) and c.parser.is_matching(text)
        ]
        assert matching, line
    assert "And the health endpoint reports the newest release as JSON" in steps


def test_gitignore_keeps_what_the_tools_make_out_of_git(built: Path, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(built, repo)
    (repo / "verification.json").write_text("{}")
    (repo / ".runbook" / "logs").mkdir(parents=True)
    (repo / "service" / "build").mkdir()
    assert run(["git", "init", "-q"], repo).returncode == 0
    ignored = ["site/index.html", "verification.json", ".runbook/logs", "service/build"]
    listed = run(["git", "check-ignore", *ignored], repo)
    assert listed.stdout.split() == ignored, listed.stderr
    tracked = ["runbook.yaml", "scripts/deploy-staging.sh", "docs/ops/DEPLOYMENT-RUNBOOK.md"]
    for rel in [*tracked, "service/public/index.html", "steps/service.py"]:
        assert run(["git", "check-ignore", "-q", rel], repo).returncode == 1, rel


def test_the_ci_workflow_installs_the_tool_from_a_package_then_checks_and_verifies(
    built: Path,
) -> None:
    workflow = yaml.safe_load((built / ".github/workflows/runbook.yml").read_text())
    [job] = workflow["jobs"].values()
    assert job["env"]["RUNBOOK_PACKAGE"] == f"runbook=={__version__}"
    commands = [s.get("run", "") for s in job["steps"]]
    assert 'python -m pip install "$RUNBOOK_PACKAGE"' in commands
    text = "\n".join(commands)
    assert "git clone" not in text and " -e " not in text and "://" not in text
    check = commands.index("runbook check --format github")
    assert check < commands.index("runbook verify")


@pytest.mark.slow
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


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["init", str(tmp_path)]).exit_code == 0
    (tmp_path / "runbook.yaml").write_text("service: {name: mine}\n")
    (tmp_path / "steps" / "service.py").unlink()
    result = runner.invoke(main, ["init", str(tmp_path)])
    assert result.exit_code == 2
    assert "refusing to overwrite runbook.yaml, mkdocs.yml, .gitignore" in result.stderr
    assert "steps/service.py" not in result.stderr
    assert "(use --force to replace them)" in result.stderr
    assert (tmp_path / "runbook.yaml").read_text() == "service: {name: mine}\n"
    assert not (tmp_path / "steps" / "service.py").exists()  # nothing was written at all


def test_init_force_overwrites(tmp_path: Path) -> None:
    runner = CliRunner()
    runner.invoke(main, ["init", str(tmp_path), "--name", "ledger"])
    (tmp_path / "runbook.yaml").write_text("service: {name: mine}\n")
    result = runner.invoke(main, ["init", str(tmp_path), "--force", "--name", "ledger"])
    assert result.exit_code == 0, result.output
    assert load(tmp_path / "runbook.yaml").runbook.service.name == "ledger"
    assert "runbook verify" in result.output  # the next steps name the proof


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


@pytest.mark.slow
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
        ("service/public/index.html", False),
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


@pytest.mark.slow
def test_scaffold_checks_clean_in_process(tmp_path: Path) -> None:
    """The same promise as the CLI test, through the library: what CI relies on."""
    CliRunner().invoke(main, ["init", str(tmp_path)])
    from runbook.build import BuildResult, render_outputs, write_outputs

    write_outputs(render_outputs(load(tmp_path / "runbook.yaml")), tmp_path, BuildResult())
    assert [str(i) for i in run_check(tmp_path / "runbook.yaml").issues] == []


# `runbook init` -> build -> check -> verify, from a wheel: tests/test_verify_projects.py.
