"""The runtime contract is written where users look, and its two settings are honoured.

The variables, the helpers, the files on the target (`revisions.log`) and the backup names
are the model's field descriptions, so `runbook schema` carries them, and the site's runtime
contract page renders those same texts. The artifact path and the backup suffix are settable;
the scripts and the scenarios compute them from one definition.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from test_scripts_rollback import rollback_runbook
from test_scripts_support import loaded_from
from test_scripts_target import Target, runbook

from runbook.loader import LoadedRunbook, load
from runbook.model import BackupPolicy, Environment, Service, Step
from runbook.model.runtime import (
    BACKUP_NAMES,
    HELPER_FUNCTIONS,
    REVISIONS_LOG,
    RUNTIME_VARIABLES,
    TARGET_FILES,
)
from runbook.schema import json_schema
from runbook.site.pages import contract_example, pages
from scripts_gen import render_scripts, runtime_variables, step_variables

REPO = Path(__file__).resolve().parent.parent


def _schema_description(model: str, field: str) -> str:
    description: str = json_schema()["$defs"][model]["properties"][field]["description"]
    return description


def test_the_schema_describes_every_runtime_variable_and_helper() -> None:
    command = _schema_description("Step", "command")
    for name, text in RUNTIME_VARIABLES.items():
        assert f"`${name}`: {text}" in command
    for name, text in HELPER_FUNCTIONS.items():
        assert f"`{name}`: {text}" in command


def test_the_schema_describes_the_files_on_the_target_and_the_backup_names() -> None:
    deploy_path = _schema_description("Environment", "deploy_path")
    assert REVISIONS_LOG in deploy_path and "`$TIMESTAMP $VERSION $ENVIRONMENT`" in deploy_path
    for path in TARGET_FILES:
        assert f"`{path}`" in deploy_path
    suffix = _schema_description("BackupPolicy", "suffix")
    assert BACKUP_NAMES in suffix
    schema = json_schema()["$defs"]
    assert schema["BackupPolicy"]["properties"]["suffix"]["default"] == ".dump"
    assert schema["Service"]["properties"]["artifact"]["default"] == "build/app-${VERSION}.tar.gz"


def test_the_runtime_page_renders_the_models_own_texts() -> None:
    loaded = load(REPO / "runbook.yaml")
    page = pages(loaded)["reference/runtime.md"]
    texts = [*RUNTIME_VARIABLES.values(), *HELPER_FUNCTIONS.values(), *TARGET_FILES.values()]
    texts += [
        str(Service.model_fields["artifact"].description),
        str(BackupPolicy.model_fields["suffix"].description),
    ]
    for text in texts:
        assert text in page
    assert Step.model_fields["command"].description is not None
    assert Environment.model_fields["deploy_path"].description is not None
    example = contract_example(loaded)["values"]
    assert f"| `$ARTIFACT` | {RUNTIME_VARIABLES['ARTIFACT']} | `{example['ARTIFACT']}` |" in page
    assert example["ARTIFACT"] == "build/app-v1.2.3.tar.gz"
    assert example["BACKUP_FILE"] == "/srv/app/backups/staging-20260117-150000.dump"


def test_the_scripts_page_points_at_the_runtime_contract() -> None:
    site = pages(load(REPO / "runbook.yaml"))
    assert "(runtime.md)" in site["reference/scripts.md"]
    assert "reference/runtime.md#runtime-variables" in site["steps.md"].replace("../", "")


def _settings(data: dict[str, Any]) -> dict[str, Any]:
    data["service"]["artifact"] = "dist/${ENVIRONMENT}/shop-${VERSION}.zip"
    data["backups"] = {"suffix": ".sql.gz"}
    return data


def test_the_settings_change_the_runtime_variables() -> None:
    loaded = loaded_from(_settings(runbook(Path("/srv/x"))))
    values = runtime_variables(loaded, "deploy", "v2", "v1", "20260101-000000")
    assert values["ARTIFACT"] == "dist/staging/shop-v2.zip"
    assert values["BACKUP_SUFFIX"] == ".sql.gz"
    assert values["BACKUP_FILE"] == "/srv/x/srv/backups/staging-20260101-000000.sql.gz"


def test_the_script_computes_every_variable_as_the_scenarios_do(tmp_path: Path) -> None:
    data = _settings(runbook(tmp_path))
    target = Target(tmp_path, data)
    result = target.run("deploy.sh", "--dry-run", "v2")
    assert result.returncode == 0, result.stderr
    printed = dict(re.findall(r"^  ([A-Z_]+)=(.*)$", result.stdout, re.M))
    assert list(printed) == list(RUNTIME_VARIABLES)
    expected = runtime_variables(
        loaded_from(data), "deploy", "v2", printed["PREVIOUS_VERSION"], printed["TIMESTAMP"]
    )
    assert printed == expected
    assert printed["ARTIFACT"] == "dist/staging/shop-v2.zip"


def test_a_rollback_offers_only_backups_with_the_suffix_and_keeps_it(tmp_path: Path) -> None:
    data = _settings(rollback_runbook(tmp_path))
    target = Target(tmp_path, data)
    target.serve("v1", "v2")
    backups = target.srv / "backups"
    backups.mkdir()
    for name in ("chosen.sql.gz", "other.dump"):
        (backups / name).write_text(f"data of {name}\n")
    refused = target.run("back.sh", "--yes", "--backup", "other.dump", "v1")
    assert refused.returncode == 2 and "no backup named 'other.dump'" in refused.stderr
    result = target.run("back.sh", "--yes", "--backup", "chosen.sql.gz", "v1")
    assert result.returncode == 0, result.stderr
    assert (target.srv / "restored").read_text() == "data of chosen.sql.gz\n"
    [safety] = backups.glob("staging-*-safety.sql.gz")
    values = runtime_variables(loaded_from(data), "back", "v1", "v2", safety.name[8:23])
    assert step_variables(loaded_from(data), "back", "dump", values)["BACKUP_FILE"] == str(safety)


@pytest.mark.parametrize("name", ["deploy-staging.sh", "rollback-production.sh"])
def test_the_defaults_keep_the_examples_names(name: str) -> None:
    script = (REPO / "scripts" / name).read_text()
    assert 'export ARTIFACT="build/app-${VERSION}.tar.gz"' in script
    assert "export BACKUP_SUFFIX=.dump" in script
    assert re.search(
        r'"\$\{BACKUP_DIR\}/\$\{ENVIRONMENT\}-\$\{TIMESTAMP\}(-safety)?\.dump"', script
    )


@pytest.mark.parametrize(
    ("section", "field", "value", "error"),
    [
        ("service", "artifact", 'build/"$(touch pwned)".tgz', "not a plain character"),
        ("service", "artifact", "build/${HOME}.tgz", "not a runtime variable"),
        ("backups", "suffix", ".dump`touch pwned`", "not a plain character"),
    ],
)
def test_a_setting_that_escaped_validation_is_refused(
    section: str, field: str, value: str, error: str
) -> None:
    """Both settings are written unquoted inside double quotes: the renderer checks again."""
    loaded = loaded_from(runbook(Path("/srv/x")))
    rb = loaded.runbook
    part = getattr(rb, section).model_copy(update={field: value})
    bad = LoadedRunbook(
        rb.model_copy(update={section: part}), loaded.path, (), "0" * 64, loaded.source_map
    )
    with pytest.raises(ValueError, match=error):
        render_scripts(bad)
