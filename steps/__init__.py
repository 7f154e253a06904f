"""pytest-bdd step definitions: the runbook's promises in specs/, run against the target."""
