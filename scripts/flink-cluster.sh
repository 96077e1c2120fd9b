#!/usr/bin/env bash
# A real Apache Flink 2.3 session cluster (one JobManager + one TaskManager with 4 slots),
# all on loopback, on free ports, for the Flink-target integration tests.
#
#   scripts/flink-cluster.sh start DIR    start it, write DIR/env; print DIR/env
#   scripts/flink-cluster.sh stop DIR     stop exactly the processes recorded in DIR/pids
#   scripts/flink-cluster.sh run -- CMD   start in a temp folder, run CMD with the env
#                                         exported, always stop afterwards; exits with CMD's code
#
# DIR/env exports SKED_TEST_FLINK_URL (the REST API, http://127.0.0.1:PORT),
# SKED_TEST_FLINK_SAVEPOINTS (DIR/savepoints, a plain path; savepoints taken without a
# targetDirectory land there too), SKED_TEST_FLINK_JAR (the test job, see
# Tests/Fixtures/flink) and FLINK_HOME. The cached FLINK_HOME (scripts/flink-assets.sh) is
# never changed: the configuration is DIR/conf (FLINK_CONF_DIR), logs go to DIR/log,
# Flink's own pid files to DIR. Everything else Flink writes (blobs, uploaded JARs,
# checkpoints, temp files) stays under DIR too. SKED_FLINK_REFRESH_MS (default 500) sets
# web.refresh-interval, how stale GET /jobs/{id} may be. See docs/flink-testing.md.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# shellcheck source=lib/processes.sh
. "$HERE/lib/processes.sh"
log() { echo "flink-cluster: $*" >&2; }

# TaskManager, then JobManager: TERM first (Flink halts itself 5 s after TERM at the latest),
# KILL whatever is left after 15 s.
stop() {
  stop_recorded_pids "$1" 15
  rm -f "$1"/flink-*.pid
}

log_tail() {
  local dir="$1" f
  for f in "$dir"/log/*.log "$dir"/log/*.out; do
    [ -s "$f" ] || continue
    echo "----- $f (last 20 lines)" >&2; tail -20 "$f" >&2
  done
  echo "----- errors in $dir/log" >&2
  grep -h -E ' ERROR |^Caused by:' "$dir"/log/*.log 2>/dev/null | tail -15 >&2 || true
}

# Starts one daemon (jobmanager.sh or taskmanager.sh) and records the JVM's pid, which
# flink-daemon.sh writes to DIR/flink-sked-DAEMON.pid.
start_daemon() { # dir script daemon-name
  local dir="$1" script="$2" daemon="$3"
  FLINK_CONF_DIR="$dir/conf" FLINK_LOG_DIR="$dir/log" FLINK_PID_DIR="$dir" FLINK_IDENT_STRING=sked \
    bash "$FLINK_HOME/bin/$script" start </dev/null >>"$dir/log/daemons.out" 2>&1 \
    || { log_tail "$dir"; stop "$dir"; log "FATAL: $script start failed (logs in $dir/log)"; exit 1; }
  local pid
  pid="$(tail -1 "$dir/flink-sked-$daemon.pid" 2>/dev/null || true)"
  [ -n "$pid" ] || { log_tail "$dir"; stop "$dir"; log "FATAL: $script wrote no pid file"; exit 1; }
  echo "$pid $daemon" >> "$dir/pids"
}

start() {
  local dir="$1"
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  local assets
  assets="$("$HERE/flink-assets.sh")"
  eval "$assets"   # FLINK_HOME, SKED_TEST_FLINK_JAR
  if [ -f "$dir/pids" ]; then
    log "FATAL: $dir/pids exists: a cluster may already run there (scripts/flink-cluster.sh stop $dir)"; exit 1
  fi
  local prest pjm pblob ptmrpc ptmdata
  # A restart in the same DIR keeps its ports, so clients see the same JobManager URL
  # (tests stop and restart a JobManager under a running schedule).
  if [ -f "$dir/ports" ]; then
    read -r prest pjm pblob ptmrpc ptmdata < "$dir/ports"
  else
    prest=$(free_port); pjm=$(free_port); pblob=$(free_port); ptmrpc=$(free_port); ptmdata=$(free_port)
    echo "$prest $pjm $pblob $ptmrpc $ptmdata" > "$dir/ports"
  fi
  mkdir -p "$dir/log" "$dir/savepoints" "$dir/checkpoints" "$dir/tmp" "$dir/web" "$dir/blob"
  rm -rf "$dir/conf"; cp -r "$FLINK_HOME/conf" "$dir/conf"
  # The distribution's JVM options (--add-opens etc., needed on Java 17) are kept; the rest
  # of its config.yaml is replaced by a flat one.
  local javaopts
  javaopts="$(sed -n 's/^      all: //p' "$FLINK_HOME/conf/config.yaml" | head -1)"
  [ -n "$javaopts" ] || { log "FATAL: env.java.opts.all not found in $FLINK_HOME/conf/config.yaml"; exit 1; }
  cat > "$dir/conf/config.yaml" <<CONF
# Written by scripts/flink-cluster.sh: a loopback-only test session cluster.
env.java.opts.all: $javaopts
jobmanager.rpc.address: 127.0.0.1
jobmanager.rpc.port: $pjm
jobmanager.bind-host: 127.0.0.1
jobmanager.memory.process.size: 1024m
jobmanager.execution.failover-strategy: region
taskmanager.host: 127.0.0.1
taskmanager.bind-host: 127.0.0.1
taskmanager.rpc.port: $ptmrpc
taskmanager.data.port: $ptmdata
taskmanager.memory.process.size: 1536m
taskmanager.numberOfTaskSlots: 4
parallelism.default: 1
rest.address: 127.0.0.1
rest.bind-address: 127.0.0.1
rest.port: $prest
blob.server.port: $pblob
blob.storage.directory: $dir/blob
web.tmpdir: $dir/web
web.upload.dir: $dir/web
io.tmp.dirs: $dir/tmp
execution.checkpointing.dir: file://$dir/checkpoints
execution.checkpointing.savepoint-dir: file://$dir/savepoints
# The REST API serves job details from a cache refreshed this often (Flink's default is
# 3000 ms, so GET /jobs/{id} may lag the real state by up to 3 s); shorter for tests.
web.refresh-interval: ${SKED_FLINK_REFRESH_MS:-500}
CONF
  printf '127.0.0.1:%s\n' "$prest" > "$dir/conf/masters"
  printf '127.0.0.1\n' > "$dir/conf/workers"
  : > "$dir/pids"
  local t0; t0=$(date +%s.%N)
  start_daemon "$dir" jobmanager.sh standalonesession
  start_daemon "$dir" taskmanager.sh taskexecutor
  local url="http://127.0.0.1:$prest" ok=0 overview="" why="it was not ready within 90 s"
  for _ in $(seq 1 180); do
    overview="$(curl -sf --max-time 2 "$url/overview" 2>/dev/null || true)"
    if [ -n "$overview" ] && python3 -c 'import json,sys; o=json.loads(sys.argv[1]); sys.exit(0 if o["taskmanagers"]>=1 and o["slots-available"]>=1 else 1)' "$overview" 2>/dev/null; then
      ok=1; break
    fi
    local dead=""
    while read -r pid name; do kill -0 "$pid" 2>/dev/null || dead="$name (pid $pid)"; done < "$dir/pids"
    if [ -n "$dead" ]; then why="$dead exited during start-up"; break; fi
    sleep 0.5
  done
  if [ "$ok" != 1 ]; then
    log_tail "$dir"; stop "$dir"
    log "FATAL: Flink did not get ready (GET $url/overview with 1 TaskManager and free slots): $why (logs in $dir/log)"; exit 1
  fi
  cat > "$dir/env" <<ENV
export SKED_TEST_FLINK_URL=$url
export SKED_TEST_FLINK_SAVEPOINTS=$dir/savepoints
export SKED_TEST_FLINK_JAR=$SKED_TEST_FLINK_JAR
export FLINK_HOME=$FLINK_HOME
ENV
  log "ready: $url in $(python3 -c "import time; print(round(time.time()-$t0, 1))") s ($overview)"
  cat "$dir/env"
}

case "${1:-}" in
  start) start "${2:?usage: start DIR}" ;;
  stop) stop "${2:?usage: stop DIR}" ;;
  run) shift; run_with_service sked-flink "$@" ;;
  *) echo "usage: $0 start DIR | stop DIR | run -- CMD..." >&2; exit 2 ;;
esac
