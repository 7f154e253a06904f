# On the target, read only: what serves, what was verified, the lock, backups, the journal.
journal="$DEPLOY_PATH/deploy.journal"
serving=$(readlink "$CURRENT_LINK" 2>/dev/null || true)
echo "serving:   ${serving:+${serving##*/}}${serving:-nothing (no current link)}"
verified=''
[ ! -f "$journal" ] || verified=$(awk '$3 == "verified" { v = $4 } END { print v }' "$journal")
echo "verified:  ${verified:-none recorded (the journal is empty)}"
lock="$DEPLOY_PATH/.deploy.lock"
if [ -d "$lock" ]; then
  echo "lock:      held ($(tr '\n' ' ' <"$lock/owner" 2>/dev/null))"
else
  echo "lock:      free"
fi
echo "releases:  $(find "$RELEASES_DIR" -mindepth 1 -maxdepth 1 -type d -printf '%f ' 2>/dev/null)"
echo "backups:   $(find "$BACKUP_DIR" -maxdepth 1 -type f -name "*$BACKUP_SUFFIX" -printf '%f ' 2>/dev/null)"
echo "failed:    $(find "$BACKUP_DIR/failed" -maxdepth 1 -type f -printf '%f ' 2>/dev/null)"
echo "journal (last 12 events):"
[ ! -f "$journal" ] || tail -n 12 "$journal" | sed 's/^/  /'
