#!/usr/bin/env bash
# Applies the migrations in migrations/NNN_*.sql that table schema_migrations does not list
# yet, in name order, each in its own transaction; prints `applied <file>` for each.
set -Eeuo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
psql=(psql -X -q -v ON_ERROR_STOP=1 -d "${ITEMS_DB:-app}")

"${psql[@]}" -c 'create table if not exists schema_migrations
  (name text primary key, applied_at timestamptz not null default now())'
applied=$("${psql[@]}" -Atc 'select name from schema_migrations')

count=0
shopt -s nullglob
for file in "$here"/migrations/[0-9][0-9][0-9]_*.sql; do
  name=$(basename "$file")
  if grep -qxF -- "$name" <<<"$applied"; then continue; fi
  "${psql[@]}" -v name="$name" <<SQL
begin;
\i '$file'
insert into schema_migrations (name) values (:'name');
commit;
SQL
  echo "applied $name"
  count=$((count + 1))
done
echo "migrations up to date ($count applied now)"
