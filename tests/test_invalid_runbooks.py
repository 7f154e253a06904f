"""Invalid runbooks: each file under tests/invalid/ fails with its pinned message and location.

The table pins the first line `runbook validate` prints (after the file name) and how many
problems it reports in all, so any change of wording or position is a deliberate one; each
case runs with libyaml's parser and with PyYAML's own, which must agree.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from runbook.errors import RunbookError
from runbook.loader import load

INVALID = Path(__file__).parent / "invalid"

EXPECTED: dict[str, tuple[str, int]] = {
    "absurd-nesting": ("1:74: nesting deeper than 64 levels", 1),
    "alias-bomb": ("1:24: document expands to more than 200,000 values (alias bomb?)", 1),
    "base-url-invalid": (
        "10:15: environments.staging.base_url: invalid value 'ftp://x' (a URL like http://127.0.0.1 or http://127.0.0.1:8080)",
        1,
    ),
    "artifact-with-shell": (
        "3:13: service.artifact: invalid value 'build/app-$(id).tar.gz' (a path of letters, digits and '._/@+=:,~-', not starting with '-', with ${VERSION} or ${ENVIRONMENT} for the parts that vary)",
        1,
    ),
    "backup-suffix-glob": (
        "67:11: backups.suffix: invalid value '*.dump' (letters, digits, '.', '_' and '-', e.g. '.sql.gz')",
        1,
    ),
    "binary-with-nul": ("1:1: not a text file (it contains NUL bytes)", 1),
    "checklist-before-unknown": (
        "33:23: procedures.deploy-staging.checklist_before: unknown checklist 'befor' (did you mean 'before'?)",
        1,
    ),
    "checklist-unknown-environment": (
        "62:18: checklists.before.environment: unknown environment 'prod'",
        1,
    ),
    "control-character": (
        "2:14: character U+0007 is not allowed in YAML (remove control characters)",
        1,
    ),
    "control-escape": (
        "2:9: service.name: text holds control character U+001B (remove the escape sequence)",
        1,
    ),
    "complex-mapping-key": ("66:3: a mapping key must be a plain value", 1),
    "confirmations-not-met": (
        "35:7: procedures.deploy-staging.stages: environment 'staging' asks for 2 confirmation(s); this procedure asks 0 (add steps with a 'confirm' question)",
        1,
    ),
    "contact-channel-kind-invalid": (
        "47:23: contacts.on-call.channels[0].kind: invalid value 'carrier-pigeon' (expected 'pager', 'phone', 'slack' or 'email')",
        1,
    ),
    "contact-channel-url-not-https": (
        "47:50: contacts.on-call.channels[0].url: invalid value 'javascript:alert(1)' (an https URL of letters, digits and '.-_~/?=&%+', e.g. https://chat.example.com/x)",
        1,
    ),
    "custom-tag": ("1:10: YAML tag '!include' is not allowed (only plain data is read)", 1),
    "deploy-path-relative": (
        "8:18: environments.staging.deploy_path: invalid value 'srv/app' (an absolute path of letters, digits, '.', '_', '-' and '/')",
        1,
    ),
    "deploy-path-with-shell": (
        "8:18: environments.staging.deploy_path: invalid value '/srv/$(rm -rf /)' (an absolute path of letters, digits, '.', '_', '-' and '/')",
        1,
    ),
    "duplicate-escalation-level": (
        "50:13: escalation[1].level: escalation level 1 is defined twice",
        1,
    ),
    "duplicate-key": (
        "14:3: steps.build: duplicate key 'build' (first defined at line 11) (keys must be unique; merge the two entries)",
        1,
    ),
    "empty-file": ("1:1: the file is empty (start with 'service:')", 1),
    "endpoint-status-invalid": (
        "10:41: environments.staging.endpoints[0].status: must be at most 599, got 999",
        1,
    ),
    "escalation-unknown-severity": ("49:86: escalation[0].severities[1]: unknown severity 'P2'", 1),
    "escalation-timings-reversed": (
        "49:3: escalation: a higher escalation level cannot be called earlier than a lower one",
        1,
    ),
    "host-with-shell": (
        "6:11: environments.staging.host: invalid value 'staging;$(reboot)' (a host name or IPv4 address)",
        1,
    ),
    "id-too-long": (
        "23:3: steps.rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr: invalid id 'rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr' (use lower-case letters, digits and single dashes, at most 64)",
        1,
    ),
    "include-itself": (
        "1:11: include: include-itself.yaml is already being included (an include cycle)",
        1,
    ),
    "include-missing-file": ("1:11: include[0]: included file not found: missing.yaml", 1),
    "kind-invalid": (
        "30:11: procedures.deploy-staging.kind: invalid value 'redeploy' (expected 'deploy' or 'rollback')",
        1,
    ),
    "metric-below-reversed": (
        "65:13: monitoring.metrics.errors: critical (5) must be below warning (1) when direction is 'below'",
        1,
    ),
    "metric-thresholds-reversed": (
        "65:13: monitoring.metrics.errors: critical (1) must be above warning (5) when direction is 'above'",
        1,
    ),
    "metric-emergency-unknown": (
        "66:46: monitoring.metrics.errors.emergency: unknown emergency 'app-dwn' (did you mean 'app-down'?)",
        1,
    ),
    "metric-for-invalid": (
        "66:40: monitoring.metrics.errors.for: invalid value '5 minutes' (a duration like 30s, 5m or 1h30m)",
        1,
    ),
    "missing-service-name": ("2:3: service.name: missing required key 'name'", 1),
    "missing-service": ("1:1: service: missing required key 'service'", 1),
    "name-wrong-type": ("2:9: service.name: expected text, got a list", 1),
    "negative-retries": ("14:14: steps.build.retries: must be at least 0, got -1", 1),
    "not-utf8": ("2:12: not valid UTF-8 (byte 0xe9) (save the file as UTF-8)", 1),
    "on-failure-invalid": (
        "22:17: steps.switch.on_failure: invalid value 'explode' (expected 'abort', 'rollback' or 'continue')",
        1,
    ),
    "only-comments": ("1:1: the file is empty (start with 'service:')", 1),
    "performance-duration-without-procedure": (
        "67:5: performance[0]: a duration target names the procedure whose runs it measures",
        1,
    ),
    "performance-unit-mismatch": (
        "67:5: performance[0]: unit 'minutes' does not fit duration: use 's', 'min', 'h' or 'd'",
        1,
    ),
    "performance-unknown-procedure": (
        "67:75: performance[0].procedure: unknown procedure 'deploy-prod'",
        1,
    ),
    "point-of-no-return-outside-procedure": (
        "38:25: procedures.deploy-staging.point_of_no_return: step 'restore' is not one of this procedure's steps",
        1,
    ),
    "point-of-no-return-without-rollback": (
        "29:5: procedures.deploy-staging.rollback_steps: a point of no return needs rollback steps",
        1,
    ),
    "python-tag": (
        "1:10: YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed (only plain data is read)",
        1,
    ),
    "require-tag-not-bool": (
        "10:18: environments.staging.require_tag: expected true or false, got 'maybe'",
        1,
    ),
    "runs-on-invalid": (
        "16:14: steps.backup.runs_on: invalid value 'remotely' (expected 'local' or 'remote')",
        1,
    ),
    "script-name-invalid": (
        "32:13: procedures.deploy-staging.script: invalid value 'deploy staging.sh' (a file name like 'deploy-staging.sh')",
        1,
    ),
    "script-used-twice": (
        "32:13: procedures.again.script: script 'deploy-staging.sh' is used twice",
        2,
    ),
    "self-referencing-anchor": (
        "1:10: an anchor refers to itself (self-referencing aliases are refused)",
        1,
    ),
    "severity-defined-twice": ("41:13: severities[0].level: severity 'P0' is defined twice", 2),
    "severity-out-of-range": (
        "42:13: severities[1].level: invalid value 'P5' (P0, P1, P2 or P3)",
        1,
    ),
    "ssh-port-out-of-range": (
        "8:15: environments.staging.ssh_port: must be at most 65535, got 70000",
        1,
    ),
    "ssh-user-invalid": (
        "7:15: environments.staging.ssh_user: invalid value 'Root User' (a POSIX user name)",
        1,
    ),
    "stages-empty": ("33:13: procedures.deploy-staging.stages: must not be empty", 1),
    "step-id-underscore": (
        "23:3: steps.restore_old: invalid id 'restore_old' (use lower-case letters, digits and single dashes, at most 64)",
        1,
    ),
    "step-id-uppercase": (
        "11:3: steps.Build: invalid id 'Build' (use lower-case letters, digits and single dashes, at most 64)",
        1,
    ),
    "step-twice-in-procedure": (
        "29:5: procedures.deploy-staging: step 'build' appears twice; a procedure runs each step once",
        1,
    ),
    "step-without-action": (
        "12:5: steps.build: a step needs a `command`, a `confirm` question, or both",
        1,
    ),
    "steps-is-a-list": ("10:8: steps: expected a mapping, got a list", 1),
    "syntax-error-indentation": (
        "3:2: YAML syntax error: expected <block end>, but found '<block mapping start>'",
        1,
    ),
    "tab-indentation": (
        "2:1: YAML syntax error: found character '\\t' that cannot start any token",
        1,
    ),
    "tag-pattern-invalid": (
        "10:18: environments.staging.tag_pattern: not a POSIX extended regular expression (bash's =~): unterminated '['",
        1,
    ),
    "timeout-not-a-number": ("14:14: steps.build.timeout: expected an integer, got 'soon'", 1),
    "top-level-list": (
        "1:1: a runbook must be a mapping of sections, got a list (start with 'service:')",
        1,
    ),
    "top-level-scalar": (
        "1:1: a runbook must be a mapping of sections, got a single value (start with 'service:')",
        1,
    ),
    "two-documents": (
        "66:1: a runbook file holds one YAML document; found another (remove the extra '---' or split the file and use 'include')",
        1,
    ),
    "unclosed-quote": ("17:30: YAML syntax error: expected <block end>, but found '<scalar>'", 1),
    "unknown-contact": (
        "49:25: escalation[0].contact: unknown contact 'on-cal' (did you mean 'on-call'?)",
        1,
    ),
    "unknown-environment": (
        "31:18: procedures.deploy-staging.environment: unknown environment 'stagin' (did you mean 'staging'?)",
        1,
    ),
    "unknown-escalation-level": (
        "57:18: emergencies.app-down.escalate_to: unknown escalation level 9",
        1,
    ),
    "unknown-rollback-step": (
        "39:22: procedures.deploy-staging.rollback_steps[0]: unknown step 'restor' (did you mean 'restore'?)",
        1,
    ),
    "unknown-severity": ("53:15: emergencies.app-down.severity: unknown severity 'P2'", 1),
    "unknown-step-key": (
        "14:5: steps.build.retires: unknown key 'retires' (did you mean 'retries'?)",
        1,
    ),
    "unknown-step-reference": (
        "35:24: procedures.deploy-staging.stages[0].steps[1]: unknown step 'bakup' (did you mean 'backup'?)",
        1,
    ),
    "unknown-top-level-key": ("1:1: servce: unknown key 'servce' (did you mean 'service'?)", 1),
}


def test_every_case_file_has_an_expectation() -> None:
    files = {p.stem for p in INVALID.glob("*.yaml")}
    assert files == set(EXPECTED)
    assert len(files) >= 40


#: Cases that take seconds, not milliseconds: the quick run (`./dev quick`) leaves them out.
SLOW = {"alias-bomb"}


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in sorted(EXPECTED)]
)
def test_invalid_runbook_is_refused_with_located_message(
    name: str, monkeypatch: pytest.MonkeyPatch, yaml_parser: str
) -> None:
    monkeypatch.chdir(INVALID)
    expected_first, expected_count = EXPECTED[name]
    with pytest.raises(RunbookError) as caught:
        load(f"{name}.yaml")
    lines = caught.value.lines(limit=100)
    assert len(lines) == expected_count
    first = lines[0]
    if first.startswith(f"{name}.yaml:"):
        first = first.removeprefix(f"{name}.yaml:")
    assert first == expected_first
    assert caught.value.exit_code == 2
