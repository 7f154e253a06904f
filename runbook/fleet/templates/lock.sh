# Take the deploy lock of this host (the scripts' lock directory, so scripts and playbooks
# exclude each other), unless it is held: then print its owner. Print the serving release
# and the releases present.
lock="$DEPLOY_PATH/.deploy.lock"
mkdir -p "$DEPLOY_PATH"
owner() {
  printf 'host=%s\nuser=%s\nprocedure=%s\nversion=%s\ntoken=%s\nstarted=%s\n' \
    "$RB_CONTROLLER" "$RB_USER" "$RB_PROCEDURE" "$VERSION" "$RB_TOKEN" "$(date +%s)" >"$lock/owner"
}
if mkdir "$lock" 2>/dev/null; then
  owner
  echo "lock=acquired"
else
  started=$(sed -n 's/^started=//p' "$lock/owner" 2>/dev/null || true)
  [[ $started =~ ^[0-9]+$ ]] || started=$(stat -c %Y "$lock")
  age=$(($(date +%s) - started))
  if [ "$RB_BREAK_LOCK" = 1 ] || [ "$age" -ge "$((RB_STALE_MINUTES * 60))" ]; then
    sed 's/^/stale_owner_/' "$lock/owner" 2>/dev/null || true
    rm -rf "$lock"
    if mkdir "$lock" 2>/dev/null; then
      owner
      echo "lock=taken-over age=$age"
    else
      echo "lock=held"
    fi
  else
    echo "lock=held age=$age"
    sed 's/^/owner_/' "$lock/owner" 2>/dev/null || true
  fi
fi
serving=$(readlink "$CURRENT_LINK" 2>/dev/null || true)
echo "serving=${serving##*/}"
if [ -d "$RELEASES_DIR" ]; then
  find "$RELEASES_DIR" -mindepth 1 -maxdepth 1 -type d -printf 'release=%f\n'
fi
