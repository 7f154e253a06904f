Feature: The emergency procedures' diagnosis commands work on the target
  At 3 a.m. the on-call engineer copies the diagnosis commands from the emergency page and
  runs them on the host. Each must run as the deploy user and tell something.

  Scenario Outline: The diagnosis commands of <emergency> run on the target
    Given the target serves v1.0.0
    When the on-call engineer runs each diagnosis command of <emergency> on the target
    Then every diagnosis command exits with code 0 and prints a result

    Examples:
      | emergency                |
      | application-down         |
      | database-connection-lost |
      | high-error-rate          |
      | external-api-down        |
