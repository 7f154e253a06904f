Feature: Production deployment with scripts/deploy-production.sh
  Production takes tagged releases from main only, from a clean tree, after two
  confirmations (given with --yes in CI) and a verified backup. Anything the runbook forbids
  is refused before the first change: the target is left exactly as it was.

  Background:
    Given the target serves v1.0.0
    And a checkout of the service on branch main

  Scenario: A tagged release deploys to production with no downtime
    When the release engineer runs "deploy-production.sh v1.0.1 --yes" while the probe watches
    Then the script exits with code 0
    And v1.0.1 serves
    And a database backup was made before the deploy
    And the migration 002_add_price.sql is applied
    And every production endpoint answers as documented
    And the steps ran in the documented order of deploy-production
    And the probe saw no failed request

  Scenario Outline: Production refuses a deploy without a version tag
    When the release engineer runs "<command>"
    Then the script exits with code 2
    And nothing changed on the target

    Examples:
      | command                              |
      | deploy-production.sh --yes           |
      | deploy-production.sh v1.0.2 --yes    |
      | deploy-production.sh 1.0.1 --yes     |

  Scenario: Production refuses to deploy from another branch
    Given the checkout is on branch develop
    When the release engineer runs "deploy-production.sh v1.0.1 --yes"
    Then the script exits with code 2
    And nothing changed on the target

  Scenario: Production refuses to deploy from a dirty working tree
    Given the checkout has an uncommitted change
    When the release engineer runs "deploy-production.sh v1.0.1 --yes"
    Then the script exits with code 2
    And nothing changed on the target

  Scenario: Production refuses without a terminal and without --yes
    When the release engineer runs "deploy-production.sh v1.0.1"
    Then the script exits with code 2
    And nothing changed on the target
