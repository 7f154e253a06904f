# On the target: replace a stale lock, but only the one that was judged stale.
lock="$DEPLOY_PATH/.deploy.lock"
token=$(sed -n 's/^token=//p' "$lock/owner" 2>/dev/null || true)
if [ -d "$lock" ] && [ "$token" = "$_RB_EXPECTED" ]; then
  rm -rf "$lock"
fi
if mkdir "$lock" 2>/dev/null; then
  printf '%s\nstarted=%s\n' "$_RB_OWNER" "$(date +%s)" >"$lock/owner"
  echo "lock=acquired"
else
  echo "lock=held"
fi
