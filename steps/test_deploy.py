"""specs/deploy_staging.feature and deploy_production.feature: the deploy scripts end to end."""

from __future__ import annotations

from typing import Any

import pytest
from pytest_bdd import given, scenarios, then

from steps.conftest import World, wait_for
from steps.probe import Probe
from steps.target_control import DEPLOY

pytestmark = pytest.mark.container
scenarios("deploy_staging.feature", "deploy_production.feature")

LOCK = f"{DEPLOY}/.deploy.lock"


@given("a staging deploy is running and holds the deploy lock", target_fixture="first_probe")
def deploy_holding_lock(world: World, target: Any) -> Probe:
    probe = Probe(target.http_url + "/health")
    probe.start()
    world.background = world.runner.start("deploy-staging.sh --yes")
    wait_for(lambda: world.control.exists(LOCK), 120, "the first deploy to take the lock")
    return probe


@then("the deploy that held the lock finishes with code 0")
def first_finishes(world: World, first_probe: Probe) -> None:
    assert world.background is not None
    run = world.keep(world.background.finish(first_probe))
    world.background = None
    assert run.exit_code == 0, run.output[-3000:]


@given("a staging deploy was killed while it held the deploy lock")
def killed_deploy(world: World) -> None:
    started = world.runner.start("deploy-staging.sh --yes")
    world.background = started
    wait_for(lambda: world.control.exists(LOCK), 120, "the deploy to take the lock")
    started.kill()
    started.process.communicate()
    world.background = None
    assert world.control.exists(LOCK), "the killed deploy left no lock"
