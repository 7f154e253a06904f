# Remove the release this run unpacked on this host and never served (the scripts do the same).
if [ -d "$RELEASE_DIR" ] && [ "$(readlink -f "$CURRENT_LINK" 2>/dev/null)" != "$(readlink -f "$RELEASE_DIR")" ]; then
  rm -rf "$RELEASE_DIR" "$RELEASES_DIR/$VERSION.tar.gz"
  echo "removed the unserved release $VERSION"
fi
