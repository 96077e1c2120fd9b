#!/usr/bin/env bash
# A real local Kubernetes control plane (etcd + kube-apiserver v1.20.2, optionally
# kube-controller-manager for garbage collection and namespace deletion), all on
# loopback, on free ports, like controller-runtime's envtest.
#
#   scripts/control-plane.sh start DIR   start everything, write DIR/admin.kubeconfig,
#                                        DIR/operator.kubeconfig and DIR/env; print DIR/env
#   scripts/control-plane.sh stop DIR    stop exactly the processes recorded in DIR/pids
#   scripts/control-plane.sh run -- CMD  start in a temp folder, run CMD with the env
#                                        exported, always stop afterwards; exits with CMD's code
#   scripts/control-plane.sh restart-apiserver DIR | restart-etcd DIR
#                                        stop one component and start it again on the same
#                                        ports with the same data, keeping DIR/pids right
#                                        (fault injection: scripts/chaos)
#
# Tokens (static token file): admin (system:masters) and the operator's service-account
# identity system:serviceaccount:sked-system:sked, so RBAC is exercised for real.
# SKED_CONTROLLERS (default "garbagecollector,namespace") picks kube-controller-manager's
# controllers; set it to "none" to skip it. ConfigMaps bypass the watch cache
# (--watch-cache-sizes=configmaps#0) so tests can force "410 Gone" by compacting etcd.
# SKED_NODE=1 adds a real node (scripts/node.sh: containerd, kube-scheduler, kubelet) so Jobs
# really run; the default controllers are then '*,-cronjob' (job, garbage collector, namespace,
# service accounts, ...: sked is the CronJob controller under test). Needs root; DIR/env then
# also exports SKED_TEST_NODE.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# shellcheck source=lib/processes.sh
. "$HERE/lib/processes.sh"
log() { echo "control-plane: $*" >&2; }

# The node first (its containers and mounts need containerd to go in order), then
# controller-manager and apiserver, then etcd: on its way out the API server removes its
# endpoint lease from etcd, and without etcd it hangs until KILLed (10 s).
stop() {
  local dir="$1"
  if [ -d "$dir/node" ]; then "$HERE/node.sh" stop "$dir" || true; fi
  if [ -f "$dir/pids" ] && grep -q ' etcd$' "$dir/pids"; then
    grep ' etcd$' "$dir/pids" > "$dir/pids.etcd"
    grep -v ' etcd$' "$dir/pids" > "$dir/pids.rest" || true
    mv "$dir/pids.rest" "$dir/pids"
    stop_recorded_pids "$dir" 10
    mv "$dir/pids.etcd" "$dir/pids"
  fi
  stop_recorded_pids "$dir" 10
}

kubeconfig() { # file token server ca
  cat > "$1" <<KC
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: $3
    certificate-authority: $4
users:
- name: user
  user:
    token: $2
contexts:
- name: local
  context:
    cluster: local
    user: user
    namespace: default
current-context: local
KC
}

# Both append to their log, so a restarted component keeps its earlier output. Set LAUNCHED.
launch_etcd() { # dir client-port peer-port
  local dir="$1" pe="$2" pp="$3"
  etcd --data-dir "$dir/etcd" --listen-client-urls "http://127.0.0.1:$pe" --advertise-client-urls "http://127.0.0.1:$pe" \
    --listen-peer-urls "http://127.0.0.1:$pp" --initial-advertise-peer-urls "http://127.0.0.1:$pp" \
    --initial-cluster "default=http://127.0.0.1:$pp" --log-level warn </dev/null >>"$dir/logs/etcd.log" 2>&1 &
  LAUNCHED=$!
}

launch_apiserver() { # dir bin etcd-port secure-port
  local dir="$1" bin="$2" pe="$3" pa="$4"
  "$bin/kube-apiserver" --etcd-servers="http://127.0.0.1:$pe" --secure-port="$pa" --bind-address=127.0.0.1 \
    --advertise-address=127.0.0.1 --cert-dir="$dir/certs" --token-auth-file="$dir/tokens.csv" --authorization-mode=RBAC \
    --service-account-issuer=https://kubernetes.default.svc --service-account-key-file="$dir/sa.key" \
    --service-account-signing-key-file="$dir/sa.key" --service-cluster-ip-range=10.0.0.0/24 --insecure-port=0 \
    --allow-privileged=true --enable-admission-plugins=NamespaceLifecycle,ServiceAccount \
    --watch-cache-sizes=configmaps#0 \
    </dev/null >>"$dir/logs/kube-apiserver.log" 2>&1 &
  LAUNCHED=$!
}

# wait_apiserver DIR SERVER PID TRIES: 0 once /readyz answers, 1 if PID died or TRIES x 0.5 s passed.
wait_apiserver() {
  local dir="$1" server="$2" pid="$3" tries="$4"
  for _ in $(seq 1 "$tries"); do
    if [ -f "$dir/certs/apiserver.crt" ] && curl -sf --cacert "$dir/certs/apiserver.crt" -H "Authorization: Bearer admintoken" "$server/readyz" >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    sleep 0.5
  done
  return 1
}

# restart DIR NAME (etcd | kube-apiserver): stops the recorded process (CONT first, in case it
# is paused; TERM, KILL after 10 s), starts it again on the same ports with the same data,
# replaces its line in DIR/pids and waits until it serves. For fault injection (scripts/chaos).
restart() {
  local dir="$1" name="$2"
  dir="$(cd "$dir" && pwd)"
  [ -f "$dir/ports" ] || { log "FATAL: $dir/ports is missing (was the control plane started by this script?)"; exit 1; }
  local pe pp pa bin old
  pe=$(sed -n 's/^etcd=//p' "$dir/ports"); pp=$(sed -n 's/^etcd_peer=//p' "$dir/ports")
  pa=$(sed -n 's/^apiserver=//p' "$dir/ports"); bin=$(sed -n 's/^bin=//p' "$dir/ports")
  old=$(awk -v n="$name" '$2 == n { print $1 }' "$dir/pids")
  [ -n "$old" ] || { log "FATAL: no $name in $dir/pids"; exit 1; }
  if kill -0 "$old" 2>/dev/null; then
    kill -CONT "$old" 2>/dev/null || true
    kill "$old" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$old" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$old" 2>/dev/null; then log "$name (pid $old) ignored TERM: killing it"; kill -9 "$old" 2>/dev/null || true; fi
    for _ in $(seq 1 25); do kill -0 "$old" 2>/dev/null || break; sleep 0.2; done
  fi
  case "$name" in
    etcd) launch_etcd "$dir" "$pe" "$pp" ;;
    kube-apiserver) launch_apiserver "$dir" "$bin" "$pe" "$pa" ;;
    *) log "FATAL: can only restart etcd or kube-apiserver, not $name"; exit 2 ;;
  esac
  awk -v n="$name" -v p="$LAUNCHED" '$2 == n { $1 = p } { print }' "$dir/pids" > "$dir/pids.new" && mv "$dir/pids.new" "$dir/pids"
  local ok=0
  if [ "$name" = etcd ]; then
    for _ in $(seq 1 120); do
      if curl -sf "http://127.0.0.1:$pe/health" 2>/dev/null | grep -q '"health":"true"'; then ok=1; break; fi
      kill -0 "$LAUNCHED" 2>/dev/null || break
      sleep 0.25
    done
  else
    wait_apiserver "$dir" "https://127.0.0.1:$pa" "$LAUNCHED" 120 && ok=1
  fi
  if [ "$ok" != 1 ]; then log "FATAL: $name did not come back (logs in $dir/logs)"; exit 1; fi
  log "restarted $name (pid $old -> $LAUNCHED)"
}

start() {
  local dir="$1"
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  local node="${SKED_NODE:-0}" bin
  if [ "$node" = 1 ] && [ "$(id -u)" -ne 0 ]; then log "FATAL: SKED_NODE=1 needs root (containers, mounts, a bridge)"; exit 1; fi
  # With a node, build its binaries now, not while etcd and the API server wait.
  if [ "$node" = 1 ]; then bin="$("$HERE/test-assets.sh" node | tail -1)"; else bin="$("$HERE/test-assets.sh" | tail -1)"; fi
  local pe pp pa
  pe=$(free_port); pp=$(free_port); pa=$(free_port)
  : > "$dir/pids"
  mkdir -p "$dir/etcd" "$dir/certs" "$dir/logs"
  [ -f "$dir/sa.key" ] || openssl genrsa -out "$dir/sa.key" 2048 2>/dev/null
  cat > "$dir/tokens.csv" <<TOK
admintoken,admin,admin,"system:masters"
operatortoken,system:serviceaccount:sked-system:sked,sked-uid,"system:serviceaccounts,system:serviceaccounts:sked-system,system:authenticated"
TOK
  # The ports, for restart-apiserver / restart-etcd (same ports, same data).
  printf 'etcd=%s\netcd_peer=%s\napiserver=%s\nbin=%s\n' "$pe" "$pp" "$pa" "$bin" > "$dir/ports"
  : > "$dir/logs/etcd.log"; : > "$dir/logs/kube-apiserver.log"
  launch_etcd "$dir" "$pe" "$pp"
  echo "$LAUNCHED etcd" >> "$dir/pids"
  launch_apiserver "$dir" "$bin" "$pe" "$pa"
  echo "$LAUNCHED kube-apiserver" >> "$dir/pids"
  local server="https://127.0.0.1:$pa"
  local ok=0
  wait_apiserver "$dir" "$server" "$LAUNCHED" 120 && ok=1
  if [ "$ok" != 1 ]; then
    tail -30 "$dir/logs/kube-apiserver.log" >&2; stop "$dir"
    log "FATAL: kube-apiserver did not become ready (logs in $dir/logs)"; exit 1
  fi
  kubeconfig "$dir/admin.kubeconfig" admintoken "$server" "$dir/certs/apiserver.crt"
  kubeconfig "$dir/operator.kubeconfig" operatortoken "$server" "$dir/certs/apiserver.crt"
  local controllers="${SKED_CONTROLLERS:-garbagecollector,namespace}"
  [ "$node" = 1 ] && controllers="${SKED_CONTROLLERS:-*,-cronjob}"
  if [ "$controllers" != none ]; then
    "$bin/kube-controller-manager" --kubeconfig="$dir/admin.kubeconfig" --controllers="$controllers" --leader-elect=false \
      --secure-port=0 --port=0 --service-account-private-key-file="$dir/sa.key" --root-ca-file="$dir/certs/apiserver.crt" \
      --flex-volume-plugin-dir="$dir/volume-plugins" \
      </dev/null >"$dir/logs/kube-controller-manager.log" 2>&1 &
    echo "$! kube-controller-manager" >> "$dir/pids"
  fi
  cat > "$dir/env" <<ENV
export SKED_TEST_KUBECONFIG=$dir/admin.kubeconfig
export SKED_TEST_OPERATOR_KUBECONFIG=$dir/operator.kubeconfig
export SKED_TEST_CONTROL_PLANE=$dir
export SKED_TEST_ETCD=http://127.0.0.1:$pe
ENV
  if [ "$node" = 1 ]; then
    # node.sh explains a failure in one line; stop everything else quietly.
    "$HERE/node.sh" start "$dir" || { stop "$dir" 2>/dev/null; exit 1; }
  fi
  log "ready: $server (kubeconfig $dir/admin.kubeconfig)"
  cat "$dir/env"
}

case "${1:-}" in
  start) start "${2:?usage: start DIR}" ;;
  stop) stop "${2:?usage: stop DIR}" ;;
  run) shift; run_with_service sked-cp "$@" ;;
  restart-apiserver) restart "${2:?usage: restart-apiserver DIR}" kube-apiserver ;;
  restart-etcd) restart "${2:?usage: restart-etcd DIR}" etcd ;;
  *) echo "usage: $0 start DIR | stop DIR | run -- CMD... | restart-apiserver DIR | restart-etcd DIR" >&2; exit 2 ;;
esac
