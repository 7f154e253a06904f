# On the target: take the deploy lock, report its owner when held, the serving release,
# the last release the journal verified, the releases present, the recorded revisions and the
# backups (newest first; failed ones live in backups/failed/ and are never listed).
lock="$DEPLOY_PATH/.deploy.lock"
mkdir -p "$DEPLOY_PATH"
if mkdir "$lock" 2>/dev/null; then
  printf '%s\nstarted=%s\n' "$_RB_OWNER" "$(date +%s)" >"$lock/owner"
  echo "lock=acquired"
else
  echo "lock=held"
  if [ -f "$lock/owner" ]; then
    while IFS= read -r line; do printf 'owner_%s\n' "$line"; done <"$lock/owner"
    started=$(sed -n 's/^started=//p' "$lock/owner")
  fi
  [[ ${started:-} =~ ^[0-9]+$ ]] || started=$(stat -c %Y "$lock")
  echo "age=$(($(date +%s) - started))"
fi
serving=$(readlink "$CURRENT_LINK" 2>/dev/null || true)
echo "serving=${serving##*/}"
if [ -f "$DEPLOY_PATH/deploy.journal" ]; then
  verified=$(awk '$3 == "verified" { v = $4 } END { print v }' "$DEPLOY_PATH/deploy.journal")
  if [ -n "$verified" ] && [ -d "$RELEASES_DIR/$verified" ]; then echo "verified=$verified"; fi
fi
if [ -d "$RELEASES_DIR" ]; then
  find "$RELEASES_DIR" -mindepth 1 -maxdepth 1 -type d -printf 'release=%f\n'
fi
if [ -f "$DEPLOY_PATH/revisions.log" ]; then
  while read -r _ version _; do echo "revision=$version"; done <"$DEPLOY_PATH/revisions.log"
fi
if [ -d "$BACKUP_DIR" ]; then
  find "$BACKUP_DIR" -maxdepth 1 -type f -name "*$BACKUP_SUFFIX" -printf '%T@ %f\n' | sort -rn |
    while read -r _ name; do echo "backup=$name"; done
fi
