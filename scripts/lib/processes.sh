# Shared by the scripts that start local services (control-plane.sh, flink-cluster.sh).
# Sourced, not run. Callers define log().

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# stop_recorded_pids DIR GRACE_SECONDS: stops exactly the processes listed in DIR/pids
# ("PID NAME" lines), newest first, with TERM; KILLs whatever is left after GRACE_SECONDS.
stop_recorded_pids() {
  local dir="$1" grace="$2"
  [ -f "$dir/pids" ] || return 0
  tac "$dir/pids" | while read -r pid name; do
    if kill -0 "$pid" 2>/dev/null; then kill "$pid" 2>/dev/null || true; fi
  done
  local tries=$(( grace * 5 ))
  for _ in $(seq 1 "$tries"); do
    local alive=0
    while read -r pid name; do kill -0 "$pid" 2>/dev/null && alive=1; done < "$dir/pids"
    [ "$alive" = 0 ] && break
    sleep 0.2
  done
  while read -r pid name; do
    if kill -0 "$pid" 2>/dev/null; then log "$name (pid $pid) ignored TERM: killing it"; kill -9 "$pid" 2>/dev/null || true; fi
  done < "$dir/pids"
  rm -f "$dir/pids"
}

# run_with_service PREFIX CMD...: the `run` subcommand of a service script. Starts the service
# (the caller's start()) in a fresh temp folder, runs CMD with its DIR/env exported, always
# stops it (the caller's stop()) and removes the folder; exits with CMD's status.
run_with_service() {
  local prefix="$1"; shift
  [ "${1:-}" = "--" ] && shift
  RUN_DIR="$(mktemp -d "${TMPDIR:-/tmp}/$prefix.XXXXXX")"
  trap 'stop "$RUN_DIR"; rm -rf "$RUN_DIR"' EXIT
  trap 'exit 130' INT TERM
  start "$RUN_DIR" >/dev/null
  # shellcheck disable=SC1091
  . "$RUN_DIR/env"
  local rc
  set +e; "$@"; rc=$?; set -e
  exit $rc
}
