# On the target, holding the lock: end the runs the journal shows started and never ended
# (killed), remove the release such a run made and left unserved, move the backup it did not
# verify to backups/failed/, and keep the newest 5 failed backups. One `note=` line per act.
journal="$DEPLOY_PATH/deploy.journal"
[ -f "$journal" ] || exit 0
serving=$(readlink -f "$CURRENT_LINK" 2>/dev/null || true)
verified=$(awk '$3 == "verified" { v = $4 } END { print v }' "$journal")
unfinished=$(awk '
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
  }' "$journal")
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
      printf '%s %s end interrupted\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$id" >>"$journal"
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
  find "$BACKUP_DIR/failed" -maxdepth 1 -type f -printf '%T@ %p\n' | sort -rn | tail -n +6 |
    while read -r _ old; do rm -f -- "$old"; done
fi
exit 0
