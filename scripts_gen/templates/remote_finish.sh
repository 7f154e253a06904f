# On the target, at exit: undo an unserved release unpacked by this run, release our lock,
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
if [ "$(sed -n 's/^token=//p' "$lock/owner" 2>/dev/null)" = "$_RB_TOKEN" ]; then
  rm -rf "$lock" && echo "lock=released"
elif [ -d "$lock" ]; then
  echo "lock=held by $(sed -n 's/^\(host\|pid\|procedure\|version\)=\(.*\)/\1=\2/p' "$lock/owner" 2>/dev/null | tr '\n' ' ')"
else
  echo "lock=free"
fi
serving=$(readlink "$CURRENT_LINK" 2>/dev/null || true)
echo "serving=${serving##*/}"
exit "$status"
