Feature: The runbook's alerts fire on the staging target and lead to the right page
  `runbook build` turns each metric's query, thresholds and emergency into alert rules
  (monitoring/alert-rules.yml). Here a real Prometheus, on this machine and bound to
  127.0.0.1, scrapes the target's /metrics every second with those rules loaded (steps of
  the example's own, in steps/prometheus_steps.py).

  Scenario: An unhealthy production release fires the application-down alert until the automatic rollback
    Given the target of deploy-production serves the baseline release
    And the checkout is on the branch of deploy-production
    And the checkout has a release that fails its health check
    And Prometheus scrapes the staging target with the runbook's alert rules
    And Prometheus records availability at 100 with no alert
    When the release engineer runs deploy-production while the probe watches
    Then the script exits with code 3
    And the baseline release serves again
    And the report ends with what serves, the lock and the next command
    And the critical alert of availability fires with the runbook_url of the emergency application-down
    And that alert resolves
