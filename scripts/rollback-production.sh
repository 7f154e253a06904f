#!/usr/bin/env bash
# GENERATED FILE: do not edit. Changes belong in the runbook, then regenerate.
# Source:     runbook.yaml (sha256 df24bc4993ad86ee1c15a95bfb21c020f2a4094d2ffac91c936a0f4ea75eb677)
# Procedure:  rollback-production
# Regenerate: runbook build
# Help:       rollback-production.sh --help
# shellcheck disable=SC2016,SC2089,SC2090,SC2100,SC2329
# SC2016, SC2089, SC2090: text from the runbook, and the helpers sent to the target, are
# single-quoted on purpose so that nothing in them expands on this machine.
# SC2100: a bare file name such as rollback-production.sh is a word, not arithmetic.
# SC2329: the exit trap's functions, and the helpers handed to local steps with `declare -f`.
#
# Reading order: the procedure first (its stages, then one block per step: the step's settings
# by name and its command exactly as the runbook writes it), then the values from the runbook,
# then the library that runs the blocks. Nothing runs before the last line calls _rb_main.
set -Eeuo pipefail

# ---------------------------------------------------------------- the procedure
# Its stages and steps in the order they run; each step's block follows.
_rb_steps() {
  _rb_stage 1 'Identify the target version'
  _rb_step_1  # show-releases
  _rb_step_2  # check-release-exists
  _rb_stage 2 'Choose a backup'
  _rb_step_3  # list-backups
  _rb_stage 3 'Confirm and take a safety backup'
  _rb_step_4  # confirm-rollback
  _rb_step_5  # backup-database
  _rb_step_6  # confirm-proceed
  _rb_stage 4 'Roll back code and data'
  _rb_step_7  # switch-release
  _rb_step_8  # restore-database
  _rb_stage 5 Restart
  _rb_step_9  # reload-app
  _rb_stage 6 Verify
  _rb_step_10  # health-check
  _rb_step_11  # test-endpoints
  _rb_step_12  # record-release
}

# Each block runs one step with `_rb_run` (in the library below, where its settings are
# explained): the step's settings by name, then its command exactly as in the runbook, between
# <<'COMMAND' and the line COMMAND. In that quoted here-document nothing expands on this
# machine; a remote step's command runs on the target.
_rb_step_1() {  # step: show-releases
  _rb_run number=1 id=show-releases title='Show the serving and available releases' \
    runs_on=remote reaches_target=1 timeout=10 retries=0 retry_delay=2 on_failure=abort \
    expect_exit_code=0 <<'COMMAND'
echo "serving: $(basename "$(readlink "$CURRENT_LINK")")"
echo "rolling back to: $VERSION"
ls -1t "$RELEASES_DIR"
tail -n 5 "$DEPLOY_PATH/revisions.log"
COMMAND
}
_rb_step_2() {  # step: check-release-exists
  _rb_run number=2 id=check-release-exists title='Check the target release is on the host' \
    runs_on=remote reaches_target=1 timeout=10 retries=0 retry_delay=2 on_failure=abort \
    expect_exit_code=0 expect_output="release ${VERSION} present" <<'COMMAND'
test -f "$RELEASE_DIR/app.py" && echo "release $VERSION present"
COMMAND
}
_rb_step_3() {  # step: list-backups
  _rb_run number=3 id=list-backups title='List the recent backups' \
    runs_on=remote reaches_target=1 timeout=10 retries=0 retry_delay=2 on_failure=abort \
    expect_exit_code=0 <<'COMMAND'
found=$(ls -1t "$BACKUP_DIR"/*.dump 2>/dev/null | head -n 5 || true)
echo "${found:-no backup in $BACKUP_DIR yet}"
COMMAND
}
_rb_step_4() {  # step: confirm-rollback
  _rb_run number=4 id=confirm-rollback title='Confirm the rollback' \
    runs_on=local reaches_target=0 timeout=300 retries=0 retry_delay=2 on_failure=abort \
    confirm="THIS WILL ROLL BACK PRODUCTION to ${VERSION}. Are you SURE?" \
    expect_exit_code=0 <<'COMMAND'
COMMAND
}
_rb_step_5() {  # step: backup-database
  local BACKUP_FILE=$_RB_SAFETY_BACKUP  # the safety backup; the chosen one stays for the restore
  _rb_run number=5 id=backup-database title='Back up the database' \
    runs_on=remote reaches_target=1 timeout=900 retries=0 retry_delay=2 on_failure=abort \
writes_backup=1 \
    expect_exit_code=0 expect_file="${BACKUP_FILE}" expect_min_bytes=1 <<'COMMAND'
mkdir -p "$BACKUP_DIR"
pg_dump --format=custom --file="$BACKUP_FILE" app
ls -l "$BACKUP_FILE"
COMMAND
  [ "$_RB_DRY_RUN" = 0 ] ||
    printf '        (here BACKUP_FILE is the safety backup; the chosen one is kept for the restore)\n'
}
_rb_step_6() {  # step: confirm-proceed
  _rb_run number=6 id=confirm-proceed title='Confirm the rollback plan' \
    runs_on=local reaches_target=0 timeout=300 retries=0 retry_delay=2 on_failure=abort \
    confirm="Proceed with rollback to ${VERSION} (database backup '${BACKUP_FILE}')?" \
    expect_exit_code=0 <<'COMMAND'
COMMAND
}
_rb_step_7() {  # step: switch-release
  _rb_run number=7 id=switch-release title='Switch the current release' \
    runs_on=remote reaches_target=1 timeout=30 retries=0 retry_delay=2 on_failure=rollback \
    expect_exit_code=0 <<'COMMAND'
ln -sfn "$RELEASE_DIR" "$CURRENT_LINK.next"
mv -T "$CURRENT_LINK.next" "$CURRENT_LINK"
readlink "$CURRENT_LINK"
COMMAND
}
_rb_step_8() {  # step: restore-database
  _rb_run number=8 id=restore-database title='Restore the database from the chosen backup' \
    runs_on=remote reaches_target=1 timeout=1800 retries=0 retry_delay=2 on_failure=abort \
    confirm="Restore the database from '${BACKUP_FILE}'? Rows written since then are lost." \
    expect_exit_code=0 <<'COMMAND'
if [ -z "$BACKUP_FILE" ]; then echo "database restore skipped"; exit 0; fi
test -f "$BACKUP_FILE"
pg_restore --clean --if-exists --no-owner --single-transaction -d app "$BACKUP_FILE"
echo "database restored from $BACKUP_FILE"
COMMAND
}
_rb_step_9() {  # step: reload-app
  _rb_run number=9 id=reload-app title='Reload the application without downtime' \
    runs_on=remote reaches_target=1 timeout=60 retries=3 retry_delay=5 on_failure=rollback \
    expect_exit_code=0 <<'COMMAND'
kill -HUP "$(cat "$DEPLOY_PATH/shared/gunicorn.pid")"
sleep 3
COMMAND
}
_rb_step_10() {  # step: health-check
  _rb_run number=10 id=health-check title='Health check' \
    runs_on=remote reaches_target=1 timeout=30 retries=5 retry_delay=2 on_failure=rollback \
    expect_exit_code=0 expect_output="\"version\": \"${VERSION}\"" expect_http_status=200 <<'COMMAND'
curl -sS --max-time 5 -w '\nHTTP %{http_code}\n' "$HEALTH_URL"
COMMAND
}
_rb_step_11() {  # step: test-endpoints
  _rb_run number=11 id=test-endpoints title='Test the endpoints' \
    runs_on=remote reaches_target=1 timeout=120 retries=2 retry_delay=2 on_failure=rollback \
    expect_exit_code=0 <<'COMMAND'
check_endpoints
COMMAND
}
_rb_step_12() {  # step: record-release
  _rb_run number=12 id=record-release title='Record the release' \
    runs_on=remote reaches_target=1 timeout=10 retries=0 retry_delay=2 on_failure=abort \
    expect_exit_code=0 <<'COMMAND'
printf '%s %s %s\n' "$TIMESTAMP" "$VERSION" "$ENVIRONMENT" >> "$DEPLOY_PATH/revisions.log"
tail -n 3 "$DEPLOY_PATH/revisions.log"
COMMAND
}

# ---------------------------------------------------------------- the automatic rollback
# When a step fails at or after the point of no return, these blocks run in this order.
_rb_rollback_steps() {
  return 0
}

# ---------------------------------------------------------------- from the runbook
_RB_SCRIPT=rollback-production.sh
_RB_PROCEDURE=rollback-production
_RB_TITLE='Production rollback'
_RB_KIND=rollback
_RB_POINT_OF_NO_RETURN=switch-release
_RB_STEP_COUNT=12
_RB_ROLLBACK_COUNT=0
_RB_STALE_LOCK_MINUTES=30
_RB_RECENT_BACKUPS=5
_RB_TAG_PATTERN='^v[0-9]+\.[0-9]+\.[0-9]+$'
_RB_RECONNECT_SECONDS=60
_RB_ROLLBACK_SCRIPT=rollback-production.sh
_RB_ROLLBACK_CHOOSES=1
_RB_EMERGENCIES=(  # text in a failing step's output, and the emergency procedure it names
  'HTTP 502' 'Application down (P0): https://runbooks.example.com/items-api/incidents/emergencies.html#emergency-application-down'
  'HTTP 503' 'Application down (P0): https://runbooks.example.com/items-api/incidents/emergencies.html#emergency-application-down'
  'Failed to connect' 'Application down (P0): https://runbooks.example.com/items-api/incidents/emergencies.html#emergency-application-down'
  '"database": "error"' 'Database down or connection lost (P0): https://runbooks.example.com/items-api/incidents/emergencies.html#emergency-database-connection-lost'
  'database unavailable' 'Database down or connection lost (P0): https://runbooks.example.com/items-api/incidents/emergencies.html#emergency-database-connection-lost'
)
_RB_ESCALATION=(
  '  level 1: On-call engineer (First responder for every alert; owns the incident until handed over.)'
  '    pager: +1 555 0199 (PagerDuty, pages whoever is on call)'
  '    slack: #incidents'
  '    email: oncall@example.com'
)
_RB_POST_TASKS=(
  'Post in the incident channel that production runs the rolled-back version.'
  'Open an incident report with the timeline and the reason for the rollback.'
  'Fix forward on develop; do not redeploy the bad version.'
  'Check that no data written after the restored backup is missing for users.'
)
_RB_VARIABLES='ENVIRONMENT BRANCH VERSION PREVIOUS_VERSION TIMESTAMP DEPLOY_PATH RELEASES_DIR RELEASE_DIR CURRENT_LINK BACKUP_DIR BACKUP_FILE ARTIFACT HEALTH_URL KEEP_RELEASES BACKUP_RETENTION_DAYS BACKUP_MIN_BYTES BACKUP_SUFFIX'
export ENVIRONMENT=production
export BRANCH=main
export DEPLOY_PATH=/srv/app
export HEALTH_URL=http://127.0.0.1/health
export KEEP_RELEASES=5
export BACKUP_RETENTION_DAYS=14
export BACKUP_MIN_BYTES=1024
export BACKUP_SUFFIX=.dump
export VERSION='' PREVIOUS_VERSION='' BACKUP_FILE=''
TIMESTAMP=$(date -u +%Y%m%d-%H%M%S)
export TIMESTAMP
_rb_derive() {  # the derived runtime variables, as runbook's runtime_variables computes them
  export RELEASES_DIR="${DEPLOY_PATH}/releases"
  export RELEASE_DIR="${RELEASES_DIR}/${VERSION}"
  export CURRENT_LINK="${DEPLOY_PATH}/current"
  export BACKUP_DIR="${DEPLOY_PATH}/backups"
  export ARTIFACT="build/app-${VERSION}.tar.gz"
  _RB_SAFETY_BACKUP="${BACKUP_DIR}/${ENVIRONMENT}-${TIMESTAMP}-safety.dump"
}
_RB_REMOTE_FUNCTIONS='# check_endpoints: request each endpoint from the target itself; one line each, stop at the first wrong one.
_rb_endpoint() {
  local path=$1 want=$2 contains=$3 body status
  body=$(mktemp)
  status=$(curl -sS -o "$body" -w '"'"'%{http_code}'"'"' --max-time 10 http://127.0.0.1"$path" 2>/dev/null) || true
  status=${status:-000}
  if [ "$status" != "$want" ]; then
    echo "endpoint $path: FAILED, status $status, expected $want; body: $(_rb_body "$body")"
    rm -f "$body"
    return 1
  fi
  if [ -n "$contains" ] && ! grep -qF -- "$contains" "$body"; then
    echo "endpoint $path: FAILED, status $status but the body lacks: $contains; body: $(_rb_body "$body")"
    rm -f "$body"
    return 1
  fi
  rm -f "$body"
  echo "endpoint $path: ok ($status${contains:+, contains $contains})"
}
_rb_body() {  # FILE: the answer'"'"'s first 300 bytes on one line, the cause a reader looks for
  head -c 300 "$1" | tr -s '"'"'\n\r\t'"'"' '"'"'   '"'"'
}
check_endpoints() {
  _rb_endpoint /health 200 '"'"'"status": "ok"'"'"'
  _rb_endpoint /version 200 "${VERSION}"
  _rb_endpoint /api/items 200 '"'"'"items"'"'"'
}
'
_RB_CONNECT_SCRIPT='# On the target: take the deploy lock, report its owner when held, the serving release,
# the last release the journal verified, the releases present, the recorded revisions and the
# backups (newest first; failed ones live in backups/failed/ and are never listed).
lock="$DEPLOY_PATH/.deploy.lock"
mkdir -p "$DEPLOY_PATH"
if mkdir "$lock" 2>/dev/null; then
  printf '"'"'%s\nstarted=%s\n'"'"' "$_RB_OWNER" "$(date +%s)" >"$lock/owner"
  echo "lock=acquired"
else
  echo "lock=held"
  if [ -f "$lock/owner" ]; then
    while IFS= read -r line; do printf '"'"'owner_%s\n'"'"' "$line"; done <"$lock/owner"
    started=$(sed -n '"'"'s/^started=//p'"'"' "$lock/owner")
  fi
  [[ ${started:-} =~ ^[0-9]+$ ]] || started=$(stat -c %Y "$lock")
  echo "age=$(($(date +%s) - started))"
fi
serving=$(readlink "$CURRENT_LINK" 2>/dev/null || true)
echo "serving=${serving##*/}"
if [ -f "$DEPLOY_PATH/deploy.journal" ]; then
  verified=$(awk '"'"'$3 == "verified" { v = $4 } END { print v }'"'"' "$DEPLOY_PATH/deploy.journal")
  if [ -n "$verified" ] && [ -d "$RELEASES_DIR/$verified" ]; then echo "verified=$verified"; fi
fi
if [ -d "$RELEASES_DIR" ]; then
  find "$RELEASES_DIR" -mindepth 1 -maxdepth 1 -type d -printf '"'"'release=%f\n'"'"'
fi
if [ -f "$DEPLOY_PATH/revisions.log" ]; then
  while read -r _ version _; do echo "revision=$version"; done <"$DEPLOY_PATH/revisions.log"
fi
if [ -d "$BACKUP_DIR" ]; then
  find "$BACKUP_DIR" -maxdepth 1 -type f -name "*$BACKUP_SUFFIX" -printf '"'"'%T@ %f\n'"'"' | sort -rn |
    while read -r _ name; do echo "backup=$name"; done
fi
'
_RB_TAKEOVER_SCRIPT='# On the target: replace a stale lock, but only the one that was judged stale.
lock="$DEPLOY_PATH/.deploy.lock"
token=$(sed -n '"'"'s/^token=//p'"'"' "$lock/owner" 2>/dev/null || true)
if [ -d "$lock" ] && [ "$token" = "$_RB_EXPECTED" ]; then
  rm -rf "$lock"
fi
if mkdir "$lock" 2>/dev/null; then
  printf '"'"'%s\nstarted=%s\n'"'"' "$_RB_OWNER" "$(date +%s)" >"$lock/owner"
  echo "lock=acquired"
else
  echo "lock=held"
fi
'
_RB_FINISH_SCRIPT='# On the target, at exit: undo an unserved release unpacked by this run, release our lock,
# and say what serves now and what became of the lock.
status=0
if [ "$_RB_CLEANUP" = 1 ] && [ "$_RB_RELEASE_EXISTED" = 0 ] && [ -n "$VERSION" ]; then
  rm -f "$RELEASES_DIR/$VERSION.tar.gz"
  if [ -d "$RELEASE_DIR" ]; then
    if [ "$(readlink -f "$CURRENT_LINK" 2>/dev/null)" = "$(readlink -f "$RELEASE_DIR")" ]; then
      echo "release $VERSION is serving: left in place" >&2
      status=1
    else
      rm -rf "$RELEASE_DIR" && echo "removed the unserved release $VERSION"
    fi
  fi
fi
lock="$DEPLOY_PATH/.deploy.lock"
if [ "$(sed -n '"'"'s/^token=//p'"'"' "$lock/owner" 2>/dev/null)" = "$_RB_TOKEN" ]; then
  rm -rf "$lock" && echo "lock=released"
elif [ -d "$lock" ]; then
  echo "lock=held by $(sed -n '"'"'s/^\(host\|pid\|procedure\|version\)=\(.*\)/\1=\2/p'"'"' "$lock/owner" 2>/dev/null | tr '"'"'\n'"'"' '"'"' '"'"')"
else
  echo "lock=free"
fi
serving=$(readlink "$CURRENT_LINK" 2>/dev/null || true)
echo "serving=${serving##*/}"
exit "$status"
'
_RB_RECOVER_SCRIPT='# On the target, holding the lock: end the runs the journal shows started and never ended
# (killed), remove the release such a run made and left unserved, move the backup it did not
# verify to backups/failed/, and keep the newest 5 failed backups. One `note=` line per act.
journal="$DEPLOY_PATH/deploy.journal"
[ -f "$journal" ] || exit 0
serving=$(readlink -f "$CURRENT_LINK" 2>/dev/null || true)
verified=$(awk '"'"'$3 == "verified" { v = $4 } END { print v }'"'"' "$journal")
unfinished=$(awk '"'"'
  $3 == "start" { run[$2] = $5 " " $7; order[++n] = $2 }
  $3 == "end" { delete run[$2] }
  $3 == "backup-start" { backup[$2] = $4 }
  $3 == "backup" { delete backup[$2] }
  END {
    for (i = 1; i <= n; i++) if (order[i] in run) {
      print "run", order[i], run[order[i]]
      if (order[i] in backup) print "backup", order[i], backup[order[i]]
      delete run[order[i]]
    }
  }'"'"' "$journal")
while read -r kind id value new; do
  case $kind in
    run)
      echo "note=run $id did not end (killed or cut off): ended in the journal"
      if [ "$new" = 1 ] && [[ $value =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] && [ "$value" != "$verified" ] &&
        [ -d "$RELEASES_DIR/$value" ] && [ "$(readlink -f "$RELEASES_DIR/$value")" != "$serving" ]; then
        rm -rf "${RELEASES_DIR:?}/$value" "$RELEASES_DIR/$value.tar.gz"
        echo "note=removed the release $value it had begun and not switched to"
        echo "removed=$value"
      fi
      printf '"'"'%s %s end interrupted\n'"'"' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$id" >>"$journal"
      ;;
    backup)
      if [ -f "$value" ] && [ "$(dirname "$value")" = "${BACKUP_DIR%/}" ]; then
        mkdir -p "$BACKUP_DIR/failed" && mv -f -- "$value" "$BACKUP_DIR/failed/"
        echo "note=moved its unverified backup ${value##*/} to $BACKUP_DIR/failed/"
      fi
      ;;
  esac
done <<<"$unfinished"
if [ -d "$BACKUP_DIR/failed" ]; then
  find "$BACKUP_DIR/failed" -maxdepth 1 -type f -printf '"'"'%T@ %p\n'"'"' | sort -rn | tail -n +6 |
    while read -r _ old; do rm -f -- "$old"; done
fi
exit 0
'
_RB_STATUS_SCRIPT='# On the target, read only: what serves, what was verified, the lock, backups, the journal.
journal="$DEPLOY_PATH/deploy.journal"
serving=$(readlink "$CURRENT_LINK" 2>/dev/null || true)
echo "serving:   ${serving:+${serving##*/}}${serving:-nothing (no current link)}"
verified='"'"''"'"'
[ ! -f "$journal" ] || verified=$(awk '"'"'$3 == "verified" { v = $4 } END { print v }'"'"' "$journal")
echo "verified:  ${verified:-none recorded (the journal is empty)}"
lock="$DEPLOY_PATH/.deploy.lock"
if [ -d "$lock" ]; then
  echo "lock:      held ($(tr '"'"'\n'"'"' '"'"' '"'"' <"$lock/owner" 2>/dev/null))"
else
  echo "lock:      free"
fi
echo "releases:  $(find "$RELEASES_DIR" -mindepth 1 -maxdepth 1 -type d -printf '"'"'%f '"'"' 2>/dev/null)"
echo "backups:   $(find "$BACKUP_DIR" -maxdepth 1 -type f -name "*$BACKUP_SUFFIX" -printf '"'"'%f '"'"' 2>/dev/null)"
echo "failed:    $(find "$BACKUP_DIR/failed" -maxdepth 1 -type f -printf '"'"'%f '"'"' 2>/dev/null)"
echo "journal (last 12 events):"
[ ! -f "$journal" ] || tail -n 12 "$journal" | sed '"'"'s/^/  /'"'"'
'
_RB_GUARD_SCRIPT='# On the target, before a step'"'"'s command: the command runs in a process group of its own
# (`set -m` before it), and that group is ended when this SSH session is gone, because the
# deploying process died or its link was cut: no step goes on with nobody to report to.
_rb_session() {  # the sshd process that serves this connection, if any
  local pid=$$ comm
  while [ "$pid" -gt 1 ]; do
    comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 0
    case $comm in sshd*) echo "$pid" && return 0 ;; esac
    pid=$(awk '"'"'{ print $4 }'"'"' "/proc/$pid/stat" 2>/dev/null) || return 0
  done
}
_rb_guard() {  # GROUP SESSION: end GROUP once SESSION is gone
  while [ -d "/proc/$2" ] && kill -0 "$1" 2>/dev/null; do sleep 1; done
  kill -0 "$1" 2>/dev/null || return 0
  kill -TERM -- "-$1" 2>/dev/null || true
  sleep 5
  kill -KILL -- "-$1" 2>/dev/null || true
}
_rb_guarded() {  # GROUP: wait for the step'"'"'s process group, guarded; exit with its code
  local group=$1 session rc=0
  trap '"'"'kill -TERM -- "-$group" 2>/dev/null; exit 124'"'"' TERM INT HUP
  session=$(_rb_session)
  if [ -n "$session" ]; then  # in a group of its own too: it outlives this shell
    _rb_guard "$group" "$session" </dev/null >/dev/null 2>&1 &
  fi
  set +m
  wait "$group" || rc=$?
  exit "$rc"
}
'

usage() {
  printf '%s\n' \
    'Usage: rollback-production.sh [options] [VERSION]' \
    '' \
    'Production rollback' \
    'The critical path when a release misbehaves in production: back to the previous version (or a named one), with an optional database restore from a chosen backup.' \
    'VERSION defaults to the last release the journal records as verified, when it is present and not serving; else to the last one in revisions.log that is present and not serving.' \
    'Run it from the service'"'"'s git repository.' \
    'The target is first reached before the first step: then the deploy lock is taken and PREVIOUS_VERSION is the release the `current` link points at.' \
    'The database backup to restore is chosen before the first step: from the list of the last 5 backups, with --backup NAME, or none with --no-db-restore. A step that writes a backup (its expected file is $BACKUP_FILE) writes the safety backup $BACKUP_DIR/$ENVIRONMENT-$TIMESTAMP-safety.dump instead, so BACKUP_FILE stays the chosen backup.' \
    '' \
    Options: \
    '  -h, --help       Show usage, options, exit codes and environment variables.' \
    '  -n, --dry-run    Print the resolved steps in order, with their commands; change nothing.' \
    '  -y, --yes        Answer yes to every confirmation (for CI). Without it and without a terminal, a confirmation is a refusal.' \
    '  --break-lock     Take over a deploy lock that another run left behind, after reporting it.' \
    '  --backup FILE    Rollback only: restore this backup (a name from the list) without asking.' \
    '  --no-db-restore  Rollback only: roll back the code and leave the database as it is.' \
    '  --status         Print what the target serves, the last release a run verified, the deploy lock, the backups and the last runs of the journal; change nothing.' \
    '' \
    'Exit codes:' \
    '  0  Done: every step passed.' \
    '  1  Failed, and the target is as before: nothing had changed on it, or the automatic rollback restored the release that served before and no step that changes more than the release (a step with `changes`) had started.' \
    '  2  Refused before any change: bad arguments, a check that failed before the first change, a confirmation not given, or the deploy lock held by another deploy.' \
    '  3  Failed, and the target is not as before: a step with `changes` started (the report names it and the backup to restore from), the automatic rollback failed, or the run was stopped after the point of no return. The target needs a human now; the output names the escalation contact.' \
    '' \
    Environment: \
    '  NO_COLOR           Any value turns colour off (colour is also off when output is not a terminal).' \
    '  RUNBOOK_SSH_CONFIG An ssh_config file passed to ssh and scp with -F (host aliases, keys, ports). When it is set, the port comes from that file (default 22), not from the runbook.' \
    '  RUNBOOK_LOG_DIR    Where the local JSON-lines log goes (default: .runbook/logs at the top of the service'"'"'s repository, git-ignored).' \
    '' \
    'Lock: A deploy holds a lock on the target, the directory `$DEPLOY_PATH/.deploy.lock`, made atomically with mkdir and holding the owner'"'"'s host, process id, version and start time. A second deploy is refused (exit 2) while the lock is held. A lock is stale, and taken over with a warning, when its owner ran on this same host and its process no longer exists (a killed deploy), or when it is older than the environment'"'"'s `stale_lock_minutes`. `--break-lock` takes over any lock after printing its owner. The lock is released on every exit, success or failure.' \
    '' \
    'Log: Each step writes one JSON line: time, procedure, environment, version, step id, outcome (ok, failed, skipped, rolled-back), exit code, duration in seconds, and phase (`procedure`, or `rollback` for the automatic rollback steps, whose success is `rolled-back`), plus the run'"'"'s id and the user who ran it. When a run that started ends, one more line with phase `run` closes it: its outcome (success, failed, refused, escalated for exits 0-3), exit code, duration, the version it replaced (`previous`), the step that failed, and the commit time of the deployed version (`committed`). The lines go to `$RUNBOOK_LOG_DIR/<procedure>.jsonl` on the deploying machine and to `$DEPLOY_PATH/deploy.log.jsonl` on the target (carried by the next connection, at the latest when the run ends); `runbook history` collects them.' \
    '' \
    'Journal: Every run that reaches the target keeps a journal there, `$DEPLOY_PATH/deploy.journal`, one line per event: `start` (procedure, version, the release it returns to), `step` (before a step with `changes`, a backup step or the point of no return starts), `backup` (the backup made and verified), `verified` (a release that passed its run: the deploy'"'"'s version, or the release an automatic rollback restored) and `end` (the exit code). The release a deploy returns to is the last `verified` one, not whatever `current` points at: a run killed after its switch leaves `current` on a release no run verified. The next run takes over the lock, ends the interrupted run in the journal, removes the release it half-made (when it is not serving) and moves the backup it did not verify to `backups/failed/` (of which the newest 5 are kept). `--status` prints it.' \
    '' \
    'Every exit 1, 2 and 3 ends with what changed (steps with `changes` that started, whether the release was switched), the backup this run made and verified (only that one), what serves now (the `current` link, asked from the target at exit), the lock (released, or left for a re-run to take over), and the one command to run next, with its arguments.'

}

# ---------------------------------------------------------------- helpers shared with the scenarios
# remote CMD...: run CMD (joined like ssh does) on the target, with the same variables and helpers.
# upload LOCAL REMOTE: copy a local file to the target.
_RB_TARGET=deploy@app.example.internal
# Keepalives notice a dead link within 30 s instead of the step's timeout.
_RB_SSH_OPTIONS=(-o BatchMode=yes -o ConnectTimeout=10 -o ServerAliveInterval=10 -o ServerAliveCountMax=2)
_RB_SCP_OPTIONS=(-q -o BatchMode=yes -o ConnectTimeout=10 -o ServerAliveInterval=10 -o ServerAliveCountMax=2)
if [ -n "${RUNBOOK_SSH_CONFIG:-}" ]; then
  # The ssh_config file decides the port (and may map the host name).
  _RB_SSH_OPTIONS+=(-F "$RUNBOOK_SSH_CONFIG")
  _RB_SCP_OPTIONS+=(-F "$RUNBOOK_SSH_CONFIG")
else
  _RB_SSH_OPTIONS+=(-p 22)
  _RB_SCP_OPTIONS+=(-P 22)
fi
_rb_remote_prelude() {
  local name
  printf 'set -Eeuo pipefail\n'
  for name in $_RB_VARIABLES; do
    printf 'export %s=%q\n' "$name" "${!name-}"
  done
  printf '%s\n' "$_RB_REMOTE_FUNCTIONS"
}
remote() {
  { _rb_remote_prelude; printf '{\n%s\n} </dev/null\n' "$*"; } |
    ssh "${_RB_SSH_OPTIONS[@]}" "$_RB_TARGET" bash -s
}
upload() {
  scp "${_RB_SCP_OPTIONS[@]}" -- "$1" "$_RB_TARGET:$2"
}
check_endpoints() {
  remote check_endpoints
}

# ---------------------------------------------------------------- output
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
  _RB_BOLD=$'\033[1m' _RB_GREEN=$'\033[32m' _RB_RESET=$'\033[0m'
else
  _RB_BOLD='' _RB_GREEN='' _RB_RESET=''
fi
if [ -t 2 ] && [ -z "${NO_COLOR:-}" ]; then
  _RB_RED=$'\033[31m' _RB_YELLOW=$'\033[33m' _RB_ERESET=$'\033[0m'
else
  _RB_RED='' _RB_YELLOW='' _RB_ERESET=''
fi
_rb_say() { printf '%s\n' "$*"; }
_rb_title() { printf '%s%s%s\n' "$_RB_BOLD" "$*" "$_RB_RESET"; }
_rb_ok() { printf '%s%s%s\n' "$_RB_GREEN" "$*" "$_RB_RESET"; }
_rb_warn() { printf '%swarning: %s%s\n' "$_RB_YELLOW" "$*" "$_RB_ERESET" >&2; }
_rb_error() { printf '%serror: %s%s\n' "$_RB_RED" "$*" "$_RB_ERESET" >&2; }
_rb_refuse() {
  _rb_error "$*"
  _rb_error "refused: nothing was changed on the target (exit 2)"
  exit 2
}
_rb_indent() {
  local line
  while IFS= read -r line || [ -n "$line" ]; do printf '%s%s\n' "$1" "$line"; done
}

# ---------------------------------------------------------------- variables
_rb_valid_version() { [[ $1 =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]]; }
_rb_set_version() {  # bounded before any =~, so no pattern ever reads a huge VERSION
  [ "${#1}" -le 128 ] || _rb_refuse "VERSION is ${#1} characters long: at most 128"
  _rb_valid_version "$1" || _rb_refuse "invalid VERSION '$1': use letters, digits, '.', '_' and '-' only"
  VERSION=$1
  _rb_derive
}
_rb_local_prelude() {
  printf 'set -Eeuo pipefail\n'
  local name
  for name in $_RB_VARIABLES; do
    printf 'export %s=%q\n' "$name" "${!name-}"
  done
  declare -p _RB_VARIABLES _RB_REMOTE_FUNCTIONS _RB_TARGET _RB_SSH_OPTIONS _RB_SCP_OPTIONS
  declare -f _rb_remote_prelude remote upload check_endpoints
}

# ---------------------------------------------------------------- target access
_rb_ssh() {  # TIMEOUT: run the bash script on stdin on the target
  # ssh runs beside a watch that ends it if this script dies (SIGKILL runs no trap): its
  # connection then closes, and the guard on the target ends the step's work.
  local ssh watch rc=0
  timeout --foreground --kill-after=10 "$(($1 + 30))" \
    ssh "${_RB_SSH_OPTIONS[@]}" "$_RB_TARGET" "timeout --kill-after=10 $1 bash -s" <&0 &
  ssh=$!
  _rb_watch "$ssh" </dev/null >/dev/null 2>&1 &
  watch=$!
  wait "$ssh" || rc=$?
  kill "$watch" 2>/dev/null || true
  return "$rc"
}
_rb_watch() {  # PID: end PID when the script that started it is gone
  while kill -0 "$1" 2>/dev/null; do
    if ! kill -0 "$_RB_MAIN_PID" 2>/dev/null; then
      kill -TERM "$1" 2>/dev/null
      return 0
    fi
    sleep 1
  done
}
_rb_on_target() {  # TIMEOUT TEXT...: the variables and helpers, then each TEXT, run on the target
  local timeout=$1
  shift
  { _rb_remote_prelude; printf '%s\n' "$@"; } | _rb_ssh "$timeout"
}
_rb_log_flush_text() {  # shell text appending pending log lines on the target
  local line
  [ "$((${#_RB_PENDING_LOG[@]} + ${#_RB_PENDING_JOURNAL[@]}))" -gt 0 ] || return 0
  printf 'mkdir -p "$DEPLOY_PATH"\n'
  for line in "${_RB_PENDING_LOG[@]}"; do
    printf 'echo %q >>"$DEPLOY_PATH/deploy.log.jsonl" || true\n' "$line"
  done
  for line in "${_RB_PENDING_JOURNAL[@]}"; do
    printf 'echo %q >>"$DEPLOY_PATH/deploy.journal" || true\n' "$line"
  done
}
_rb_exec_remote() {  # TIMEOUT COMMAND: the step's command in a guarded process group
  {
    _rb_remote_prelude
    _rb_log_flush_text
    printf '%s\n' "$_RB_GUARD_SCRIPT"
    printf 'printf "%%s\\n" %q\n' "$_RB_MARK"
    printf 'set -m\n{\n%s\n} </dev/null &\n_rb_guarded "$!"\n' "$2"
  } | _rb_ssh "$1"
}
_rb_exec_local() {  # TIMEOUT COMMAND
  local prelude
  prelude=$(_rb_local_prelude)
  timeout --foreground --kill-after=10 "$1" bash -c "$prelude"$'\n'"$2" </dev/null
}
_rb_file_bytes() {  # WHERE PATH: size of a file, or -1
  local size
  if [ "$1" = remote ]; then
    size=$(printf 'stat -c %%s -- %q 2>/dev/null || echo -1\n' "$2" | _rb_ssh 30) || size=-1
  else
    size=$(stat -c %s -- "$2" 2>/dev/null) || size=-1
  fi
  [[ $size =~ ^[0-9]+$ ]] || size=-1
  printf '%s\n' "$size"
}

# ---------------------------------------------------------------- lock
_rb_owner_text() {
  printf 'host=%s\npid=%s\nuser=%s\nprocedure=%s\nversion=%s\ntoken=%s\n' \
    "$_RB_HOST" "$$" "${USER:-unknown}" "$_RB_PROCEDURE" "$VERSION" "$_RB_TOKEN"
}
_rb_lock_stale() {  # print why the held lock is stale, or fail
  local max=$((_RB_STALE_LOCK_MINUTES * 60))
  if [ "$_RB_BREAK_LOCK" = 1 ]; then echo "--break-lock was given"; return 0; fi
  if [ "${_RB_LOCK_OWNER[host]:-}" = "$_RB_HOST" ] && [[ ${_RB_LOCK_OWNER[pid]:-} =~ ^[0-9]+$ ]] &&
    ! kill -0 "${_RB_LOCK_OWNER[pid]}" 2>/dev/null && [ ! -d "/proc/${_RB_LOCK_OWNER[pid]}" ]; then
    echo "its process ${_RB_LOCK_OWNER[pid]} on this host no longer exists"
    return 0
  fi
  if [ "$_RB_LOCK_AGE" -gt "$max" ]; then
    echo "it is older than $_RB_STALE_LOCK_MINUTES minutes"
    return 0
  fi
  return 1
}
_rb_take_lock() {  # after the connection found the lock held
  local owner='' key why out
  for key in host pid user procedure version started; do
    owner+="${key}=${_RB_LOCK_OWNER[$key]:-?} "
  done
  if ! why=$(_rb_lock_stale); then
    _RB_FAILURE=lock
    _RB_LOCK_STATE="held by another run (${owner% })"
    _rb_refuse "the deploy lock $DEPLOY_PATH/.deploy.lock is held (${owner% }); wait for that run, or use --break-lock if it is gone"
  fi
  _rb_warn "taking over the deploy lock ($owner) because $why"
  out=$(_rb_on_target 60 "$(printf '_RB_OWNER=%q\n_RB_EXPECTED=%q' "$(_rb_owner_text)" "${_RB_LOCK_OWNER[token]:-}")" \
    "$_RB_TAKEOVER_SCRIPT") || _rb_refuse "could not take over the deploy lock"
  [ "$out" = "lock=acquired" ] || _rb_refuse "another run took the deploy lock first"
}

# ---------------------------------------------------------------- connection
_rb_connect() {  # once: take the lock, read the serving version, releases and backups
  local out line key
  [ "$_RB_CONNECTED" = 0 ] || return 0
  _RB_CONNECTED=1
  _rb_say "Connecting to $_RB_TARGET ..."
  out=$(_rb_on_target 60 "$(printf '_RB_OWNER=%q' "$(_rb_owner_text)")" "$_RB_CONNECT_SCRIPT") ||
    _rb_refuse "cannot reach the target $_RB_TARGET over ssh"
  _RB_LOCK_AGE=0 _RB_NOW_SERVING="unknown (the target did not say at exit)"
  while IFS= read -r line; do
    case $line in
      lock=acquired) _RB_LOCKED=1 ;;
      owner_*=*) key=${line%%=*} && _RB_LOCK_OWNER[${key#owner_}]=${line#*=} ;;
      age=*) [[ ${line#age=} =~ ^[0-9]+$ ]] && _RB_LOCK_AGE=${line#age=} ;;
      serving=*) _RB_SERVING=${line#serving=} ;;
      verified=*) _RB_VERIFIED=${line#verified=} ;;
      release=*) _RB_RELEASES+=("${line#release=}") ;;
      revision=*) _RB_REVISIONS+=("${line#revision=}") ;;
      backup=*) _RB_BACKUPS+=("${line#backup=}") ;;
    esac
  done <<<"$out"
  _RB_NOW_SERVING="${_RB_SERVING:-nothing} (the current link, read at the start)"
  [ "$_RB_LOCKED" = 1 ] || _rb_take_lock
  _RB_LOCKED=1
  _RB_LOCK_STATE="held by this run"
  if [ -n "$_RB_SERVING" ] && ! _rb_valid_version "$_RB_SERVING"; then
    _rb_warn "the serving release name '$_RB_SERVING' is not a valid version; PREVIOUS_VERSION stays empty"
    _RB_SERVING=''
  fi
  if [ -n "$_RB_VERIFIED" ] && ! _rb_valid_version "$_RB_VERIFIED"; then _RB_VERIFIED=''; fi
  _rb_recover
  PREVIOUS_VERSION=$_RB_SERVING
  if [ -n "$VERSION" ] && ! _rb_has_release "$VERSION"; then _RB_RELEASE_EXISTED=0; fi
  _rb_say "Serving now: ${_RB_SERVING:-nothing}"
  _rb_journal start "$_RB_PROCEDURE" "${VERSION:--}" "${PREVIOUS_VERSION:--}" "$((1 - _RB_RELEASE_EXISTED))"
}
_rb_recover() {  # end the runs the journal shows unfinished, and clear what they left
  local out line removed i
  out=$(_rb_on_target 60 "$_RB_RECOVER_SCRIPT") ||
    { _rb_warn "could not read the journal on the target"; return 0; }
  while IFS= read -r line; do
    case $line in
      note=*) _rb_warn "${line#note=}" ;;
      removed=*)  # a release the recovery removed is no longer present
        removed=${line#removed=}
        for i in "${!_RB_RELEASES[@]}"; do
          [ "${_RB_RELEASES[i]}" != "$removed" ] || unset '_RB_RELEASES[i]'
        done
        ;;
    esac
  done <<<"$out"
}
_rb_status() {  # --status: what the target says of itself; changes nothing
  _rb_title "Status of $ENVIRONMENT ($_RB_TARGET):"
  _rb_on_target 60 "$_RB_STATUS_SCRIPT" || _rb_refuse "cannot reach the target $_RB_TARGET over ssh"
}
_rb_has_release() {
  local release
  for release in "${_RB_RELEASES[@]}"; do [ "$release" = "$1" ] && return 0; done
  return 1
}
_rb_default_rollback_version() {  # the last verified release, else the last recorded one, not serving
  local i candidate
  if [ -n "$_RB_VERIFIED" ] && [ "$_RB_VERIFIED" != "$PREVIOUS_VERSION" ] && _rb_has_release "$_RB_VERIFIED"; then
    printf '%s\n' "$_RB_VERIFIED"
    return 0
  fi
  for ((i = ${#_RB_REVISIONS[@]} - 1; i >= 0; i--)); do
    candidate=${_RB_REVISIONS[i]}
    if [ "$candidate" != "$PREVIOUS_VERSION" ] && _rb_valid_version "$candidate" && _rb_has_release "$candidate"; then
      printf '%s\n' "$candidate"
      return 0
    fi
  done
  return 1
}
_rb_finish_remote() {  # at exit: flush the log and journal, undo an unserved release of this
  # run, release the lock, and ask what serves now; tried again while ssh cannot connect
  local cleanup=$1 status out line until=$((SECONDS + _RB_RECONNECT_SECONDS))
  while :; do
    status=0
    out=$(_rb_on_target 120 "$(_rb_log_flush_text)" \
      "$(printf '_RB_TOKEN=%q\n_RB_CLEANUP=%q\n_RB_RELEASE_EXISTED=%q' "$_RB_TOKEN" "$cleanup" "$_RB_RELEASE_EXISTED")" \
      "$_RB_FINISH_SCRIPT") || status=$?
    [ "$status" = 255 ] && [ -z "$out" ] && [ "$SECONDS" -lt "$until" ] || break
    _rb_warn "cannot reach the target to finish; trying again in 5 s"
    sleep 5
  done
  while IFS= read -r line; do
    case $line in
      serving=*) _RB_NOW_SERVING="${line#serving=}"; _RB_NOW_SERVING="${_RB_NOW_SERVING:-nothing} (the current link, asked at exit)" ;;
      lock=released) _RB_LOCK_STATE=released ;;
      lock=*) _RB_LOCK_STATE=${line#lock=} ;;
      '') ;;
      *) _rb_say "$line" ;;
    esac
  done <<<"$out"
  _RB_PENDING_LOG=() _RB_PENDING_JOURNAL=()
  return "$status"
}

# ---------------------------------------------------------------- log
_rb_clock() { local t=${EPOCHREALTIME/[.,]/}; printf '%s\n' "$((10#$t / 1000))"; }
_RB_RUN_CLOCK=${EPOCHREALTIME/[.,]/}
_RB_USER=${USER:-$(id -un 2>/dev/null || echo unknown)}
_rb_log_ids() {  # the run's id and who runs it, as JSON fields (characters JSON needs no escape for)
  local run=${_RB_TOKEN//[^A-Za-z0-9._-]/_}
  printf '"run": "%s", "user": "%s"' "$run" "${_RB_USER//[^A-Za-z0-9._@-]/_}"
}
_rb_log() {  # STEP OUTCOME EXIT_CODE MILLISECONDS PHASE
  local line
  line=$(printf '{"time": "%s", "procedure": "%s", "environment": "%s", "version": "%s", "step": "%s", "outcome": "%s", "exit_code": %d, "duration_s": %d.%03d, "phase": "%s", %s}' \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$_RB_PROCEDURE" "$ENVIRONMENT" "$VERSION" "$1" "$2" "$3" "$(($4 / 1000))" "$(($4 % 1000))" "$5" "$(_rb_log_ids)")
  _rb_log_line "$line"
}
_rb_log_run() {  # EXIT_CODE: the run's own line, with the commit time of what it deployed
  local outcome committed='' took=$(((${EPOCHREALTIME/[.,]/} - _RB_RUN_CLOCK) / 1000))
  case $1 in 0) outcome=success ;; 1) outcome=failed ;; 2) outcome=refused ;; *) outcome=escalated ;; esac
  if [ -n "$VERSION" ]; then
    committed=$(git log -1 --format=%cI "$VERSION^{commit}" 2>/dev/null) || committed=''
    [[ $committed =~ ^[0-9T:+Z-]{10,40}$ ]] || committed=''
  fi
  _rb_log_line "$(printf '{"time": "%s", "procedure": "%s", "environment": "%s", "version": "%s", "previous": "%s", "outcome": "%s", "exit_code": %d, "duration_s": %d.%03d, "phase": "run", "failed_step": "%s", "committed": "%s", %s}' \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$_RB_PROCEDURE" "$ENVIRONMENT" "$VERSION" "$PREVIOUS_VERSION" "$outcome" "$1" \
    "$((took / 1000))" "$((took % 1000))" "${_RB_FAILURE//[^a-z0-9-]/}" "$committed" "$(_rb_log_ids)")"
}
_rb_log_line() {  # LINE: to the local log, and queued for the target's
  local line=$1 dir=${RUNBOOK_LOG_DIR:-.runbook/logs}
  if [ -z "${RUNBOOK_LOG_DIR:-}" ] && [ ! -e .runbook/.gitignore ]; then
    mkdir -p .runbook && printf '*\n' >.runbook/.gitignore
  fi
  if ! { mkdir -p "$dir" && printf '%s\n' "$line" >>"$dir/$_RB_PROCEDURE.jsonl"; }; then
    _rb_warn "cannot write the log in $dir"
  fi
  _RB_PENDING_LOG+=("$line")
}

# ---------------------------------------------------------------- confirmations
_rb_confirm() {  # QUESTION: true when the operator answers exactly yes
  local answer=''
  if [ "$_RB_YES" = 1 ]; then
    _rb_say "  $1 yes (--yes)"
    return 0
  fi
  if [ "$_RB_TERMINAL" = 0 ]; then
    _rb_error "$1: no terminal to answer on (use --yes)"
    return 1
  fi
  printf '%s  %s [type yes to continue] %s' "$_RB_BOLD" "$1" "$_RB_RESET" >/dev/tty
  IFS= read -r answer </dev/tty || answer=''
  [ "$answer" = yes ]
}
# ---------------------------------------------------------------- steps
_rb_stage() {  # NUMBER TITLE
  printf '\n'
  _rb_title "== Stage $1: $2"
}
_rb_dry_step() {  # print the caller's step and command (see _rb_run) without running it
  local where=${step[runs_on]} expects="exit code ${step[expect_exit_code]}"
  [ -n "$command" ] || where=confirm
  printf '%4s. %s  [%s]  %s\n' "${step[number]}" "${step[id]}" "$where" "${step[title]}"
  [ -z "${step[confirm]}" ] || printf '        asks: %s\n' "${step[confirm]}"
  if [ -n "$command" ]; then
    printf '%s\n' "${command%$'\n'}" | _rb_indent '        $ '
    [ -z "${step[expect_output]}" ] || expects+=", output contains: ${step[expect_output]}"
    [ -z "${step[expect_http_status]}" ] || expects+=", reports HTTP status ${step[expect_http_status]}"
    [ -z "${step[expect_file]}" ] || expects+=", file ${step[expect_file]} of at least ${step[expect_min_bytes]} bytes"
    printf '        expects %s; timeout %ss; retries %s (every %ss); on failure: %s\n' \
      "$expects" "${step[timeout]}" "${step[retries]}" "${step[retry_delay]}" "${step[on_failure]}"
  fi
  if [ "${step[id]}" = "$_RB_POINT_OF_NO_RETURN" ]; then
    printf '        (point of no return: from this step on, a failure runs the rollback steps)\n'
  fi
}
_rb_reported_status() {  # OUTPUT_FILE: the last word of the output that is exactly three digits
  tr -s ' \t\n\r\f\v' '\n' <"$1" | grep -xE '[0-9]{3}' | tail -n 1 || true
}
_rb_attempt() {  # one try of the caller's step and command (see _rb_run): output shown and checked
  # Returns 0 (passed), 1 (failed) or 2 (a remote step that never started: ssh itself failed).
  local out rc size status flag
  local want=${step[expect_exit_code]} contains=${step[expect_output]} http=${step[expect_http_status]}
  local file=${step[expect_file]} min=${step[expect_min_bytes]} timeout=${step[timeout]}
  out=$(mktemp)
  set +e
  if [ "${step[runs_on]}" = remote ]; then
    flag=$(mktemp -u)
    _rb_exec_remote "$timeout" "$command" | _rb_unmark "$flag" | tee "$out"
    rc=${PIPESTATUS[0]}
    if [ "$rc" -eq 255 ] && [ ! -e "$flag" ]; then  # ssh could not connect: nothing ran
      set -e
      rm -f "$out"
      _RB_RC=$rc
      _rb_warn "could not reach the target (exit $rc): step ${step[id]} did not start"
      return 2
    fi
    # the remote run appended them on the target (when it started)
    [ ! -e "$flag" ] || _RB_PENDING_LOG=() _RB_PENDING_JOURNAL=()
    rm -f "$flag"
  else
    _rb_exec_local "$timeout" "$command" | tee "$out"
    rc=${PIPESTATUS[0]}
  fi
  set -e
  _RB_RC=$rc
  if [ "$rc" -ne "$want" ]; then
    [ "$rc" -ne 124 ] || _rb_warn "timed out after $timeout s"
    _rb_warn "exit code $rc, expected $want"
  elif [ -n "$contains" ] && [[ $(<"$out") != *"$contains"* ]]; then
    _rb_warn "the output does not contain: $contains"
    rc=-1
  elif [ -n "$http" ] && status=$(_rb_reported_status "$out") && [ "$status" != "$http" ]; then
    _rb_warn "expected HTTP status $http, the output reports ${status:-none}"
    rc=-1
  elif [ -n "$file" ] && size=$(_rb_file_bytes "${step[runs_on]}" "$file") && [ "$size" -lt "$min" ]; then
    _rb_warn "expected the file $file of at least $min bytes, found $([ "$size" -ge 0 ] && echo "$size bytes" || echo none)"
    rc=-1
  else
    rm -f "$out"
    return 0
  fi
  _rb_emergency_hint "$out"
  rm -f "$out"
  return 1
}
_rb_unmark() {  # FLAG: pass a remote step's output through; its start mark creates FLAG instead
  awk -v mark="$_RB_MARK" -v flag="$1" \
    '$0 == mark { printf "" > flag; close(flag); next } { print; fflush() }'
}
_rb_emergency_hint() {  # OUTPUT_FILE: name the emergency procedure whose symptom the output shows
  local i label
  for ((i = 0; i < ${#_RB_EMERGENCIES[@]}; i += 2)); do
    label=${_RB_EMERGENCIES[i + 1]}
    if grep -qiF -- "${_RB_EMERGENCIES[i]}" "$1" 2>/dev/null &&
      [[ $'\n'$_RB_HINTED$'\n' != *$'\n'$label$'\n'* ]]; then
      _RB_HINTED+=$'\n'$label  # each emergency named once per run
      _rb_warn "the output shows \"${_RB_EMERGENCIES[i]}\": see the emergency procedure ${_RB_EMERGENCIES[i + 1]}"
    fi
  done
}
_rb_step_settings() {  # SETTING=VALUE...: into the caller's `step`, each name known, none missing
  local setting key
  for setting in "$@"; do
    key=${setting%%=*}
    if [ "$key" = "$setting" ] || [[ ! $key =~ ^[a-z_]+$ ]] || [[ ! -v step[$key] ]]; then
      _rb_error "a step block gives the unknown setting '${key:0:40}': the script was edited by hand?"
      exit 3
    fi
    step[$key]=${setting#*=}
  done
  for key in number id title runs_on timeout retries retry_delay on_failure; do
    [ -n "${step[$key]}" ] || { _rb_error "the block of step ${step[id]:-?} lacks the setting $key"; exit 3; }
  done
}
# _rb_run SETTING=VALUE... <<'COMMAND': run one step block, whose command is the here-document
# on standard input (empty for a confirmation alone). The settings, by name:
#   number: Its place: 1, 2, ... in the procedure; R1, R2, ... in the automatic rollback.
#   id: The step's id in the runbook.
#   title: The step's title.
#   phase: `rollback` in the automatic rollback's blocks (else not written).
#   runs_on: `local` (the deploying machine) or `remote` (the target, over ssh).
#   reaches_target: 1 when the step reaches the target: the run connects first and takes the deploy lock.
#   timeout: Seconds one try may take.
#   retries: Tries after the first.
#   retry_delay: Seconds between tries.
#   on_failure: `abort`, `rollback` or `continue`.
#   confirm: The question the operator must answer `yes` to (only if the step asks).
#   expect_exit_code: The exit code the command must return.
#   expect_output: Text the output must contain (only if the step expects some).
#   expect_http_status: The HTTP status the output must report (only if expected).
#   expect_file: A file the step must leave (only if expected) ...
#   expect_min_bytes: ... of at least this many bytes.
#   writes_backup: 1 when the step makes the run's backup ($BACKUP_FILE): a failed one is moved to `backups/failed/`.
#   changes: What the step changes on the target besides the release (only if it does).
_rb_run() {
  local -A step=(
    [number]='' [id]='' [title]='' [phase]=procedure [runs_on]='' [reaches_target]=0
    [timeout]='' [retries]='' [retry_delay]='' [on_failure]='' [confirm]='' [expect_exit_code]=0
    [expect_output]='' [expect_http_status]='' [expect_file]='' [expect_min_bytes]=0
    [writes_backup]=0 [changes]=''
  )
  local command='' attempt=1 started ok=0 id phase tries result ran=0 until=0 marks=0
  _rb_step_settings "$@"
  IFS= read -r -d '' command || true
  id=${step[id]} phase=${step[phase]} tries=$((step[retries] + 1))
  if [ "$_RB_DRY_RUN" = 1 ]; then
    _rb_dry_step
    return 0
  fi
  if [ "$phase" = procedure ] && [ "$id" = "$_RB_POINT_OF_NO_RETURN" ]; then
    _RB_PAST_PNR=1 marks=1  # before it runs: an interruption from here on may have switched
  fi
  if [ -n "${step[changes]}" ] && [ "$phase" = procedure ]; then
    _RB_CHANGED+=("$id (${step[changes]})") marks=1
  fi
  [ "${step[writes_backup]}" = 0 ] || marks=1
  if [ "${step[reaches_target]}" = 1 ]; then
    _rb_connect
    _RB_TOUCHED=1
  fi
  _RB_CURRENT_STEP=$id
  _rb_title "-- [${step[number]}/$_RB_STEP_COUNT] ${step[title]} ($id, ${step[runs_on]})"
  started=$(_rb_clock)
  if [ -n "${step[confirm]}" ] && ! _rb_confirm "${step[confirm]}"; then
    if [ -n "$command" ]; then
      _rb_warn "not confirmed: step $id skipped"
      _rb_log "$id" skipped 0 "$(($(_rb_clock) - started))" "$phase"
      return 0
    fi
    _rb_log "$id" failed 1 "$(($(_rb_clock) - started))" "$phase"
    [ "$phase" = procedure ] || return 1
    _rb_declined "$id"
  fi
  if [ -z "$command" ]; then
    ok=1
    _RB_RC=0
  fi
  [ "$marks" = 0 ] || [ -z "$command" ] || _rb_journal step "$id"
  [ "${step[writes_backup]}" = 0 ] || [ -z "$command" ] || _rb_journal backup-start "$BACKUP_FILE"
  while [ "$ok" = 0 ]; do
    result=0
    _rb_attempt || result=$?
    if [ "$result" = 2 ]; then  # not started: the target was unreachable; try again for a while
      [ "$until" != 0 ] || until=$((SECONDS + _RB_RECONNECT_SECONDS))
      if [ "$SECONDS" -lt "$until" ]; then
        _rb_warn "trying to reach the target again in 5 s (for up to $_RB_RECONNECT_SECONDS s)"
        sleep 5
        continue
      fi
    else
      ran=1 until=0
    fi
    if [ "$result" = 0 ]; then
      ok=1
    elif [ "$attempt" -lt "$tries" ]; then
      _rb_warn "attempt $attempt of $tries failed; retrying in ${step[retry_delay]} s"
      sleep "${step[retry_delay]}"
      attempt=$((attempt + 1))
    else
      break
    fi
  done
  if [ "$ok" = 1 ] && [ "${step[writes_backup]}" = 1 ] && [ "$phase" = procedure ]; then
    _RB_BACKUP_OK=1
    _rb_journal backup "$BACKUP_FILE"
  fi
  if [ "$ran" = 0 ] && [ "$ok" = 0 ] && [ -n "$command" ] && [ "${step[runs_on]}" = remote ]; then
    # it never started: it neither passed the point of no return nor changed anything
    [ "$id" != "$_RB_POINT_OF_NO_RETURN" ] || [ "$phase" != procedure ] || _RB_PAST_PNR=0
    [ -z "${step[changes]}" ] || [ "$phase" != procedure ] || unset '_RB_CHANGED[-1]'
  fi
  if [ "$ok" = 0 ] && [ "${step[writes_backup]}" = 1 ] && [ "$ran" = 1 ]; then
    _rb_quarantine "$BACKUP_FILE"
  fi
  if [ "$ok" = 1 ]; then
    _rb_log "$id" "$([ "$phase" = rollback ] && echo rolled-back || echo ok)" "$_RB_RC" "$(($(_rb_clock) - started))" "$phase"
    _rb_ok "   ok: $id"
    [ "$phase" = rollback ] || _RB_STEPS_OK=$((_RB_STEPS_OK + 1))
    return 0
  fi
  _rb_log "$id" failed "$_RB_RC" "$(($(_rb_clock) - started))" "$phase"
  _rb_error "step $id failed"
  [ "$phase" = procedure ] || return 1
  if [ "${step[on_failure]}" = continue ]; then
    _rb_warn "on_failure is continue: going on"
    return 0
  fi
  _rb_failed "$id"
}

# ---------------------------------------------------------------- failure and exit
_rb_escalate() {
  _rb_error "$*"
  _rb_error "The target needs a human now. Escalate:"
  printf '%s\n' "${_RB_ESCALATION[@]}" >&2
  exit 3
}
_rb_declined() {  # a confirmation without a command was not given
  if [ "$_RB_PAST_PNR" = 1 ]; then
    _rb_failed "$1"
  fi
  _rb_error "not confirmed: stopping before the point of no return"
  _RB_FAILURE=declined
  exit 2
}
_rb_failed() {  # a step failed: undo what this run did, then exit 1, 2 or 3
  _RB_FAILURE=$1
  if [ "$_RB_PAST_PNR" = 1 ]; then
    _rb_auto_rollback "$1"
  fi
  if [ "$_RB_TOUCHED" = 0 ]; then
    _rb_error "step $1 failed before anything changed on the target"
    exit 2
  fi
  if [ "${#_RB_CHANGED[@]}" -gt 0 ]; then
    _rb_error "step $1 failed before the point of no return, after steps that change the target: ${_RB_CHANGED[*]}"
    exit 3
  fi
  _rb_error "step $1 failed before the point of no return: undoing this run's release"
  exit 1
}
_rb_auto_rollback() {
  _rb_error "step $1 failed at or after the point of no return ($_RB_POINT_OF_NO_RETURN)"
  [ "$_RB_ROLLBACK_COUNT" -gt 0 ] || _rb_escalate "this procedure has no rollback steps"
  [ -n "$PREVIOUS_VERSION" ] || _rb_escalate "no release served before this run: nothing to roll back to"
  _rb_title "== Automatic rollback to $PREVIOUS_VERSION"
  if _rb_rollback_steps; then
    _RB_ROLLED_BACK=1
    _rb_journal verified "$PREVIOUS_VERSION"
    if [ "${#_RB_CHANGED[@]}" -gt 0 ]; then
      _rb_escalate "rolled back: $PREVIOUS_VERSION serves again, but what these steps changed stays: ${_RB_CHANGED[*]}"
    fi
    _rb_error "rolled back: $PREVIOUS_VERSION serves again"
    exit 1
  fi
  _RB_ROLLBACK_FAILED=1
  _rb_escalate "the automatic rollback failed"
}
_rb_quarantine() {  # FILE: a backup that failed is moved aside, never offered for a restore
  local out
  out=$(_rb_on_target 60 "$(_rb_log_flush_text)" "$(printf 'f=%q' "$1")" \
    'if [ -f "$f" ]; then mkdir -p "$BACKUP_DIR/failed" && mv -f -- "$f" "$BACKUP_DIR/failed/" && echo moved; fi' \
    2>/dev/null) || out=''
  _RB_PENDING_LOG=() _RB_PENDING_JOURNAL=()
  if [ "$out" = moved ]; then
    _rb_warn "the failed backup ${1##*/} was moved to $BACKUP_DIR/failed/ (never offered for a restore)"
  fi
}
_rb_journal() {  # EVENT VALUE...: a line for the target's journal, written by the next connection
  local value=$*
  _RB_PENDING_JOURNAL+=("$(date -u +%Y-%m-%dT%H:%M:%SZ) ${_RB_TOKEN//[^A-Za-z0-9._-]/_} ${value//[$'\n\r']/ }")
}
_rb_next() {  # EXIT_CODE: the one command to run next, with its arguments
  local again=$_RB_INVOKED$_RB_ARGS rollback='' version=${PREVIOUS_VERSION:-}
  if [ -n "$_RB_ROLLBACK_SCRIPT" ]; then
    rollback="${_RB_INVOKED%"$_RB_SCRIPT"}$_RB_ROLLBACK_SCRIPT --yes"
    if [ "$_RB_ROLLBACK_CHOOSES" = 1 ]; then
      if [ "$_RB_BACKUP_OK" = 1 ] && [ "${#_RB_CHANGED[@]}" -gt 0 ]; then
        rollback+=" --backup ${BACKUP_FILE##*/}"
      else
        rollback+=" --no-db-restore"
      fi
    fi
    rollback+="${version:+ $version}"
  fi
  case $1 in
    1) echo "$again  (after fixing the cause above)" ;;
    2)
      if [ "$_RB_FAILURE" = lock ]; then
        echo "$again  (once the run that holds the lock has ended; with --break-lock if it is gone)"
      else
        echo "$again  (after fixing the cause above)"
      fi
      ;;
    *)
      if [ "$_RB_KIND" = deploy ] && [ -n "$rollback" ] &&
        { [ "$_RB_ROLLBACK_FAILED" = 1 ] || [ "$_RB_ROLLED_BACK" = 1 ]; }; then
        echo "$rollback  (after the emergency procedure, if one is named above)"
      elif [ "$_RB_KIND" = deploy ] && [[ $rollback == *" --backup "* ]] &&
        [[ " ${_RB_CHANGED[*]} " == *" $_RB_FAILURE ("* ]] && [ "$_RB_RC" -gt 0 ] &&
        [ "$_RB_RC" -lt 124 ]; then
        # the step that changes the target failed by itself: a re-run would fail the same way
        echo "$rollback  (restores the backup this run made; or fix the release and run it again)"
      else
        echo "$again  (it takes over the lock, ends this run in the journal, and finishes or returns to ${version:-the last verified release})"
      fi
      ;;
  esac
}
_rb_report() {  # EXIT_CODE
  local took=$((SECONDS - _RB_STARTED_AT)) outcome rolled=''
  case $1 in
    0) outcome="${_RB_GREEN}SUCCESS${_RB_RESET}" ;;
    1) outcome="FAILED${_RB_FAILURE:+ at $_RB_FAILURE}; the target is as before" ;;
    2) outcome="REFUSED${_RB_FAILURE:+ at $_RB_FAILURE}; nothing changed" ;;
    *) outcome="FAILED${_RB_FAILURE:+ at $_RB_FAILURE}; the target is not as before" ;;
  esac
  printf '\n'
  _rb_title "== Report: $_RB_TITLE"
  printf '  procedure: %s\n  outcome:   %s (exit %s)\n  version:   %s\n  previous:  %s\n' \
    "$_RB_PROCEDURE" "$outcome" "$1" "${VERSION:-none}" "${PREVIOUS_VERSION:-none}"
  printf '  duration:  %dm%02ds\n  steps ok:  %s of %s\n' "$((took / 60))" "$((took % 60))" "$_RB_STEPS_OK" "$_RB_STEP_COUNT"
  if [ "$_RB_KIND" = deploy ]; then
    [ "$_RB_BACKUP_OK" = 0 ] || printf '  backup:    %s\n' "$BACKUP_FILE"
  else
    [ -z "$BACKUP_FILE" ] || printf '  restore:   %s\n' "$BACKUP_FILE"
  fi
  if [ "$1" = 0 ]; then
    if [ "${#_RB_POST_TASKS[@]}" -gt 0 ]; then
      _rb_title "Now:"
      printf '  - %s\n' "${_RB_POST_TASKS[@]}"
    fi
    return 0
  fi
  [ "${#_RB_CHANGED[@]}" = 0 ] || printf '  changed:   %s\n' "${_RB_CHANGED[@]}"
  if [ "$_RB_KIND" = deploy ] && [ "$_RB_TOUCHED" = 1 ]; then
    [ "$_RB_ROLLED_BACK" = 0 ] || rolled=', then rolled back'
    if [ "$_RB_PAST_PNR" = 1 ]; then
      printf '  switched:  yes, at %s%s\n' "$_RB_POINT_OF_NO_RETURN" "$rolled"
    else
      printf '  switched:  no\n'
    fi
  fi
  printf '  serving:   %s\n  lock:      %s\n  next:      %s\n' "$_RB_NOW_SERVING" "$_RB_LOCK_STATE" "$(_rb_next "$1")"
}
_rb_on_exit() {
  local rc=$? cleanup=0
  trap - EXIT
  set +e
  [ "$_RB_STARTED" = 1 ] || exit "$rc"
  case $rc in
    0 | 1 | 2 | 3) ;;
    *)
      _rb_error "stopped (exit $rc) during ${_RB_CURRENT_STEP:-the start}"
      if [ "$_RB_PAST_PNR" = 1 ]; then
        rc=3
        _rb_error "this was after the point of no return and the rollback steps did not run. Escalate:"
        printf '%s\n' "${_RB_ESCALATION[@]}" >&2
      elif [ "${#_RB_CHANGED[@]}" -gt 0 ]; then rc=3
      elif [ "$_RB_TOUCHED" = 1 ]; then rc=1; else rc=2; fi
      ;;
  esac
  _rb_log_run "$rc"
  if [ "$rc" = 0 ] && [ -n "$VERSION" ]; then _rb_journal verified "$VERSION"; fi
  _rb_journal end "$rc"
  if [ "$_RB_LOCKED" = 1 ]; then
    [ "$rc" = 0 ] || [ "$_RB_PAST_PNR" = 1 ] || cleanup=1
    if ! _rb_finish_remote "$cleanup"; then
      _rb_warn "could not finish on the target: the lock stays, for the next run to take over"
      _RB_LOCK_STATE="left on the target ($DEPLOY_PATH/.deploy.lock): the next run takes it over"
      if [ "$cleanup" = 1 ] && [ "$rc" != 3 ]; then
        rc=3
        printf '%s\n' "${_RB_ESCALATION[@]}" >&2
      fi
    fi
  fi
  _rb_report "$rc"
  exit "$rc"
}

# ---------------------------------------------------------------- main
_RB_DRY_RUN=0 _RB_YES=0 _RB_BREAK_LOCK=0 _RB_BACKUP_ARG='' _RB_NO_DB_RESTORE=0 _RB_VERSION_ARG=''
_RB_STARTED=0 _RB_CONNECTED=0 _RB_LOCKED=0 _RB_TOUCHED=0 _RB_PAST_PNR=0 _RB_STEPS_OK=0
_RB_RELEASE_EXISTED=1 _RB_SERVING='' _RB_CURRENT_STEP='' _RB_FAILURE='' _RB_RC=0 _RB_LOCK_AGE=0
_RB_SAFETY_BACKUP='' _RB_STARTED_AT=$SECONDS _RB_TERMINAL=0 _RB_STATUS=0
_RB_VERIFIED='' _RB_BACKUP_OK=0 _RB_ROLLED_BACK=0 _RB_ROLLBACK_FAILED=0 _RB_MAIN_PID=$$
_RB_NOW_SERVING='not asked (the run stopped before it reached the target)'
_RB_LOCK_STATE='not taken (the run stopped before it reached the target)'
_RB_INVOKED=$0 _RB_ARGS=''
_RB_CHANGED=() _RB_PENDING_JOURNAL=() _RB_HINTED=''
[ ! -t 0 ] || _RB_TERMINAL=1  # asked once: a step block's standard input is its command
_RB_RELEASES=() _RB_REVISIONS=() _RB_BACKUPS=() _RB_PENDING_LOG=()
declare -A _RB_LOCK_OWNER=()
_RB_HOST=$(uname -n)
_RB_TOKEN="$_RB_HOST-$$-$TIMESTAMP-$RANDOM"
_RB_MARK="__runbook_step_started_${_RB_TOKEN//[^A-Za-z0-9]/_}__"  # a remote step prints it first

_rb_parse() {
  local version=''
  while [ $# -gt 0 ]; do
    case $1 in
      -h | --help) usage; exit 0 ;;
      -n | --dry-run) _RB_DRY_RUN=1 ;;
      -y | --yes) _RB_YES=1 ;;
      --break-lock) _RB_BREAK_LOCK=1 ;;
      --status) _RB_STATUS=1 ;;
      --backup) [ $# -ge 2 ] || _rb_refuse "--backup needs a backup name (see --help)"; _RB_BACKUP_ARG=$2; shift ;;
      --backup=*) _RB_BACKUP_ARG=${1#--backup=} ;;
      --no-db-restore) _RB_NO_DB_RESTORE=1 ;;
      --) shift; break ;;
      -*) _rb_refuse "unknown option $1 (see --help)" ;;
      *) [ -z "$version" ] || _rb_refuse "only one VERSION may be given (see --help)"; version=$1 ;;
    esac
    shift
  done
  if [ $# -gt 0 ]; then
    [ -z "$version" ] && [ $# -eq 1 ] || _rb_refuse "only one VERSION may be given (see --help)"
    version=$1
  fi
  _RB_VERSION_ARG=$version
  # a plain file name from the list, checked before anything connects (dry runs included)
  if [ -n "$_RB_BACKUP_ARG" ] && { [ "${#_RB_BACKUP_ARG}" -gt 255 ] || [[ ! $_RB_BACKUP_ARG =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]]; }; then
    _rb_refuse "invalid backup name '${_RB_BACKUP_ARG:0:80}': give a file name from the list (letters, digits, '.', '_', '-'), not a path"
  fi
}

_rb_version() {  # VERSION from the argument, git, or (rollbacks) the target
  local version=$_RB_VERSION_ARG
  if [ -n "$version" ]; then
    _rb_set_version "$version"
  fi
}

_rb_choose_backup() {  # BACKUP_FILE for the restore: --backup, --no-db-restore, or the operator's pick
  local name answer i shown=() backup
  if [ "$_RB_NO_DB_RESTORE" = 1 ]; then
    BACKUP_FILE=''
    return 0
  fi
  if [ -n "$_RB_BACKUP_ARG" ]; then
    name=$_RB_BACKUP_ARG
    for backup in "${_RB_BACKUPS[@]}"; do
      if [ "$backup" = "$name" ]; then
        BACKUP_FILE="$BACKUP_DIR/$name"
        return 0
      fi
    done
    _rb_refuse "no backup named '$name' in $BACKUP_DIR on the target"
  fi
  [ "${#_RB_BACKUPS[@]}" -gt 0 ] || _rb_refuse "there is no backup to restore on the target: use --no-db-restore"
  shown=("${_RB_BACKUPS[@]:0:_RB_RECENT_BACKUPS}")
  _rb_title "Recent backups on the target (newest first):"
  for i in "${!shown[@]}"; do printf '  %d) %s\n' "$((i + 1))" "${shown[i]}"; done
  printf '  none) keep the database as it is\n'
  printf 'Restore which backup? ' >/dev/tty
  IFS= read -r answer </dev/tty || answer=''
  if [ "$answer" = none ]; then
    BACKUP_FILE=''
  elif [[ $answer =~ ^[0-9]+$ ]] && [ "$answer" -ge 1 ] && [ "$answer" -le "${#shown[@]}" ]; then
    BACKUP_FILE="$BACKUP_DIR/${shown[answer - 1]}"
  else
    _rb_refuse "no backup chosen (answer a number from the list, or none)"
  fi
}

_rb_dry_run() {
  local name
  _rb_title "Dry run of $_RB_PROCEDURE ($_RB_TITLE): nothing runs, nothing on the target is touched."
  [ -n "$VERSION" ] || VERSION='<previous release, read from the target>'
  PREVIOUS_VERSION='<serving release, read from the target>'
  if [ "$_RB_NO_DB_RESTORE" = 1 ]; then BACKUP_FILE=''
  elif [ -n "$_RB_BACKUP_ARG" ]; then BACKUP_FILE="$BACKUP_DIR/$_RB_BACKUP_ARG"
  else BACKUP_FILE='<chosen from the last backups on the target>'; fi
  _rb_derive
  _rb_say "Target: $_RB_TARGET"
  _rb_say "Variables:"
  for name in $_RB_VARIABLES; do printf '  %s=%s\n' "$name" "${!name}"; done
  _rb_steps
  if [ "$_RB_ROLLBACK_COUNT" -gt 0 ]; then
    printf '\n'
    _rb_title "If a step fails at or after $_RB_POINT_OF_NO_RETURN, these rollback steps run:"
    _rb_rollback_steps
  fi
}

_rb_precheck() {  # refusals that must come before anything touches the target
  if [ "$_RB_YES" = 0 ] && [ "$_RB_TERMINAL" = 0 ]; then
    _rb_refuse "this procedure asks for confirmation and there is no terminal: run it on a terminal or pass --yes"
  fi
  if [ -z "$_RB_BACKUP_ARG" ] && [ "$_RB_NO_DB_RESTORE" = 0 ] && { [ "$_RB_YES" = 1 ] || [ "$_RB_TERMINAL" = 0 ]; }; then
    _rb_refuse "choose the database backup with --backup NAME, or pass --no-db-restore"
  fi
  if [ -n "$_RB_BACKUP_ARG" ]; then
    [ "$_RB_NO_DB_RESTORE" = 0 ] || _rb_refuse "--backup and --no-db-restore exclude each other"
  fi
  return 0
}

_rb_main() {
  _rb_parse "$@"
  [ $# -eq 0 ] || _RB_ARGS=$(printf ' %q' "$@")
  local top
  top=$(git rev-parse --show-toplevel 2>/dev/null) ||
    _rb_refuse "run $_RB_SCRIPT from the service's git repository"
  cd "$top"
  _rb_derive
  if [ "$_RB_STATUS" = 1 ]; then
    _rb_status
    exit 0
  fi
  _rb_version
  if [ "$_RB_DRY_RUN" = 1 ]; then
    _rb_dry_run
    exit 0
  fi
  _rb_precheck
  _RB_STARTED=1
  trap _rb_on_exit EXIT
  trap '_rb_error "interrupted"; exit 130' INT TERM
  _rb_title "$_RB_TITLE: ${VERSION:-version from the target} to $ENVIRONMENT ($_RB_TARGET)"
  _rb_connect
  if [ -z "$VERSION" ]; then
    VERSION=$(_rb_default_rollback_version) ||
      _rb_refuse "no earlier release to roll back to (revisions.log lists none that is present and not serving)"
    _rb_say "Rolling back to the previous release: $VERSION"
  fi
  _rb_set_version "$VERSION"
  _rb_has_release "$VERSION" || _rb_refuse "release $VERSION is not on the target (see the releases above)"
  _rb_choose_backup
  _rb_say "Database: ${BACKUP_FILE:-no restore}"
  _rb_steps
  exit 0
}

_rb_main "$@"
