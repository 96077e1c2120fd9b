#!/usr/bin/env bash
# sked demo: builds sked, starts a local control plane with a real node (etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kubelet + containerd: scripts/node.sh, needs root), so
# the Jobs sked creates really run; installs the CRD, runs the operator against namespace
# sked-demo, applies examples/ and shows `kubectl get sj,jobs,pods` every few seconds until Ctrl-C.
# On exit it stops exactly what it started.
#
#   --apiserver-only   (or DEMO_APISERVER_ONLY=1) the old mode: etcd + kube-apiserver only, no
#                      node, no Job controller: Jobs are created but never run
#   SKED_BIN=path      use this sked binary instead of running `swift build --product sked`
#   DEMO_SECONDS=N     end by itself after N seconds (default: run until Ctrl-C)
#   DEMO_INTERVAL=N    refresh every N seconds (default 2)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
NS=sked-demo
CRD=scheduledjobs.sked.dev
INTERVAL="${DEMO_INTERVAL:-2}"
DEMO_SECONDS="${DEMO_SECONDS:-}"
APISERVER_ONLY="${DEMO_APISERVER_ONLY:-0}"

say() { echo "demo: $*"; }
die() { echo "demo: ERROR: $*" >&2; exit 1; }

for arg in "$@"; do
  case "$arg" in
    --apiserver-only) APISERVER_ONLY=1 ;;
    *) die "unknown argument $arg (usage: $0 [--apiserver-only])" ;;
  esac
done
if [[ -n "$DEMO_SECONDS" && ! "$DEMO_SECONDS" =~ ^[0-9]+$ ]]; then die "DEMO_SECONDS must be a whole number of seconds"; fi
if [ "$APISERVER_ONLY" != 1 ] && [ "$(id -u)" -ne 0 ]; then
  die "the real node (containers, mounts, a bridge) needs root: run as root, or pass --apiserver-only"
fi

# 1. The sked binary.
if [ -n "${SKED_BIN:-}" ]; then
  case "$SKED_BIN" in /*) ;; *) SKED_BIN="$PWD/$SKED_BIN" ;; esac
else
  say "building sked (swift build --product sked)"
  (cd "$ROOT" && swift build --product sked)
  SKED_BIN="$ROOT/.build/debug/sked"
fi
[ -x "$SKED_BIN" ] || die "no sked binary at $SKED_BIN"
cd "$ROOT"

DIR="$(mktemp -d "${TMPDIR:-/tmp}/sked-demo.XXXXXX")"
SKED_PID=""
KPID=""
cleaned=0
cleanup() {
  local rc=$?
  [ "$cleaned" = 1 ] && return
  cleaned=1
  trap '' INT TERM   # a second Ctrl-C must not interrupt the clean-up
  echo
  if [ -n "$KPID" ]; then kill "$KPID" 2>/dev/null || true; wait "$KPID" 2>/dev/null || true; fi
  if [ -n "$SKED_PID" ] && kill -0 "$SKED_PID" 2>/dev/null; then
    say "stopping the operator (pid $SKED_PID)"
    kill -TERM "$SKED_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$SKED_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SKED_PID" 2>/dev/null || true
    wait "$SKED_PID" 2>/dev/null || true
  fi
  say "stopping the control plane"
  "$HERE/control-plane.sh" stop "$DIR" || true
  rm -rf "$DIR"
  if [ "$rc" = 0 ] || [ "$rc" = 130 ] || [ "$rc" = 143 ]; then
    say "stopped; everything this demo started is gone."
  else
    say "failed (exit $rc); stopped everything this demo started."
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The control plane and the operator run in their own sessions (setsid), so a Ctrl-C in the
# terminal reaches only this script, which then stops them in order, by PID.
# 2. The control plane (and the node: the first run builds kubelet and kube-scheduler, minutes).
if [ "$APISERVER_ONLY" = 1 ]; then
  say "starting a local control plane (etcd + kube-apiserver) in $DIR"
  SKED_NODE=0 setsid "$HERE/control-plane.sh" start "$DIR" >/dev/null
else
  say "starting a local control plane with a real node (kubelet + containerd) in $DIR"
  SKED_NODE=1 setsid "$HERE/control-plane.sh" start "$DIR" >/dev/null
fi
export KUBECONFIG="$DIR/admin.kubeconfig"

# 3. The CRD.
kubectl apply -f config/crd/sked.dev_scheduledjobs.yaml
kubectl wait --for=condition=established --timeout=60s "crd/$CRD"

# 4. The namespace and the operator (metrics and health on free loopback ports, not :8080/:8081).
kubectl create namespace "$NS"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
METRICS="127.0.0.1:$(free_port)"; HEALTH="127.0.0.1:$(free_port)"
setsid "$SKED_BIN" operator --kubeconfig "$DIR/admin.kubeconfig" --namespace "$NS" \
  --metrics-bind-address "$METRICS" --health-probe-bind-address "$HEALTH" --log-format text \
  >"$DIR/sked.log" 2>&1 &
SKED_PID=$!
sleep 1
if ! kill -0 "$SKED_PID" 2>/dev/null; then
  cat "$DIR/sked.log" >&2; SKED_PID=""; die "the operator exited at once (log above)"
fi
say "operator running (pid $SKED_PID, log $DIR/sked.log)"

# 5. The examples (retry briefly: kubectl's discovery may not know the new kind yet).
for i in $(seq 1 10); do
  if kubectl apply -n "$NS" -f examples/; then break; fi
  [ "$i" = 10 ] && die "could not apply examples/"
  sleep 1
done

cat <<EOF

demo: sked is running against a local control plane. From another shell:
  export KUBECONFIG=$DIR/admin.kubeconfig
  kubectl get sj,jobs -n $NS
  kubectl describe sj every-10-seconds -n $NS
  tail -f $DIR/sked.log
  curl -s http://$METRICS/metrics; curl -s http://$HEALTH/readyz
EOF
if [ "$APISERVER_ONLY" = 1 ]; then
  cat <<EOF
demo: this control plane has no kubelet (and no Job controller): sked creates the Jobs,
      but they never run pods, so they stay active.
EOF
else
  cat <<EOF
demo: the Jobs really run (busybox on the local node); their output:
  kubectl logs -n $NS -l job-name --prefix --tail=3
EOF
fi
cat <<EOF
demo: to use a real cluster instead:
  kubectl apply -f config/crd/
  sked operator --kubeconfig ~/.kube/config
demo: Ctrl-C stops the operator and the control plane and removes $DIR.
EOF
sleep 3

# 6. Watch.
start=$SECONDS
while :; do
  if [ -t 1 ]; then clear; else echo "----------------------------------------------------------------"; fi
  elapsed=$((SECONDS - start))
  echo "sked demo — $(date +%T) — every ${INTERVAL}s$([ -n "$DEMO_SECONDS" ] && echo ", ${elapsed}/${DEMO_SECONDS}s") — Ctrl-C to stop"
  echo "KUBECONFIG=$DIR/admin.kubeconfig   operator log: $DIR/sked.log"
  echo
  # In the background (and waited for) so INT/TERM are handled at once.
  if [ "$APISERVER_ONLY" = 1 ]; then kubectl get sj,jobs -n "$NS" 2>&1 & KPID=$!
  else kubectl get sj,jobs,pods -n "$NS" 2>&1 & KPID=$!; fi
  wait "$KPID" || true; KPID=""
  if ! kill -0 "$SKED_PID" 2>/dev/null; then
    echo; tail -20 "$DIR/sked.log" >&2; SKED_PID=""; die "the operator stopped (log above)"
  fi
  if [ -n "$DEMO_SECONDS" ] && [ $((SECONDS - start)) -ge "$DEMO_SECONDS" ]; then
    say "DEMO_SECONDS=$DEMO_SECONDS elapsed"
    break
  fi
  sleep "$INTERVAL" & KPID=$!
  wait "$KPID" || true; KPID=""
done
