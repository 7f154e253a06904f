Feature: Every documented step works on its own
  Each procedure page shows its steps one by one, with the command to copy. Run on their
  own, in the page's order, against the staging target, each step meets the expectation the
  runbook documents for it: the exit code, the output it must contain, the file it must
  leave behind. Local steps run in a checkout of the service, remote steps over SSH, both
  with the same variables and helpers the generated scripts use.

  Scenario Outline: The steps of <procedure> meet their expectations when run one by one
    Given the staging target is prepared for <procedure>
    When each step of <procedure> is run on its own, as its page shows it
    Then every step of <procedure> meets its documented expectation

    Examples:
      | procedure           |
      | deploy-staging      |
      | deploy-production   |
      | rollback-staging    |
      | rollback-production |
