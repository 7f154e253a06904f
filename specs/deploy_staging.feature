Feature: Staging deployment with scripts/deploy-staging.sh
  The staging script deploys the head of develop with no questions asked: checks, tests,
  build, backup, upload, migrate, switch, graceful reload, health check. A release that
  turns out unhealthy after the switch is rolled back by the script itself, and only one
  deploy runs at a time. A probe requests /health the whole time: zero downtime is counted.

  Background:
    Given the target serves v1.0.0
    And a checkout of the service on branch develop

  Scenario: A staging deploy ships the new version with no downtime
    When the release engineer runs "deploy-staging.sh --yes" while the probe watches
    Then the script exits with code 0
    And the deployed version serves
    And a database backup was made before the deploy
    And the migration 002_add_price.sql is applied
    And the steps ran in the documented order of deploy-staging
    And the probe saw no failed request

  Scenario: A release that fails its health check is rolled back automatically
    Given the checkout has a commit that makes the health check fail
    When the release engineer runs "deploy-staging.sh --yes" while the probe watches
    Then the script exits with code 1
    And v1.0.0 serves again
    And the deploy lock is released
    And the log shows the rollback steps of deploy-staging ran
    And the probe saw no failed request besides the broken release's own 503 answers

  Scenario: A second deploy is refused while the first holds the lock
    Given a staging deploy is running and holds the deploy lock
    When the release engineer runs "deploy-staging.sh --yes" while the probe watches
    Then the script exits with code 2
    And the output says the deploy lock is held
    And the deploy that held the lock finishes with code 0
    And the probe saw no failed request

  Scenario: A lock left by a killed deploy is taken over
    Given a staging deploy was killed while it held the deploy lock
    When the release engineer runs "deploy-staging.sh --yes" while the probe watches
    Then the script exits with code 0
    And the output warns that the stale lock was taken over
    And the deployed version serves
    And the deploy lock is released
    And the probe saw no failed request
