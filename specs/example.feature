Feature: What the example service promises beyond the runbook's own scenarios
  `runbook verify` derives the scenarios of every procedure from runbook.yaml; these are the
  example's own, written with the same vocabulary and one step of its own (steps/).

  Scenario: A staging deploy applies the newest release's migration
    Given the target of deploy-staging serves the baseline release
    And the checkout is on the branch of deploy-staging
    When the release engineer runs deploy-staging while the probe watches
    Then the script exits with code 0
    And the newest release serves
    And the migration 002_add_price.sql is applied
    And the probe saw no failed request
