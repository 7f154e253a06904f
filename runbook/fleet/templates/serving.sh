# The release this host serves, for the report.
serving=$(readlink "$CURRENT_LINK" 2>/dev/null || true)
echo "${serving##*/}"
