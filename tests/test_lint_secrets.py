"""RB008's patterns: a secret written out is found; a reference to the environment is not."""

from __future__ import annotations

import pytest

from runbook.lint.secrets import find_secret

SECRETS = [
    ("PGPASSWORD=hunter22 psql -d app", "a literal secret"),
    ("mysql --password=s3cret1 app", "a literal secret"),
    ("deploy --api-key abcd1234efgh", "a literal secret"),
    ("export API_KEY='abcd1234'", "a literal secret"),
    ("AUTH_TOKEN=abcdef12 ./notify", "a literal secret"),
    ('curl -H "Authorization: Bearer abcdef123456" https://x', "a bearer token"),
    ("psql postgres://app:pw123@db/app", "a password in a URL"),
    ("curl -u admin:hunter2 http://127.0.0.1/", "a password in a --user option"),
    ("sshpass -p hunter2 ssh host", "a password for sshpass"),
    ("aws configure set aws_access_key_id AKIAABCDEFGHIJKLMNOP", "an AWS access key"),
    ("printf '%s' '-----BEGIN OPENSSH PRIVATE KEY-----' > key", "a private key"),
    ("gh auth login --with-token ghp_abcdefghijklmnopqrstuvwxyz0123456789", "a GitHub token"),
    ("curl -d token=xoxb-1234567890-abcdef https://slack.example", "a Slack token"),
]
CLEAN = [
    'PGPASSWORD="$DB_PASSWORD" psql -d app',
    "PGPASSWORD=${DB_PASSWORD} psql -d app",
    'mysql --password "$DB_PW" app',
    'curl -H "Authorization: Bearer $TOKEN" https://x',
    "psql postgres://app:$DB_PASSWORD@db/app",
    'curl -u "admin:$ADMIN_PASSWORD" http://127.0.0.1/',
    'sshpass -p "$SSH_PASSWORD" ssh host',
    'TOKEN="$(cat /run/secrets/token)"',
    "ssh -o PasswordAuthentication=no host",
    "read -rs password",
    "sort -u a:b",
    "git grep -nIiE '(password|secret|api_key|token)[[:space:]]*=' -- .",
    'pg_dump --format=custom --file="$BACKUP_FILE" app',
    "curl http://user@127.0.0.1/",
]


@pytest.mark.parametrize(("command", "what"), SECRETS)
def test_secret_found(command: str, what: str) -> None:
    assert find_secret(command) == what


@pytest.mark.parametrize("command", CLEAN)
def test_no_secret(command: str) -> None:
    assert find_secret(command) is None
