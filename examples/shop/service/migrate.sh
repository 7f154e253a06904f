#!/usr/bin/env bash
# Applies the migrations in migrations/NNN_*.sql that table schema_migrations does not list yet,
# in name order, each in its own transaction (with its row in schema_migrations); prints
# `applied <file>` for each. Creates the database (WAL mode) when it does not exist.
# SHOP_DB: the database file (default /opt/shop/shared/shop.db).
set -Eeuo pipefail
umask 027  # the database, its WAL and journal: readable by the service user only
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
db=${SHOP_DB:-/opt/shop/shared/shop.db}
sqlite=(sqlite3 -bail -batch -cmd '.timeout 10000' "$db")

"${sqlite[@]}" 'pragma journal_mode = wal' >/dev/null
"${sqlite[@]}" "create table if not exists schema_migrations (
  name text primary key,
  applied_at text not null default (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')))"
applied=$("${sqlite[@]}" 'select name from schema_migrations')

count=0
shopt -s nullglob
for file in "$here"/migrations/[0-9][0-9][0-9]_*.sql; do
  name=$(basename "$file")
  [[ $name =~ ^[0-9]{3}_[A-Za-z0-9_]+\.sql$ ]] || { echo "bad migration name: $name" >&2; exit 1; }
  if grep -qxF -- "$name" <<<"$applied"; then continue; fi
  # One transaction: with -bail the first error stops sqlite3 before commit, nothing is kept.
  { echo 'begin immediate;'; cat "$file"; echo; echo "insert into schema_migrations (name) values ('$name');"; echo 'commit;'; } |
    "${sqlite[@]}"
  echo "applied $name"
  count=$((count + 1))
done
echo "migrations up to date ($count applied now)"
