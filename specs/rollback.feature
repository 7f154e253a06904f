Feature: Rollback with scripts/rollback-production.sh and scripts/rollback-staging.sh
  A rollback points `current` back at an earlier release and reloads gracefully. In
  production it may also restore the database from a backup the operator chooses, after a
  safety backup of the present state.

  Scenario: Roll production back to the previous version and restore a chosen backup
    Given the target serves v1.0.0
    And an item "written before the backup" is stored
    And a backup named "production-20260101-120000.dump" is made
    And v1.0.1 was deployed after it
    And an item "written after the backup" is stored
    When the release engineer runs "rollback-production.sh --yes --backup production-20260101-120000.dump" while the probe watches
    Then the script exits with code 0
    And v1.0.0 serves again
    And the item "written before the backup" is there
    And the item "written after the backup" is not there
    And a safety backup was made before the restore
    And the steps ran in the documented order of rollback-production
    And the probe saw no failed request

  Scenario: Roll staging back to the previous version
    Given the target serves v1.0.0
    And v1.0.1 was deployed after it
    When the release engineer runs "rollback-staging.sh --yes" while the probe watches
    Then the script exits with code 0
    And v1.0.0 serves again
    And the steps ran in the documented order of rollback-staging
    And the probe saw no failed request
