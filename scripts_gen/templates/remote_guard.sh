# On the target, before a step's command: the command runs in a process group of its own
# (`set -m` before it), and that group is ended when this SSH session is gone, because the
# deploying process died or its link was cut: no step goes on with nobody to report to.
_rb_session() {  # the sshd process that serves this connection, if any
  local pid=$$ comm
  while [ "$pid" -gt 1 ]; do
    comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 0
    case $comm in sshd*) echo "$pid" && return 0 ;; esac
    pid=$(awk '{ print $4 }' "/proc/$pid/stat" 2>/dev/null) || return 0
  done
}
_rb_guard() {  # GROUP SESSION: end GROUP once SESSION is gone
  while [ -d "/proc/$2" ] && kill -0 "$1" 2>/dev/null; do sleep 1; done
  kill -0 "$1" 2>/dev/null || return 0
  kill -TERM -- "-$1" 2>/dev/null || true
  sleep 5
  kill -KILL -- "-$1" 2>/dev/null || true
}
_rb_guarded() {  # GROUP: wait for the step's process group, guarded; exit with its code
  local group=$1 session rc=0
  trap 'kill -TERM -- "-$group" 2>/dev/null; exit 124' TERM INT HUP
  session=$(_rb_session)
  if [ -n "$session" ]; then  # in a group of its own too: it outlives this shell
    _rb_guard "$group" "$session" </dev/null >/dev/null 2>&1 &
  fi
  set +m
  wait "$group" || rc=$?
  exit "$rc"
}
