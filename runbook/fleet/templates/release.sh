# Release this run's deploy lock on this host (only ours: the token must match).
lock="$DEPLOY_PATH/.deploy.lock"
if [ "$(sed -n 's/^token=//p' "$lock/owner" 2>/dev/null)" = "$RB_TOKEN" ]; then
  rm -rf "$lock"
  echo "lock released"
fi
