"""Files that cannot be read as runbooks: one located line and exit 2, never a traceback.

A name too long for the file system, a permission error, a directory, a device or a pipe, and an
absolute include are each refused where they are named: the command line for the main file,
the ``include`` entry for an included one.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from runbook.cli import main
from runbook.errors import RunbookError
from runbook.loader import load
from runbook.yamlsrc import MAX_NODES

MINIMAL = Path(__file__).parent / "data" / "minimal.yaml"
LONG_NAME = "a" * 300 + ".yaml"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copy(MINIMAL, tmp_path / "runbook.yaml")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _validate(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["validate", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stderr


def _include(project: Path, name: str) -> None:
    text = (project / "runbook.yaml").read_text()
    (project / "runbook.yaml").write_text(f"include: [{name!r}]\n" + text)


def test_a_main_file_name_too_long_is_one_line(project: Path) -> None:
    code, err = _validate(LONG_NAME)
    assert code == 2
    assert err == f"cannot read {LONG_NAME}: the file name is too long\n"


@pytest.mark.parametrize(
    ("setup", "name", "message"),
    [
        (None, LONG_NAME, f"cannot read {LONG_NAME}: the file name is too long"),
        (None, "missing.yaml", "included file not found: missing.yaml"),
        ("fifo", "pipe.yaml", "pipe.yaml is not a regular file"),
        ("dir", "folder", "folder is a directory, not a runbook file"),
        (None, "/dev/zero", "an include is a path relative to the file that names it"),
        (None, "/etc/hostname", "an include is a path relative to the file that names it"),
        (None, "~/runbook.yaml", "an include is a path relative to the file that names it"),
    ],
)
def test_an_include_that_cannot_be_read_is_located_at_its_entry(
    project: Path, setup: str | None, name: str, message: str
) -> None:
    if setup == "fifo":
        os.mkfifo(project / name)
    elif setup == "dir":
        (project / name).mkdir()
    _include(project, name)
    code, err = _validate()
    assert code == 2
    assert err == f"runbook.yaml:1:11: include[0]: {message}\n"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_include_is_one_line(project: Path) -> None:
    (project / "secret.yaml").write_text("steps: {}\n")
    (project / "secret.yaml").chmod(0)
    _include(project, "secret.yaml")
    code, err = _validate()
    assert (code, err) == (
        2,
        "runbook.yaml:1:11: include[0]: cannot read secret.yaml: Permission denied\n",
    )


def test_an_include_below_an_unreadable_directory_is_one_line(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def denied(self: Path, *args: object, **kwargs: object) -> os.stat_result:
        raise PermissionError(13, "Permission denied", str(self))

    _include(project, "locked/part.yaml")
    real_stat = Path.stat
    monkeypatch.setattr(
        Path,
        "stat",
        lambda self, **kw: denied(self) if "locked" in str(self) else real_stat(self, **kw),
    )
    code, err = _validate()
    assert (code, err) == (
        2,
        "runbook.yaml:1:11: include[0]: cannot read locked/part.yaml: permission denied\n",
    )


@pytest.mark.slow
def test_nodes_are_counted_while_parsing(tmp_path: Path) -> None:
    """A flow list of more values than allowed stops at the first one past the limit."""
    path = tmp_path / "dense.yaml"
    path.write_text("steps: [" + "1," * (MAX_NODES + 10) + "1]\n")
    with pytest.raises(RunbookError) as info:
        load(path)
    assert str(info.value.problems[0]).endswith(f"document holds more than {MAX_NODES:,} values")
    assert ":1:" in str(info.value.problems[0])
