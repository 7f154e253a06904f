"""The example's own scenario steps, beside the vocabulary that `runbook verify` brings.

`runbook verify` loads every module of `steps/` (except `test_*.py`) as a pytest plugin, so
these definitions serve the example's `specs/*.feature` next to the derived scenarios.
"""

from __future__ import annotations

from typing import Any

from pytest_bdd import parsers, then


@then(parsers.parse("the migration {name} is applied"))
def migration_applied(ssh: Any, name: str) -> None:
    """The example records applied migrations in the table `schema_migrations`."""
    result = ssh.run(
        "psql -X -q -d app -Atc 'select name from schema_migrations order by name'",
        hide=True,
        warn=True,
        in_stream=False,
    )
    assert result.ok, result.stderr
    assert name in result.stdout.split(), result.stdout
