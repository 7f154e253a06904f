# On the target, at exit: undo an unserved release unpacked by this run, release our lock.
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
if [ "$(sed -n 's/^token=//p' "$lock/owner" 2>/dev/null)" = "$_RB_TOKEN" ]; then
  rm -rf "$lock"
fi
exit "$status"
