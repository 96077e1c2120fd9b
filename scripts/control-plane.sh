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
  etcd --data-dir "$dir/etcd" --listen-client-urls "http://127.0.0.1:$pe" --advertise-client-urls "http://127.0.0.1:$pe" \
    --listen-peer-urls "http://127.0.0.1:$pp" --initial-advertise-peer-urls "http://127.0.0.1:$pp" \
    --initial-cluster "default=http://127.0.0.1:$pp" --log-level warn </dev/null >"$dir/logs/etcd.log" 2>&1 &
  echo "$! etcd" >> "$dir/pids"
  "$bin/kube-apiserver" --etcd-servers="http://127.0.0.1:$pe" --secure-port="$pa" --bind-address=127.0.0.1 \
    --advertise-address=127.0.0.1 --cert-dir="$dir/certs" --token-auth-file="$dir/tokens.csv" --authorization-mode=RBAC \
    --service-account-issuer=https://kubernetes.default.svc --service-account-key-file="$dir/sa.key" \
    --service-account-signing-key-file="$dir/sa.key" --service-cluster-ip-range=10.0.0.0/24 --insecure-port=0 \
    --allow-privileged=true --enable-admission-plugins=NamespaceLifecycle,ServiceAccount \
    --watch-cache-sizes=configmaps#0 \
    </dev/null >"$dir/logs/kube-apiserver.log" 2>&1 &
  echo "$! kube-apiserver" >> "$dir/pids"
  local server="https://127.0.0.1:$pa"
  local ok=0
  for _ in $(seq 1 120); do
    if [ -f "$dir/certs/apiserver.crt" ] && curl -sf --cacert "$dir/certs/apiserver.crt" -H "Authorization: Bearer admintoken" "$server/readyz" >/dev/null 2>&1; then ok=1; break; fi
    if ! kill -0 "$(sed -n 2p "$dir/pids" | cut -d' ' -f1)" 2>/dev/null; then break; fi
    sleep 0.5
  done
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
  *) echo "usage: $0 start DIR | stop DIR | run -- CMD..." >&2; exit 2 ;;
esac
