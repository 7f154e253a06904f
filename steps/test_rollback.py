"""specs/rollback.feature: the rollback scripts end to end, with a database restore."""

from __future__ import annotations

import pytest
from pytest_bdd import given, parsers, scenarios, then

from steps.conftest import World
from steps.target_control import DEPLOY

pytestmark = pytest.mark.container
scenarios("rollback.feature")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@given(parsers.parse('an item "{name}" is stored'))
def store_item(world: World, name: str) -> None:
    world.control.sql(f"insert into items (name) values ({_literal(name)})")


@given(parsers.parse('a backup named "{name}" is made'))
def named_backup(world: World, name: str) -> None:
    world.control.deploy_user(f"pg_dump --format=custom --file={DEPLOY}/backups/{name} app")


@then(parsers.parse('the item "{name}" is there'))
def item_there(world: World, name: str) -> None:
    assert world.control.sql(f"select count(*) from items where name = {_literal(name)}") == "1"


@then(parsers.parse('the item "{name}" is not there'))
def item_gone(world: World, name: str) -> None:
    assert world.control.sql(f"select count(*) from items where name = {_literal(name)}") == "0"


@then("a safety backup was made before the restore")
def safety_backup(world: World) -> None:
    new = set(world.control.backups()) - set(world.backups_before)
    assert new, "no safety backup in the backups directory"
    for name in new:
        world.control.deploy_user(f"pg_restore --list {DEPLOY}/backups/{name} >/dev/null")
